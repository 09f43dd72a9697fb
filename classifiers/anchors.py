"""Anchors of an event in a text: the places it names (canonical ids from a bilingual gazetteer, so
``عين الأسد`` and ``Ain al-Asad`` are one anchor, at three levels: country, governorate, fine), the
weekday it happened, the weapon used, and the small numbers it states.

Story matching uses them to tell "the same claim reposted" from "the same formula, another target, another
day, another weapon": the statements militias and security-media cells publish differ in little else."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from classifiers.events.trie import dialect_variants, is_nisba, trie_regex
from classifiers.normalize import clean_for_model, normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")
_NUMBER = re.compile(r"(?<![\d:/.\-])(\d{1,3})(?![\d:/.\-])")
# A number that names a unit ("اللواء ١٣", "Brigade 13", "the 13th brigade") or is an ordinal is no count:
# one report names the brigade hit, its translation the count of fighters hurt
_HASHTAG = re.compile(r"#\w+")
# A day of the month ("08 NOV", «٦ / تشرين الثاني / ٢٠٢٦», "1 Nov", "Feb 11") dates a post; it counts nothing
_DATE_NUMBER = re.compile(r"(?<!\d)\d{1,2}\s*[/\-.]?\s*(?:كانون|شباط|اذار|نيسان|ايار|حزيران|تموز|اب |ايلول|تشرين|"
                          r"يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر|"
                          r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?!\w))|"
                          # ... and a wire's dateline, month first ("BAGHDAD, Feb 11 —"; not "may", a verb)
                          r"(?<!\w)(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?!\d)")
_UNIT_NUMBER = re.compile(r"(?:(?<!\w)(?:ال|لل|ل|بال|وال|ب|و|وب)?(?:لواء|فوج|فرقه|كتيبه|سريه|قاطع|"
                          r"شارع|قطاع|محله|زقاق|"
                          r"brigade|regiment|division|battalion|unit|street|sector|no\.?|number)\s*(?:رقم\s*)?\d{1,3}(?:\s*(?:و|and|&)\s*\d{1,3})*(?!\d))|"
                          r"(?<!\d)\d{1,3}(?:st|nd|rd|th)(?!\w)|"
                          # a clock time («الساعة ٦ الصبح», "at 9 am", "22:40") is no count either
                          r"(?<!\w)(?:ال|بال|لل)?ساعه\s*\d{1,2}(?!\d)|(?<!\d)\d{1,2}(?::\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)(?!\w)|"
                          r"(?<!\d)\d{1,2}:\d\d(?!\d)")
# A number of hours, days, kilometres, years or degrees is no count of the event's rockets or victims: one
# channel writes "after 48 hours without power", its repost «خلال 24 ساعة»
_MEASURE_NUMBER = re.compile(r"(?<!\d)(\d{1,3})\s*(?:ساعه|ساعات|يوم|ايام|اسبوع|اسابيع|شهر|اشهر|شهور|سنه|سنوات|عاما|عام|"
                             r"اعوام|دقيقه|دقائق|كم|كيلو|كيلومتر|درجه|بالمئه|بالمائه|%|°|"
                             r"(?:hours?|hrs?|h|days?|weeks?|months?|years?|minutes?|mins?|km|kms|kilomet\w*|"
                             r"miles?|degrees?|percent|per cent)(?!\w))")
MEASURE = 1000  # a measure (``_MEASURE_NUMBER``) is kept as MEASURE + n: it may agree, never conflict
# "one" is left out: as often "one-way drone", "no one", "one of" as a count
_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10}
# The Arabic dual of a victim is a count of two («مقتل شخصين», «قتيلان»): only nouns whose plural has another
# form, so that -ين is never a plural («مدنيين», «منتسبين» are both, and stay out); and only victims, the count
# reports of one event share («ضربتين» and «مقتل ٥» are the same air strike)
_DUAL = re.compile(r"(?<!\w)(?:و|ب|ل)?(?:قتيل|جريح|شهيد|شخص|عنصر)(?:ان|ين)(?!\w)")
# A channel's name in a source tag at the head of a line («الرافدين 24 |», "Baghdad 24:"): no count
_SOURCE_TAG = re.compile(r"(?m)^([^\n|:\d]{2,40}?\s)\d{1,3}(\s*[|:])")
# ... and a channel's signature at the end of a post, after its emoji («📡 أخبار ذي قار 24», "📰 Baghdad Today 24")
_SIGNATURE_TAG = re.compile(r"([📡📰📢📣🔗🌐📲📱🗞@]\ufe0f?\s*[^\W\d][^\d|:]{1,30}?\s)\d{1,3}\s*$")
# Weekdays and weapon kinds, Arabic forms normalised as normalize_for_match leaves them.
WEEKDAYS = {
    "sat": ("السبت", "saturday"), "sun": ("الاحد", "sunday"), "mon": ("الاثنين", "monday"),
    "tue": ("الثلاثاء", "tuesday"), "wed": ("الاربعاء", "wednesday"), "thu": ("الخميس", "thursday"),
    "fri": ("الجمعه", "friday"),
}
WEAPONS = {
    "drone": ("مسيره", "مسيرات", "مسير", "درون", "drone", "drones", "uav", "uavs"),
    "rocket": ("صاروخ", "صواريخ", "صاروخين", "كاتيوشا", "غراد", "rocket", "rockets", "katyusha", "grad", "missile",
               "missiles"),
    "ied": ("عبوه", "عبوات", "لاصقه", "ied", "ieds", "roadside bomb", "sticky bomb"),
    "mortar": ("هاون", "mortar", "mortars"),
    "grenade": ("رمانه يدويه", "رمانات يدويه", "رمانه", "قنبله يدويه", "قنابل يدويه", "grenade", "grenades"),
}


@dataclass(frozen=True, slots=True)
class Anchors:
    places: frozenset[str]
    numbers: frozenset[int]
    days: frozenset[str] = frozenset()
    weapons: frozenset[str] = frozenset()

    def place_match(self, other: Anchors) -> bool | None:
        """At the finest place level both name: do they share a place? None when they never both name one."""
        if not self.places or not other.places:
            return None
        own, others = _by_level(self.places), _by_level(other.places)
        for level, (mine, theirs) in enumerate(zip(own, others, strict=True)):
            if level == 2 and any(own[:2]) and any(others[:2]):
                return None  # both name places in Iraq: a country beside them is a direction or a blamed state
            if mine and theirs:
                if mine & theirs:
                    return True
                if level == 0 and Gazetteer.default().nested(mine, theirs):
                    return None  # a camp and the district it lies in: neither agreement nor conflict
                return False
        return None

    def compare(self, other: Anchors, update: bool = False, counts: bool = True) -> tuple[bool, int]:
        """``(conflict, agreement)`` in one pass.

        conflict: evidence of two different events: at the finest place level both name, no place in
        common; or different weekdays, weapons, or counts ("3 rockets" vs "6 rockets"). ``update``: one
        post is an update whose toll has risen since the other («ارتفاع الحصيلة إلى ثلاثة» "today,
        Wednesday", of Tuesday night's attack): counts that differ are no conflict, nor weekdays one apart.
        agreement: how many kinds of anchor corroborate each other (a place in common at that level, the
        same weapon, a number in common, the same weekday: 0-4). Translations of one report usually
        agree on two or more. ``counts=False``: counts that differ are no conflict (the weekdays and the rest
        still are)."""
        place = self.place_match(other)
        found = (_counts(self.numbers), _counts(other.numbers))
        pairs = ((self.days, other.days), (self.weapons, other.weapons), found)
        # after a risen toll, counts may differ and weekdays be one apart
        checked = pairs[1:2] if update else pairs if counts else pairs[:2]
        conflict = place is False or any(a and b and not a & b for a, b in checked)
        if update and self.days and other.days:
            conflict = conflict or not _days_near(self.days, other.days)
        agreement = bool(place) + sum(bool(a & b) for a, b in pairs[:2]) + bool(self.numbers & other.numbers)
        return conflict, agreement

    def conflicts(self, other: Anchors) -> bool:
        return self.compare(other)[0]


_WEEK = tuple(WEEKDAYS)  # sat .. fri


def _days_near(a: frozenset[str], b: frozenset[str]) -> bool:
    """Weekdays of the two sets the same or one apart (Friday and Saturday too)."""
    return any((_WEEK.index(x) - _WEEK.index(y)) % 7 in (0, 1, 6) for x in a for y in b if x in _WEEK and y in _WEEK)


def _counts(found: frozenset[int]) -> frozenset[int]:
    return frozenset(n for n in found if n < MEASURE)


@lru_cache(maxsize=65536)
def _by_level(places: frozenset[str]) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """A place set split by level, finest first (fine, governorate, country): computed once per set, as
    story matching compares each post's places with many others."""
    gaz = Gazetteer.default()
    return gaz.at_level(places, 2), gaz.at_level(places, 1), gaz.at_level(places, 0)


class Gazetteer:
    """Surface forms (``cues/places.yaml``) and levels. ``levels`` is the administrative gazetteer
    (``events/gazetteer.yaml``): its ``countries`` are level 0, its ``governorates`` level 1, everything
    else (districts, towns, bases, squares) the fine level 2."""

    def __init__(self, places: dict[str, list[str]], levels: dict[str, Any] | None = None) -> None:
        arabic: list[tuple[str, str]] = []
        latin: list[tuple[str, str]] = []
        spoken: list[tuple[str, str]] = []  # dialect spellings (ق as ك or گ) of Arabic forms
        for canon, forms in places.items():
            for form in forms:
                norm = normalize_for_match(form).replace("-", " ")
                if _ARABIC.search(norm):
                    arabic.append((norm, canon))
                    spoken.extend((variant, canon) for variant in dialect_variants(norm)[1:])
                else:
                    latin.append((norm, canon))
        arabic.extend(spoken)  # after every written form, so that one keeps its place
        arabic.sort(key=lambda x: -len(x[0]))  # longest forms first: "مطار اربيل" wins over "اربيل"
        latin.sort(key=lambda x: -len(x[0]))
        self._arabic = arabic
        self._latin = (re.compile(r"(?<!\w)(" + "|".join(re.escape(f) for f, _ in latin) + r")(?!\w)")
                       if latin else None)
        self._latin_map = dict(latin)
        self._arabic_rx: re.Pattern[str] | None = None
        self._arabic_map: dict[str, str] = {}
        levels = levels or {}
        self.level = {pid: 0 for pid in levels.get("countries") or ()}
        self.level.update({pid: 1 for pid in levels.get("governorates") or ()})
        # the fine places' parents at the fine level (a camp's or a town's district)
        districts = levels.get("districts") or {}
        self.parent = {pid: str(entry["in"]) for pid, entry in (levels.get("places") or {}).items()
                       if isinstance(entry, dict) and entry.get("in") in districts}
        # a site inside a town or site of its district (``within``: Camp Taji at Taji)
        self.within = {pid: str(entry["within"]) for pid, entry in (levels.get("places") or {}).items()
                       if isinstance(entry, dict) and entry.get("within")}

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> Gazetteer:
        root = resources.files("classifiers")
        places = yaml.safe_load(root.joinpath("cues", "places.yaml").read_text("utf-8")) or {}
        levels = yaml.safe_load(root.joinpath("events", "gazetteer.yaml").read_text("utf-8")) or {}
        return cls(places, levels)

    def nested(self, mine: frozenset[str], theirs: frozenset[str]) -> bool:
        """Does a fine place of one set lie inside one of the other's (a camp in the district named, a site
        within the town named)?"""
        return any(self.parent.get(a) in theirs or self.within.get(a) in theirs for a in mine) or any(
            self.parent.get(b) in mine or self.within.get(b) in mine for b in theirs)

    def at_level(self, places: frozenset[str], level: int) -> frozenset[str]:
        return frozenset(p for p in places if self.level.get(p, 2) == level)

    def _arabic_regex(self) -> re.Pattern[str]:
        """The Arabic forms as one leftmost-longest pattern (compiled on first use)."""
        if self._arabic_rx is None:
            self._arabic_rx = re.compile(trie_regex(f for f, _ in self._arabic))
            for form, canon in self._arabic:
                self._arabic_map.setdefault(form, canon)
        return self._arabic_rx

    def spans(self, norm: str) -> list[tuple[int, int, str]]:
        """``(start, end, id)`` of every place a text already through ``normalize_for_match`` names, in text
        order: Arabic forms leftmost-longest in one pass (as the extraction reads them: «معسكر التاجي شمالي
        بغداد» is Camp Taji, not «التاجي شمالي بغداد», the town), then Latin forms on word boundaries in what
        the Arabic ones left (blanked to the same length, so positions stay true)."""
        norm = norm.replace("-", " ")
        arabic = self._arabic_regex()
        found = [(m.start(), m.end(), self._arabic_map[m.group(0)]) for m in arabic.finditer(norm)
                 if not is_nisba(norm, m.start(), m.end())]
        if self._latin is not None:
            blanked = arabic.sub(lambda m: " " * len(m.group(0)), norm)
            found += [(m.start(1), m.end(1), self._latin_map[m.group(1)]) for m in self._latin.finditer(blanked)]
        return sorted(found)

    def places(self, text: str) -> frozenset[str]:
        """The places a text names (``spans``)."""
        return frozenset(pid for _, _, pid in self.spans(normalize_for_match(text)))


def _terms(norm: str, table: dict[str, tuple[str, ...]]) -> frozenset[str]:
    found = set()
    for key, forms in table.items():
        for form in forms:
            if (form in norm) if _ARABIC.search(form) else re.search(rf"(?<!\w){re.escape(form)}(?!\w)", norm):
                found.add(key)
                break
    return frozenset(found)


def numbers(norm: str) -> frozenset[int]:
    """The small counts a text states, and its measures (hours, days, km) as ``MEASURE + n``: "a 72h
    ultimatum" and «مهلة ٧٢ ساعة» agree on 72, while "after 48 hours without power" and «خلال 24 ساعة»
    do not disagree (counts of rockets or victims do)."""
    norm = _SIGNATURE_TAG.sub(r"\1", _SOURCE_TAG.sub(r"\1\2", norm))
    norm = _DATE_NUMBER.sub(" ", _UNIT_NUMBER.sub(" ", norm))
    found = {MEASURE + int(m.group(1)) for m in _MEASURE_NUMBER.finditer(norm) if 0 < int(m.group(1)) < MEASURE}
    norm = _MEASURE_NUMBER.sub(" ", norm)
    found |= {int(n) for n in _NUMBER.findall(norm) if 0 < int(n) < MEASURE}
    found |= {v for w, v in _WORDS.items() if re.search(rf"\b{w}\b", norm)}
    if _DUAL.search(norm):
        found.add(2)
    return frozenset(found)


_CAMEL_TAG = re.compile(r"#((?:[A-Z][a-z]+){2,})")
# "Tuesday's Eilat claim", "after Monday's clash": a weekday in the possessive names another event's day, not
# the post's own (a claim of Thursday's attack that recalls Tuesday's is no conflict with Thursday's report)
_POSSESSIVE_DAY = re.compile(r"(?<!\w)(?:mon|tues|wednes|thurs|fri|satur|sun)day['’]s(?!\w)")


def _split_camel(m: re.Match[str]) -> str:
    return "#" + " ".join(re.findall(r"[A-Z][a-z]+", m.group(1)))


# one who heard it, and where («سمعناه بالعامرية والغزالية», "heard it in Mansour"): where the hearer is, not
# where it happened
HEARER = re.compile(r"(?:(?<!\w)(?:سمعناها|سمعناه|سمعناهم|نسمعها|سمعتها|سمعته)\s*(?:ب|في |من )?"
                    r"|(?<!\w)heard (?:it|them) (?:in|from) )"
                    # (and the next place of a list: «سمعناه بالعامرية والغزالية»)
                    r"(?:\S+\s+(?:و|and )?(?:ب|بال|ال)?)?$")


def anchors(text: str, gazetteer: Gazetteer | None = None) -> Anchors:
    # links and handles out first: "t.me/wa3ed" holds no number, "@basra_news" names a channel, not a place
    text = _CAMEL_TAG.sub(_split_camel, text)  # "#AlQaim" names al-Qaim
    norm = normalize_for_match(clean_for_model(text))
    # a hashtag's digits name a channel or a campaign («#ديالى_24»), not a count
    counted = normalize_for_match(clean_for_model(_HASHTAG.sub(" ", text)))
    spans = (gazetteer or Gazetteer.default()).spans(norm)
    heard = frozenset(pid for start, _, pid in spans if HEARER.search(norm[max(0, start - 40) : start]))
    places = frozenset(pid for _, _, pid in spans) - references(norm, spans) - heard
    return Anchors(places, numbers(counted),
                   _terms(ASIDE.sub(" ", _POSSESSIVE_DAY.sub(" ", norm)), WEEKDAYS), _terms(norm, WEAPONS))


# An aside about another incident, to the end of its sentence ("NB: the refinery had an unrelated technical fire
# on Thursday afternoon", "separate from Sunday's IED", "Context: a new front group declared Zilkan a
# 'legitimate target' last night", «يذكر ان ...»): its weekday is that incident's, not this post's (nor its event
# record's time: ``classifiers.events.extract.event_time``)
ASIDE = re.compile(r"(?<!\w)(?:unrelated|separate|previous|prior|nb|n\.b\.|غير مرتبط\w*|منفصل\w*|"
                   r"(?:context|background)(?=\s*:)|for context|يذكر ان|للتذكير|"
                   r"غير (?:ال)?(?:وقفه|اعتصام|تظاهره|مظاهره|اضراب|هجوم|تفجير|انفجار|عبوه|حادث|حادثه))(?!\w)[^.;]*")


# a place named only to say where another lies («قضاء الرفاعي شمال الناصرية», "Adhaim, north of Baqubah")
_DIRECTION_AFTER_PLACE = re.compile(r"^(?:\s+(?:district|province|governorate|town|city|area|village))?[\s,،]*"
                                    r"(?:(?:ال)?(?:شمال|جنوب|شرق|غرب)ي?(?: (?:غرب|شرق)ي?)?|"
                                    r"(?:north|south|east|west|northeast|northwest|southeast|southwest) of)"
                                    r"\s+(?:(?:مدينه|محافظه|قضاء|مركز) )?$")


def references(norm: str, spans: list[tuple[int, int, str]]) -> frozenset[str]:
    """Places a text names only as the point another place it names lies from: the town after «شمال» /
    "north of" that follows a place (``spans``: the text's, from ``Gazetteer.spans``). Named elsewhere in the
    text on its own, a place is no reference."""
    norm = norm.replace("-", " ")
    named = Counter(pid for _, _, pid in spans)
    return frozenset(pid for (_, end0, _), (start, _, pid) in itertools.pairwise(spans)
                     if 0 <= start - end0 <= 25 and named[pid] == 1
                     and _DIRECTION_AFTER_PLACE.match(norm[end0:start]))
