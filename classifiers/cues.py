"""Explanations: which phrases of the multilingual cue lexicon appear in a text, per label."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from classifiers.normalize import normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")


@dataclass(frozen=True, slots=True)
class _Cue:
    label: str
    phrase: str  # as written in the lexicon (shown to analysts)
    pattern: re.Pattern[str]


class CueLexicon:
    """Matches lexicon phrases against normalised text. Arabic phrases match as substrings (clitics),
    Latin ones on word boundaries."""

    def __init__(self, lexicon: dict[str, dict[str, list[str]]]) -> None:
        self.cues: list[_Cue] = []
        for label, by_lang in lexicon.items():
            for phrases in by_lang.values():
                for phrase in phrases:
                    norm = normalize_for_match(phrase)
                    if _ARABIC.search(norm):
                        pattern = re.compile(re.escape(norm))
                    else:
                        pattern = re.compile(r"(?<![\w])" + re.escape(norm) + r"(?![\w])")
                    self.cues.append(_Cue(label, phrase, pattern))

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> CueLexicon:
        text = resources.files("classifiers").joinpath("cues/lexicon.yaml").read_text("utf-8")
        return cls(yaml.safe_load(text))

    def match(self, text: str) -> dict[str, list[str]]:
        """``{label: [phrase, ...]}`` for every label with at least one phrase present; longer phrases
        that contain a shorter match win (``drone strike`` rather than also ``strike``)."""
        norm = normalize_for_match(text)
        found: dict[str, list[str]] = {}
        for cue in self.cues:
            if cue.pattern.search(norm):
                found.setdefault(cue.label, []).append(cue.phrase)
        for label, phrases in found.items():
            norms = [normalize_for_match(p) for p in phrases]
            found[label] = [p for p, n in zip(phrases, norms, strict=True)
                            if not any(n != other and n in other for other in norms)]
        return found
