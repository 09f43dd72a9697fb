"""Explanations: which phrases of the multilingual cue lexicon appear in a text, per label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from classifiers.normalize import normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")
# Arabic words carry clitics: a phrase may follow و ف ب ل ك س and the article (وال بال فال كال لل ...) and may
# take a pronoun or plural ending; any other letter touching it means another word («دوي» in «يدوية»).
_AR_PREFIX = r"(?:[وف]?(?:[بلكس]|ال|بال|كال|لل)?)"
_AR_SUFFIX = r"(?:ه|ها|هم|هما|هن|نا|كم|ي|ك|ا|ان|ين|ون|ات|ت|وا)?"
_AR_LETTER = "\u0621-\u064A\u0660-\u0669\u0671-\u06D3\u06D5\u06FA-\u06FF"
# a cue governed by a negator is not evidence: «دون تسجيل إصابات», "no rockets hit" (a few words before the
# cue), «نفى مصدر أمني سقوط أي صاروخ», "denied that any drone was launched" (a denial governs its clause)
NEGATORS = ("لا", "لم", "لن", "ليس", "ليست", "دون", "بدون", "عدم", "ماكو", "مو", "غير", "no", "not", "never",
            "without", "nor", "neither")
DENIALS = ("نفى", "نفت", "ينفي", "تنفي", "نفي", "ننفي", "كذب", "تكذيب", "شائعه", "شائعات", "اشاعه", "اشاعات",
           "صحه", "مفبرك", "مفبركه", "denied", "denies", "deny", "denial", "false", "fake", "rumour", "rumor",
           "rumours", "rumors", "fabricated", "debunked")
_NEGATION_WINDOW = 4  # words before a cue that a plain negator reaches
_CLAUSE = re.compile(r"[.!?؟،,:;\n|«»\"()]")


@dataclass(frozen=True, slots=True)
class _Cue:
    label: str
    phrase: str  # as written in the lexicon (shown to analysts)
    pattern: re.Pattern[str]


def _compile(norm: str) -> re.Pattern[str]:
    if _ARABIC.search(norm):
        return re.compile(f"(?<![{_AR_LETTER}]){_AR_PREFIX}{re.escape(norm)}{_AR_SUFFIX}(?![{_AR_LETTER}])")
    return re.compile(r"(?<![\w])" + re.escape(norm) + r"(?![\w])")


class CueLexicon:
    """Matches lexicon phrases against normalised text, as whole words: Latin phrases on word boundaries,
    Arabic ones with their clitics (``و ب ل ال``...) and endings allowed but no other letters around them.
    A match that a negator governs (``NEGATORS`` within a few words before it) is not evidence and is not
    shown."""

    def __init__(self, lexicon: dict[str, dict[str, list[str]]]) -> None:
        self.cues: list[_Cue] = []
        for label, by_lang in lexicon.items():
            for phrases in by_lang.values():
                for phrase in phrases:
                    self.cues.append(_Cue(label, phrase, _compile(normalize_for_match(phrase))))
        self._negators = {normalize_for_match(n) for n in NEGATORS}
        self._denials = {normalize_for_match(n) for n in DENIALS}

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> CueLexicon:
        text = resources.files("classifiers").joinpath("cues/lexicon.yaml").read_text("utf-8")
        return cls(yaml.safe_load(text))

    def _negated(self, norm: str, start: int) -> bool:
        clause = [w.lstrip("وف") if len(w) > 3 else w for w in _CLAUSE.split(norm[:start])[-1].split()]
        return (any(w in self._denials for w in clause)
                or any(w in self._negators for w in clause[-_NEGATION_WINDOW:]))

    def only_negated(self, text: str, label: str) -> bool:
        """Whether ``label``'s cue phrases occur in ``text`` and every occurrence is negated: the shape of a
        denial («نفى مصدر أمني سقوط أي صاروخ») or a non-event ("no casualties, no rocket fire")."""
        norm = normalize_for_match(text)
        seen = False
        for cue in self.cues:
            if cue.label != label:
                continue
            for m in cue.pattern.finditer(norm):
                if not self._negated(norm, m.start()):
                    return False
                seen = True
        return seen

    def not_an_attack(self, text: str) -> bool:
        """Whether ``text`` has the shape of a post that tells no attack though it may sound like one: every
        attack cue negated (``only_negated``), or an accident told without any sign of violence
        (``tells_accident``). ``attack_claim`` is damped there (``denial_factor``)."""
        return self.only_negated(text, "attack_claim") or tells_accident(text)

    def match(self, text: str) -> dict[str, list[str]]:
        """``{label: [phrase, ...]}`` for every label with at least one phrase present and not negated;
        longer phrases that contain a shorter match win (``drone strike`` rather than also ``strike``)."""
        norm = normalize_for_match(text)
        found: dict[str, list[str]] = {}
        for cue in self.cues:
            if any(not self._negated(norm, m.start()) for m in cue.pattern.finditer(norm)):
                found.setdefault(cue.label, []).append(cue.phrase)
        for label, phrases in found.items():
            norms = [normalize_for_match(p) for p in phrases]
            found[label] = [p for p, n in zip(phrases, norms, strict=True)
                            if not any(n != other and n in other for other in norms)]
        return found


@lru_cache(maxsize=1)
def _accident_screen() -> CueLexicon:
    text = resources.files("classifiers").joinpath("cues/accidents.yaml").read_text("utf-8")
    return CueLexicon(yaml.safe_load(text))


def tells_accident(text: str) -> bool:
    """Whether ``text`` names a mishap (a crash, a gas cylinder, a transformer, a short circuit, a fire) and
    nothing of violence (no weapon, attacker or claim): ``cues/accidents.yaml``. Mentions under a negator
    count for neither side ("no sign of an attack" does not keep a crash report a claim)."""
    found = _accident_screen().match(text)
    return "accident" in found and "violence" not in found
