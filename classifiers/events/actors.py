"""The actor registry (``actors.yaml``): who a text names, by canonical actor id, with the span of each
mention. A named leader or spokesman counts as his group (``Abu Ali al-Askari`` -> Kata'ib Hezbollah)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from classifiers.events.trie import clitic_variants, trie_regex
from classifiers.normalize import normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")
UNKNOWN_GUNMEN = "unknown_gunmen"
_ACRONYM = re.compile(r"^[A-Z][A-Z.\-]{1,5}$|^[A-Z]\.[A-Z]\.$")
# A nation's people named bare («الإيرانيين ضربوا ...» is Iran's forces) after a noun of civilians is those
# civilians' nationality: «الزوار الإيرانيين», «الاخوة الإيرانيين» are pilgrims, not the IRGC
_BARE_NATIONALS = frozenset({"الايرانيين", "الايرانيون"})
_INVOCATION_BEFORE = re.compile(r"بسم الله\s*$")
_CIVILIANS_BEFORE = re.compile(r"(?<!\w)(?:[لب]?ال)?(?:زوار|زائرين|حجاج|سياح|مسافرين|اخوه|اخوان|طلاب|طلبه|تجار|عمال"
                               r"|مواطنين|رعايا|زائرات|ضيوف|لاجئين)\W{0,3}$")
# ... "gunmen from", «مسلحون من», «مسلحين تابعين ل»: the words between the gunmen and the group they belong to
_GUNMEN_OF = re.compile(r"\s+(?:(?:from|of)(?: (?:the )?(?:remnants|a cell|cells) of)?(?: (?:a|an|one of the))?"
                        r"(?: (?:local|rival|armed))?|belonging to|linked to|loyal to|"
                        r"من(?: بقايا| فلول| خلايا| خليه| احدي| احد)?|تابعين ل|ينتمون ل|ينتمون الي|ينتمون الى|ينتمون"
                        r"(?: الي| الى)? احدي|ينتمون لاحدي)\s*"
                        r"(?:the\s+)?")


@dataclass(frozen=True, slots=True)
class Actor:
    id: str
    name: str
    ar: str
    kind: str
    short: str
    umbrella: str | None


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    actor: str
    form: str
    person: str | None = None  # a leader or spokesman named for the group


class ActorRegistry:
    def __init__(self, data: dict[str, dict[str, Any]]) -> None:
        self.actors: dict[str, Actor] = {}
        arabic: dict[str, tuple[str, str | None]] = {}
        latin: dict[str, tuple[str, str | None]] = {}
        acronyms: dict[str, tuple[str, str | None]] = {}
        for aid, info in data.items():
            self.actors[aid] = Actor(aid, info["name"], info.get("ar", ""), info.get("kind", "unknown"),
                                     info.get("short") or info["name"], info.get("umbrella"))
            pairs = [(form, None) for form in info.get("forms") or []]
            for person in info.get("people") or []:
                pairs += [(form, person["name"]) for form in person.get("forms") or [person["name"]]]
            for form, person in pairs:
                if _ACRONYM.match(form):
                    acronyms.setdefault(form, (aid, person))
                    continue
                norm = normalize_for_match(form).replace("-", " ")
                if _ARABIC.search(norm):
                    for variant in clitic_variants(norm):
                        arabic.setdefault(variant, (aid, person))
                else:
                    latin.setdefault(norm, (aid, person))
        self._arabic = re.compile(trie_regex(arabic))
        self._latin = re.compile(r"(?<!\w)(?:" + trie_regex(latin) + r")(?!\w)")
        self._acronym = re.compile(r"(?<![\w.])(?:" + trie_regex(acronyms) + r")(?![\w])")
        # each acronym's letters in a normalised text (lower case, on word boundaries): where ``find`` places it
        self._acronym_in_norm = {form: re.compile(r"(?<!\w)" + re.escape(form.lower()) + r"(?!\w)")
                                 for form in acronyms}
        self._maps = (arabic, latin, acronyms)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> ActorRegistry:
        text = resources.files("classifiers").joinpath("events", "actors.yaml").read_text("utf-8")
        return cls(yaml.safe_load(text) or {})

    def find(self, norm: str, raw: str | None = None) -> list[Mention]:
        """Mentions in ``norm`` (a text through ``normalize_for_match``) in text order, leftmost-longest;
        acronyms (KH, ISF, U.S.) are looked for case-sensitively in ``raw`` and placed at the same relative
        position in ``norm`` (they only order the mentions)."""
        norm = norm.replace("-", " ")
        arabic, latin, acronyms = self._maps
        out: list[Mention] = []
        for m in self._arabic.finditer(norm):
            if m.group(0) in _BARE_NATIONALS and _CIVILIANS_BEFORE.search(norm, max(0, m.start() - 16), m.start()):
                continue
            if _INVOCATION_BEFORE.search(norm, max(0, m.start() - 12), m.start()):
                continue  # «بسم الله قاصم الجبارين»: God's name in the invocation, not the group named after it
            aid, person = arabic[m.group(0)]
            out.append(Mention(m.start(), m.end(), aid, m.group(0), person))
        for m in self._latin.finditer(norm):
            aid, person = latin[m.group(0)]
            out.append(Mention(m.start(), m.end(), aid, m.group(0), person))
        if raw:
            scale = len(norm) / max(1, len(raw))
            for m in self._acronym.finditer(raw):
                aid, person = acronyms[m.group(0)]
                pos = int(m.start() * scale)
                # the same letters in ``norm`` nearest that place, when there are any (normalising moves text)
                at = [x.start() for x in self._acronym_in_norm[m.group(0)].finditer(norm)]
                if at:
                    pos = min(at, key=lambda c: abs(c - pos))
                out.append(Mention(pos, pos + len(m.group(0)), aid, m.group(0), person))
        out.sort(key=lambda x: (x.start, -x.end))
        # "Asa'ib Ahl al-Haq gunmen", «مسلحون من العصائب»: a named group's gunmen are that group's, not unknown ones
        # (the group named just before the gunmen, or just after them with "from": "gunmen from the PKK")
        return [m for i, m in enumerate(out) if not (
            m.actor == UNKNOWN_GUNMEN and any(o.actor != UNKNOWN_GUNMEN and (
                (0 <= m.start - o.end <= 2 and not norm[o.end:m.start].strip())
                or (o.start > m.end and _GUNMEN_OF.fullmatch(norm, m.end, o.start))) for o in out))]
