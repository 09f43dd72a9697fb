"""Where a place is: the administrative gazetteer (``gazetteer.yaml``) over the surface forms of
``classifiers/cues/places.yaml`` (one source of truth for forms; this module adds the hierarchy and
coordinates). ``PlaceIndex.find`` names every place in a normalised text in one regex pass;
``PlaceIndex.resolve`` turns a place id into district, governorate, country, coordinates and precision."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from classifiers.events.trie import clitic_variants, dialect_variants, is_nisba, trie_regex
from classifiers.normalize import normalize_for_match

_ARABIC = re.compile(r"[\u0600-\u06FF]")
_LATIN = re.compile(r"[a-z]")


@dataclass(frozen=True, slots=True)
class Resolved:
    place: str
    name: str  # English display name
    level: str  # country | governorate | district | place
    district: str | None  # district id
    governorate: str | None  # governorate id
    country: str
    lat: float | None
    lon: float | None
    precision: str  # point | town | district | governorate | country


class PlaceIndex:
    def __init__(self, forms: dict[str, list[str]], admin: dict[str, Any]) -> None:
        self.countries: dict[str, dict[str, Any]] = admin.get("countries") or {}
        self.governorates: dict[str, dict[str, Any]] = admin.get("governorates") or {}
        self.districts: dict[str, dict[str, Any]] = admin.get("districts") or {}
        self.places: dict[str, dict[str, Any]] = admin.get("places") or {}
        self.english: dict[str, str] = {}
        arabic: dict[str, str] = {}
        latin: dict[str, str] = {}
        self.written: dict[str, str] = {}
        spoken: list[tuple[str, str, str]] = []  # dialect spellings of Arabic forms (dialect_variants)
        for pid, pforms in forms.items():
            for form in pforms:
                norm = normalize_for_match(form).replace("-", " ")
                if _ARABIC.search(norm):
                    for variant in clitic_variants(norm):
                        arabic.setdefault(variant, pid)
                        self.written.setdefault(variant, form)
                    spoken.extend((variant, pid, form) for variant in dialect_variants(norm)[1:])
                else:
                    latin.setdefault(norm, pid)
                    self.written.setdefault(norm, form)
                if pid not in self.english and not _ARABIC.search(form):
                    self.english[pid] = form
        for norm, pid, form in spoken:  # after every written form: a dialect spelling never takes one's place
            for variant in clitic_variants(norm):
                arabic.setdefault(variant, pid)
                self.written.setdefault(variant, form)
        self._arabic = re.compile(trie_regex(arabic))
        self._latin = re.compile(r"(?<!\w)(?:" + trie_regex(latin) + r")(?!\w)")
        self._arabic_map, self._latin_map = arabic, latin
        self._resolved: dict[str, Resolved | None] = {}

    @classmethod
    @lru_cache(maxsize=1)
    def default(cls) -> PlaceIndex:
        root = resources.files("classifiers")
        forms = yaml.safe_load(root.joinpath("cues", "places.yaml").read_text("utf-8")) or {}
        admin = yaml.safe_load(root.joinpath("events", "gazetteer.yaml").read_text("utf-8")) or {}
        return cls(forms, admin)

    def find(self, norm: str) -> list[tuple[int, int, str, str]]:
        """``(start, end, place id, form as the gazetteer writes it)`` for every place named in ``norm`` (a
        text through ``normalize_for_match``), in text order, leftmost-longest and non-overlapping."""
        norm = norm.replace("-", " ")
        out = [(m.start(), m.end(), self._arabic_map[m.group(0)], self.written[m.group(0)])
               for m in self._arabic.finditer(norm) if not is_nisba(norm, m.start(), m.end())]
        if _LATIN.search(norm):
            out += [(m.start(), m.end(), self._latin_map[m.group(0)], self.written[m.group(0)])
                    for m in self._latin.finditer(norm)]
            out.sort()
        return out

    def written_bare(self, pid: str, norm_form: str) -> str:
        """How the gazetteer writes a place found bare: its Arabic district name, or the ``bare:`` form."""
        entry = self.districts.get(pid) or self.places.get(pid) or {}
        for form in [entry.get("ar"), *(entry.get("bare") or ())]:
            if form and normalize_for_match(str(form)) == norm_form:
                return str(form)
        return norm_form

    def name(self, pid: str) -> str:
        for table in (self.districts, self.governorates, self.countries):
            if pid in table:
                return str(table[pid]["en"])
        return self.english.get(pid, pid.replace("_", " ").title())

    def resolve(self, pid: str) -> Resolved | None:
        if pid not in self._resolved:
            self._resolved[pid] = self._resolve(pid)
        return self._resolved[pid]

    def _resolve(self, pid: str) -> Resolved | None:
        if pid in self.countries:
            c = self.countries[pid]
            return Resolved(pid, c["en"], "country", None, None, pid, c.get("lat"), c.get("lon"), "country")
        if pid in self.governorates:
            g = self.governorates[pid]
            if g.get("city"):  # "Basra", "Kirkuk": the capital city
                seat = self.districts[g["seat"]]
                return Resolved(pid, g["en"], "governorate", g["seat"], pid, "iraq", seat["lat"], seat["lon"], "town")
            return Resolved(pid, g["en"], "governorate", None, pid, "iraq", g.get("lat"), g.get("lon"), "governorate")
        if pid in self.districts:
            d = self.districts[pid]
            return Resolved(pid, d["en"], "district", pid, d["gov"], "iraq", d.get("lat"), d.get("lon"), "town")
        if pid in self.places:
            p = self.places[pid]
            parent = p.get("in")
            if parent in self.countries:
                c = self.countries[parent]
                return Resolved(pid, self.name(pid), "place", None, None, parent, p.get("lat", c.get("lat")),
                                p.get("lon", c.get("lon")), _precision(p, "country"))
            if parent in self.governorates:
                g = self.governorates[parent]
                return Resolved(pid, self.name(pid), "place", None, parent, "iraq", p.get("lat", g.get("lat")),
                                p.get("lon", g.get("lon")), _precision(p, "governorate"))
            d = self.districts.get(parent)
            if d is None:
                return None
            return Resolved(pid, self.name(pid), "place", parent, d["gov"], "iraq", p.get("lat", d["lat"]),
                            p.get("lon", d["lon"]), _precision(p, "district"))
        return None


def _precision(place: dict[str, Any], fallback: str) -> str:
    """A base or crossing with its own coordinates is a point, a town a town; without coordinates the
    place stands at its parent's point, with the parent's precision."""
    if "lat" not in place:
        return fallback
    return "point" if place.get("kind") else "town"


# District names that are common words or names as well ("المدينة" the city, "بلد" a country, "الحي" the
# neighbourhood, "عنه" about him, "الدور" the role, "حديثه" his talk): never matched bare.
_AMBIGUOUS_BARE = frozenset({"midaina", "balad", "hai", "anah", "daur", "khidhir", "faris", "hamza", "shamiya",
                             "haditha", "salman", "hatra"})
# What marks a bare district name as a place: a preposition or "near" (the dialect's «گرب» too) or "in the
# middle of" before it (the dialect's «بالعمارة», «يم الرطبة»; «على» after a strike, «ضربوا مسيرة على حرير»), a
# noun it completes («سوق العمارة», «ضربة مخمور», «اهالي الزبير», «سيطرة هيت», «صحراء القائم»), a verb
# of attack it is the object of («تقصف مخمور»), a hashtag, or a dateline at the start of the post («الخالص
# مجددا..», «مخمور | ...»).
_BARE_BEFORE = (r"(?:(?<=\s)|^)(?:ب|في |قرب |گرب |وسط |اطراف |يم |صوب |بين |#|"
                # a direction from it, an area of it («شرقي القائم», «جنوب الحويجة», «منطقة العبيدي»)
                r"(?:شرقي|غربي|شمالي|جنوبي|شرق|غرب|شمال|جنوب|منطقه) |"
                # (with a preposition joined: «بمدخل هيت», «بسوق الخالص»)
                r"[بو]?(?:سوق|مدينه|اهالي|اهل|قري|بقري|شرطه|طريق|تقاطع|مفرق|مدخل|ضربه|هجوم|قصف|تفجير|انفجار|سيطره|صحراء|باديه|بلديه|"
                r"تقصف|يقصف|استهدف|استهدفت|تستهدف|يستهدف) |"
                # «على» (folded to «علي», as the name Ali is: «علي الرفاعي») only after a strike or a fall
                r"(?:ضرب|ضربوا|ضربت|هجوم|هجوما|قصف|قصفت|سقط|سقطت|سقوط|اطلاق|اطلقوا|استهداف)\s(?:\S+\s){0,2}علي )")
_BARE_DATELINE = r"^[^\w]*"
# Of those, the ones a people, a tribe, a police force or a district office still place («اهالي الشامية»,
# «فلاحين الشامية», «شرطة حديثة», «ناحية الخضر»), or a dateline with a separator after it («الشامية | ...»);
# not «الحي», «المدينة», «بلد», «الدور», which such words complete as often as not ("the neighbourhood's people").
_STRICT_BARE = frozenset({"anah", "khidhir", "faris", "hamza", "shamiya", "haditha", "salman", "hatra"})
_STRICT_BEFORE = (r"(?:(?<=\s)|^)(?:اهالي|اهل|فلاحي|فلاحين|فلاحو|مزارعي|عشائر|شرطه|مدخل|مفرق|قضاء|ناحيه|باديه|صحراء|"
                  r"مركز|قائممقاميه|مستشفي) ")


@lru_cache(maxsize=1)
def _bare_district_regex() -> tuple[re.Pattern[str], re.Pattern[str], dict[str, str]] | None:
    """One regex over the districts' Arabic names and the ``bare:`` places' names. A district's name opening
    the post is a dateline («الخالص مجددا..»); a ``bare:`` name, an ordinary word more often than a district's
    («حرير طبيعي»: silk), only with a separator after it («حرير | ...»)."""
    index = PlaceIndex.default()
    names: dict[str, str] = {}
    strict: dict[str, str] = {}
    for did, entry in index.districts.items():
        if not entry.get("ar"):
            continue
        if did in _AMBIGUOUS_BARE:
            if did in _STRICT_BARE:
                strict.setdefault(normalize_for_match(str(entry["ar"])), did)
            continue
        names.setdefault(normalize_for_match(str(entry["ar"])), did)
    words: dict[str, str] = {}
    for pid, entry in index.places.items():  # towns and sites whose names are ordinary words too ("bare:")
        for form in (entry.get("bare") or ()) if isinstance(entry, dict) else ():
            words.setdefault(normalize_for_match(str(form)), pid)
    if not names and not words:
        return None

    def alts(table: dict[str, str]) -> str:
        return "|".join(re.escape(n) for n in sorted(table, key=len, reverse=True)) or r"(?!x)x"

    rx = re.compile(rf"(?:{_BARE_BEFORE}|{_BARE_DATELINE})({alts(names)})(?!\w)"
                    rf"|{_BARE_BEFORE}({alts(words)})(?!\w)|{_BARE_DATELINE}({alts(words)})(?=\s*[|:\-–—.،])"
                    rf"|{_STRICT_BEFORE}({alts(strict)})(?!\w)|{_BARE_DATELINE}({alts(strict)})(?=\s*[|:\-–—.،])")
    # the other end of a road or a pair after a district found bare («طريق هيت - الرمادي», «بين هيت والرمادي»)
    rx_then = re.compile(rf"\s*(?:و|[-–]\s*)({alts(names)})(?!\w)")
    return rx, rx_then, {**words, **strict, **names}


def bare_spans(norm: str) -> list[tuple[int, int, str]]:
    """``(start, end, place id)`` of every district or ``bare:`` place named bare in an Arabic text already
    through ``normalize_for_match`` (see ``bare_districts``), in text order."""
    found = _bare_district_regex()
    if found is None or not _ARABIC.search(norm):
        return []
    rx, rx_then, names = found
    out = []
    for m in rx.finditer(norm):
        group = next(g for g in (1, 2, 3, 4, 5) if m.group(g) is not None)
        out.append((m.start(group), m.end(group), names[m.group(group)]))
        then = rx_then.match(norm, m.end(group)) if group == 1 else None
        if then is not None:
            out.append((then.start(1), then.end(1), names[then.group(1)]))
    return out


def bare_districts(norm: str) -> list[str]:
    """District ids (and ``bare:`` places: «#حرير», «قرب العظيم») named bare in an Arabic text already through
    ``normalize_for_match`` («بالعمارة», «قرب الدبس», «#الزبير», a dateline «مخمور |»), in text order: what the
    surface forms of ``places.yaml`` leave out because the bare word can mean something else; the extraction
    places a record there when the forms found nothing finer, and the story stage uses them where a post
    names no other place."""
    return list(dict.fromkeys(pid for _, _, pid in bare_spans(norm)))
