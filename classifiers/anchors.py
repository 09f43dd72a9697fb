"""Anchors of an event in a text: the places and facilities it names (canonical ids from a bilingual
gazetteer, so ``عين الأسد`` and ``Ain al-Asad`` are one anchor) and the small numbers it states.

Story matching uses them to tell "the same claim reposted" from "the same formula, another target"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from classifiers.normalize import normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")
_NUMBER = re.compile(r"(?<![\d:/.\-])(\d{1,3})(?![\d:/.\-])")
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
          "nine": 9, "ten": 10}


@dataclass(frozen=True, slots=True)
class Anchors:
    places: frozenset[str]
    numbers: frozenset[int]

    def conflicts(self, other: Anchors) -> bool:
        """Both name places and share none: a different event (another target, another town)."""
        return bool(self.places and other.places and not self.places & other.places)

    def shares_place(self, other: Anchors) -> bool:
        return bool(self.places & other.places)

    def number_conflict(self, other: Anchors) -> bool:
        return bool(self.numbers and other.numbers and not self.numbers & other.numbers)


class Gazetteer:
    def __init__(self, places: dict[str, list[str]]) -> None:
        arabic: list[tuple[str, str]] = []
        latin: list[tuple[str, str]] = []
        for canon, forms in places.items():
            for form in forms:
                norm = normalize_for_match(form).replace("-", " ")
                (arabic if _ARABIC.search(norm) else latin).append((norm, canon))
        # longest forms first, so "erbil airport" wins over "erbil"
        arabic.sort(key=lambda x: -len(x[0]))
        latin.sort(key=lambda x: -len(x[0]))
        self._arabic = arabic
        self._latin = re.compile(r"(?<!\w)(" + "|".join(re.escape(f) for f, _ in latin) + r")(?!\w)") \
            if latin else None
        self._latin_map = dict(latin)

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Gazetteer:
        text = resources.files("classifiers").joinpath("cues/places.yaml").read_text("utf-8")
        return cls(yaml.safe_load(text) or {})

    def places(self, text: str) -> frozenset[str]:
        norm = normalize_for_match(text).replace("-", " ")
        found: set[str] = set()
        for form, canon in self._arabic:
            if form in norm:
                found.add(canon)
                norm = norm.replace(form, " ")
        if self._latin is not None:
            for match in self._latin.finditer(norm):
                found.add(self._latin_map[match.group(1)])
        return frozenset(found)


def numbers(text: str) -> frozenset[int]:
    norm = normalize_for_match(text)
    found = {int(n) for n in _NUMBER.findall(norm) if 0 < int(n) < 1000}
    found |= {v for w, v in _WORDS.items() if re.search(rf"\b{w}\b", norm)}
    return frozenset(found)


def anchors(text: str, gazetteer: Gazetteer | None = None) -> Anchors:
    return Anchors((gazetteer or Gazetteer.default()).places(text), numbers(text))
