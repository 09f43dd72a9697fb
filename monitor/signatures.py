"""What story matching compares: a post's signature (multilingual embedding, MinHash of its words,
anchors, the key of its event record) and the rule that decides "same story".

The rule, with cosine bars tuned on half of the labeled pair sets (``bench/stories.py --tune``) and checked
on the story development feed (``--feed``):
- posts whose anchors conflict are different events: at the finest level both name, places that share
  none (``Ain al-Asad`` vs ``Erbil airport``), different weekdays, different weapons, disjoint counts
  ("3 rockets" vs "6 rockets"): formulaic claims and security bulletins differ in little else; so are
  two flagged posts whose labels share none (a protest, an assassination), and two event records that
  cannot be one (an attack and a protest; places in two districts, unless either text names the other's
  place; days more than one apart);
- within ``event_window_hours`` (12 h) of each other, two lower bars, for what a translation or a dialect
  retelling keeps when its wording shares nothing: two kinds of anchor agreeing (the same base and the
  same weapon), or event records that say one event (``EventKey.same_event``: the same kind of sub-event
  at the same district or finer, first actors compatible); past the window only a follow-up that dates
  its event back to the other's day ("last night's attack") joins on its event record;
- same language: embedding cosine high and word overlap (MinHash Jaccard) present, or cosine very high;
- different languages (a translation, an English outlet's report): embedding cosine alone, above a lower
  bar."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

import numpy as np
from datasketch import MinHash

from classifiers import langid
from classifiers.anchors import Anchors, Gazetteer, anchors
from classifiers.events.extract import CONTRAST_FROM_EN, WEEKDAY_NAMES
from classifiers.events.gazetteer import bare_districts
from classifiers.events.labels import claim_labels, labels_agree, labels_differ
from classifiers.normalize import clean_for_model, normalize_for_match
from monitor.models import POLITICAL_VIOLENCE

NUM_PERM = 64
_WORD = re.compile(r"\w+")
_STOP = frozenset({"عاجل", "breaking", "urgent", "the", "and", "of", "in", "on", "to", "a", "في", "من", "على",
                   "الى", "عن", "و", "ان"})


MARGIN_CAP = 0.99  # the highest bar ``open_margin`` / ``long_open_margin`` may set (threat 0.74 + 0.3 is 1.04)


@dataclass(frozen=True, slots=True)
class MatchConfig:
    """Thresholds of the rule. The cosine ones belong to an embedding space: a model directory's
    ``meta.json`` carries the ones tuned for its encoder (``story_thresholds``, ``bench/stories.py --tune``)
    and ``for_classifier`` applies them; these defaults are the 12-layer e5-small's."""

    same_lang_cos: float = 0.92  # with word overlap
    same_lang_jaccard: float = 0.05
    same_lang_cos_alone: float = 0.96  # near-identical meaning, little shared wording
    cross_lang_cos: float = 0.85
    corroborated_cos: float = 0.76  # either language, when two or more kinds of anchor agree
    event_cos: float = 0.84  # either language, when the event records say one event (EventKey.same_event)
    event_loose_cos: float = 0.90  # ... when they agree on type or place and the other is only compatible
    # ... the first bar where either post is in a language the encoder aligns less well with the others
    # (Kurdish, Persian, Turkish: a Sorani report and the English one of one drone strike sit at ~0.75), when
    # the records say one event at one place (same kind, same district or finer). 1.01: no bar of its own
    other_lang_event_cos: float = 1.01
    event_window_hours: float = 12.0  # ... and the posts are at most this far apart
    # ... when one record names no place at all and the other one does, the same kind of sub-event by
    # compatible actors (a dialect eyewitness, «صاروخ وگع يم المطار», and the wire report naming the
    # airport), at most ``unplaced_hours`` apart. 1.01: never
    event_unplaced_cos: float = 1.01
    unplaced_hours: float = 3.0
    quiet_jaccard: float = 0.5  # a quiet post joins a story only as a near-copy of a member (see near_copy)
    window_hours: float = 48.0
    # a flagged post opens an alert of its own only when one of its labels scores at least this far above
    # the label's threshold; a post under that margin is held (an unconfirmed story, no alert) until a
    # confident post or an independent report joins it (StoryIndex). 0: every flagged post under
    # ``long_post_chars`` opens an alert
    open_margin: float = 0.0
    # ... and a post of ``long_post_chars`` characters or more this far: a long post (an analysis, a speech,
    # a roundup) is scored by its best piece, and the more pieces, the likelier one crosses by chance (0 with
    # ``open_margin`` 0: every flagged post opens an alert)
    long_open_margin: float = 0.0
    long_post_chars: float = 400.0
    # ... and a post in another language than Arabic and English (Kurdish, Persian, Turkish: labelled by a
    # smaller head, and matched on an embedding that aligns them less well) at least this far (if larger)
    other_lang_open_margin: float = 0.0
    # the classifier's per-label thresholds (for_classifier fills them; the margin is measured from them)
    label_thresholds: tuple[tuple[str, float], ...] = ()
    # ... and those of posts of fewer than ``short_post_chars`` characters, where the classifier has a band of
    # its own (``short_thresholds``)
    short_label_thresholds: tuple[tuple[str, float], ...] = ()
    short_post_chars: float = 0.0
    # a logistic model over ``pair_features`` (bias first), fitted on the development feeds' pairs that the
    # rules above turn down (``bench/pair_model.py``); a pair of two event records within the event window at
    # ``event_cos`` or more joins when its probability reaches ``pair_bar``. (): no such model
    pair_weights: tuple[float, ...] = ()
    pair_bar: float = 1.01
    # a threat without its author's name and a threat in another language join at ``event_loose_cos`` when at
    # most this far apart (``EventKey.unnamed_threat_match``)
    threat_hours: float = 6.0
    # a flagged post that matches no story but comes this close (cosine, no conflict, a label in common) to a
    # member of an open story whose alert was raised, at most ``hold_near_hours`` earlier, is held like a
    # doubtful post: most such posts are one more report of that story that the rules could not place (a
    # dialect reaction, an eyewitness naming a street); a second independent report of its own still opens
    # its alert. 1.01: never
    hold_near_cos: float = 1.01
    # ... a threat alone, at most ``threat_hours`` earlier: two groups' threats of one morning read alike
    hold_near_threat_cos: float = 1.01
    hold_near_hours: float = 12.0

    @property
    def near_bar(self) -> float:
        """The lowest cosine a near miss needs (``near_miss``); above 1: near misses are never held."""
        return min(self.hold_near_cos, self.hold_near_threat_cos)

    @classmethod
    def for_classifier(cls, classifier: object, window_hours: float | None = None,
                       open_margin: float | None = None) -> MatchConfig:
        """The thresholds tuned for this classifier's embeddings (its ``meta["story_thresholds"]``), if any,
        with its per-label thresholds; ``window_hours`` and ``open_margin`` (None: the model's; 0: no holding
        at all, long posts' margin too) override."""
        tuned = dict(getattr(classifier, "meta", {}).get("story_thresholds", {}))
        unknown = set(tuned) - {f.name for f in fields(cls)} | (
            {"window_hours", "label_thresholds", "short_label_thresholds", "short_post_chars"} & set(tuned))
        if unknown:
            raise ValueError(f"story_thresholds: unknown keys {sorted(unknown)}")
        if window_hours is not None:
            tuned["window_hours"] = window_hours
        if open_margin is not None:
            tuned["open_margin"] = open_margin
            if open_margin <= 0:  # an override of 0 turns holding off, long posts' too
                tuned["long_open_margin"] = 0.0
        thresholds = getattr(classifier, "thresholds", None) or {}
        weights = tuple(float(w) for w in tuned.pop("pair_weights", ()))
        if weights and len(weights) != len(PAIR_FEATURES) + 1:
            raise ValueError(f"story_thresholds.pair_weights: {len(weights)} weights for "
                             f"{len(PAIR_FEATURES)} features and a bias")
        short = getattr(classifier, "short_thresholds", None) or {}
        return cls(**{k: float(v) for k, v in tuned.items()}, pair_weights=weights,
                   label_thresholds=tuple(sorted((str(k), float(v)) for k, v in thresholds.items())),
                   short_label_thresholds=tuple(sorted((str(k), float(v)) for k, v in short.items())),
                   short_post_chars=float(getattr(classifier, "short_chars", 0) or 0) if short else 0.0)

    def confident(self, scores: dict[str, float], labels: list[str], chars: int = 0, lang: str | None = None) -> bool:
        """Whether a flagged post of ``chars`` characters (stripped, as the classifier's length bands count
        them: ``classifiers.model.in_short_band``) may open an alert alone: one of its labels at least
        ``open_margin`` (``long_open_margin`` for a long post, if larger) above its threshold. Always, where
        that margin is 0 (holding off) or no thresholds are known."""
        margin = max(self.open_margin, self.long_open_margin) if chars >= self.long_post_chars else self.open_margin
        if langid.is_other(lang):
            margin = max(margin, self.other_lang_open_margin)
        if margin <= 0 or not self.label_thresholds:
            return True
        bars = dict(self.short_label_thresholds if self.short_label_thresholds and chars < self.short_post_chars
                    else self.label_thresholds)
        # (a bar the score cannot reach is capped: a militia's long statement at 0.995 threat opens its alert)
        return any(scores.get(lb, 0.0) >= max(bars.get(lb, 0.0), min(bars.get(lb, 0.0) + margin, MARGIN_CAP))
                   for lb in labels)


def words(text: str) -> set[str]:
    norm = normalize_for_match(clean_for_model(text)).replace("#", " ")
    return {w for w in _WORD.findall(norm) if len(w) > 1 and w not in _STOP}


# An empty sketch to copy from: MinHash draws its permutations from a seeded RandomState in the
# constructor, which cost more than hashing a post's words; a copy shares them (same values as a fresh one)
_EMPTY_MINHASH = MinHash(num_perm=NUM_PERM, seed=7)


def minhash(tokens: set[str]) -> np.ndarray:
    mh = _EMPTY_MINHASH.copy()
    mh.update_batch([t.encode() for t in sorted(tokens)])
    return mh.hashvalues.astype(np.uint64)


# ACLED types as story matching compares them: reports of one event mix up the types of violence (a claim's
# "explosion" is a report's "attack on civilians"), so they are one family; protests and riots another. A
# threat, or a strategic development (an arrest after the attack, a statement), goes with either.
_PROTESTERS = "Protesters (Iraq)"
_TRIBESMEN = "Tribesmen (Iraq)"
_ISIS = "Islamic State (ISIS)"
_LABOUR = "Labour Group (Iraq)"
_FAMILY = {**dict.fromkeys(POLITICAL_VIOLENCE, "violence"), "Protests": "unrest", "Riots": "unrest"}


# Sub-event types that reports of one event mix up: a shooting is an "attack" in one post and a "clash" in
# another, a strike from the air is a drone strike to one witness and shelling to the next, a protest that
# burns tyres is a "violent demonstration" to one channel and a "protest" to another.
_NAMED_CLASH = "Armed clash, armed"  # a clash whose weapons the text names (``EventKey.of``)
_SUB_KIND = {"Armed clash": "gunfire", _NAMED_CLASH: "gunfire", "Attack": "gunfire",
             "Remote explosive/landmine/IED": "blast", "Suicide bomb": "blast", "Grenade": "blast",
             "Air/drone strike": "strike", "Shelling/artillery/missile attack": "strike",
             "Peaceful protest": "protest", "Protest with intervention": "protest", "Violent demonstration": "protest",
             "Excessive force against protesters": "protest"}


_GENERIC_SUB = "Armed clash"  # what the extraction says of an attack it cannot place in a finer type
# An explosion the text names only as one ("two blasts", «انفجار»: the extraction's weapon "bomb") is an IED
# to the extraction, but as often the rocket or the drone another report names: a type of its own here,
# one kind with itself, compatible with any other type of violence (as the catch-all "Armed clash" is)
_VAGUE_BLAST = "Explosion"
_VAGUE = frozenset({_GENERIC_SUB, _VAGUE_BLAST})  # (a clash whose weapons the text names is not: _NAMED_CLASH)
_NO_BLAST = frozenset({"Abduction/forced disappearance", "Sexual violence"})  # what a bare "explosion" never is


def _is_strike(sub: str) -> bool:
    """An air or drone strike, or shelling: fired from afar."""
    return _SUB_KIND.get(sub) == "strike"


@dataclass(frozen=True, slots=True)
class EventKey:
    """What story matching compares of a post's event record: its family (an attack and a protest are two
    events), its ACLED sub-event type, its place (gazetteer id, with the district and governorate it lies
    in), its first actor and the day the text puts it on (when the text moves it: "yesterday", a weekday).

    Two uses: a **veto** (two families; two places in different districts, neither inside the other;
    ``compare`` adds days more than one apart) and an **event-anchored match** (``same_event``: the same
    kind of sub-event at the same place or one inside the other, first actors compatible), which lets a
    translation or a dialect retelling join at a lower cosine bar within a few hours. Actors never veto:
    their extraction errors split more true stories than they kept apart (measured on the story
    development feed)."""

    family: str = ""  # violence | unrest | "" (a threat or a strategic development goes with either)
    sub: str = ""
    place: str = ""
    district: str = ""
    governorate: str = ""
    country: str = ""
    actor1: str = ""
    day: str = ""  # YYYY-MM-DD (Baghdad) of event_time when the text moved it ("yesterday"), else ""
    follow: str = ""  # "1": the text reports what came after an event it refers back to (``FOLLOW_UP``)
    distinct: str = ""  # "1": the text says its event is another one than an earlier (``DISTINCT``);
    # "past": than one of an earlier day ("separate from yesterday's find"); "at:<place id>": than one at
    # the place it names ("separate incident from the Sulaiman Bek IED")
    site: str = ""  # a protest's institution (the record's ``target``: "education directorate")
    deadline: str = ""  # a threat's deadline, as ``threat_deadline`` reads it ("h72", "month_end")
    advisory: str = ""  # "1": a diplomatic mission's security alert (``ADVISORY``), not the threat it warns of
    groups: str = ""  # the faction labels the registry does not know («سرايا أولياء الفجر»), ``claim_labels``
    # keys joined by "|": two threats or claims signed by two of them are two events (``compare``)
    claims: str = ""  # "1": the text claims an act («يتبنى إطلاق صاروخ»): a faction's claim is not its threat
    actor2: str = ""  # the record's second actor (whom the attack hit): ``_two_sides_hit``
    found: str = ""  # "1": a weapon told as found or defused before use (``_FOUND_WORDS``): ``_found_and_fired``
    voice: str = ""  # a threat's: "plot" (intelligence of a planned attack, no threatener speaking) or "declared"
    # (a threatener's own words or a report of them: "legitimate targets", an ultimatum): ``two_voices``

    @classmethod
    def of(cls, event: dict[str, Any] | None) -> EventKey | None:
        if not event or not event.get("event_type"):
            return None
        family = _FAMILY.get(str(event.get("event_type") or ""), "")
        loc = event.get("location") or {}
        place = str(loc.get("place") or "")
        district = governorate = country = ""
        if place:
            resolved = _places().resolve(place)
            if resolved is not None:
                district, governorate = resolved.district or "", resolved.governorate or ""
                country = resolved.country or ""
        basis = str(event.get("time_basis") or "post")
        sub = str(event.get("sub_event_type") or "")
        # a threat is made when it is posted: the day its text names is the one of the act it answers ("vows
        # revenge for the fighters killed on Sunday")
        day = _local_day(str(event.get("event_time") or "")) if basis != "post" and sub != "Threat" else ""
        if sub == "Remote explosive/landmine/IED" and event.get("weapon") == "bomb":
            sub = _VAGUE_BLAST
        elif sub == _GENERIC_SUB and event.get("weapon"):
            sub = _NAMED_CLASH  # a clash the text arms ("RPGs and medium machine guns"): not the catch-all
        actor1 = str(event.get("actor1") or "")
        if family == "unrest" and event.get("actor2") == _PROTESTERS and actor1 != _PROTESTERS:
            actor1 = str(event.get("assoc_actor_2") or _PROTESTERS)  # (force told as an attack: the forces first)
        elif family == "unrest" and event.get("assoc_actor_1"):
            actor1 = str(event["assoc_actor_1"])  # who protests: graduates and retirees in one square are two events
        site = str(event.get("target") or "") if family == "unrest" else ""
        return cls(family, sub, place, district, governorate, country, actor1, day, site=site,
                   actor2=str(event.get("actor2") or "") if family == "violence" else "")

    @property
    def alert(self) -> bool:
        """A mission's security alert itself: a record typed Threat and flagged ``advisory`` (a roundup or an
        attack report that mentions one is flagged, but typed otherwise)."""
        return self.sub == "Threat" and self.advisory == "1"

    def placed(self, place: str) -> EventKey:
        """The same record at ``place`` (a gazetteer id; unchanged when the gazetteer does not know it)."""
        resolved = _places().resolve(place)
        if resolved is None:
            return self
        return replace(self, place=place, district=resolved.district or "", governorate=resolved.governorate or "",
                       country=resolved.country or "")

    def place_relation(self, other: EventKey) -> int:
        """1: the same place, one inside the other, or two places of one district; -1: two places that
        cannot be one (neither inside the other, and in different districts, or different governorates or
        countries where the finer level is unknown); 0: unknown (a record without a place)."""
        if not self.place or not other.place:
            return 0
        if self.place == other.place or self.place in other._chain() or other.place in self._chain():
            return 1
        if self.district and other.district:
            return 1 if self.district == other.district else -1
        if self.governorate and other.governorate and self.governorate != other.governorate:
            return -1
        if self.country and other.country and self.country != other.country:
            return -1
        return 0

    def _chain(self) -> tuple[str, ...]:
        return (self.place, self.district, self.governorate, self.country)

    def conflicts(self, other: EventKey | None, mine: frozenset[str] = frozenset(),
                  theirs: frozenset[str] = frozenset()) -> bool:
        """Two events that cannot be one: an attack and a protest, or two places that cannot be one
        (``place_relation``) unless either text names a place that fits the other's
        record (``mine``/``theirs``: every place each text names): a record holds one place, and of a
        convoy hit "on the Samawah–Nasiriyah road" one channel's record says Samawah, another's Nasiriyah."""
        if other is None:
            return False
        if self.family and other.family and self.family != other.family:
            return True
        if self.site and other.site and self.site != other.site:
            return True  # farmers at the water resources directorate, lecturers at the education directorate
        if self.place_relation(other) >= 0:
            return False
        return not (other._fits_any(mine) or self._fits_any(theirs))

    def strikes_back_at(self, other: EventKey) -> bool:
        """An air strike by a state's forces (the Iraqi air force, the coalition, Turkey), beside an
        insurgents' ground attack (an ISIS ambush, a clash): the strikes that answer the attack in the same
        valley hours later are an event of their own (``compare``). Insurgents have no aircraft, so the air
        strike's first actor is no victim the extraction put first. Not a follow-up ("a sweep for the
        attack's perpetrators, with army aviation's support"): that refers back to the attack."""
        kinds = _actor_kinds()
        return (self.sub == _AIR_STRIKE and not self.follow and kinds.get(self.actor1) in _STATE_KINDS
                and other.family == "violence" and _SUB_KIND.get(other.sub, other.sub) != _SUB_KIND[_AIR_STRIKE]
                and kinds.get(other.actor1) == "insurgent")

    def _fits_any(self, places: frozenset[str]) -> bool:
        """Does one of ``places`` (gazetteer ids) hold this record's place, or lie inside it?"""
        return any(pid in self._chain() or self.place in _chain_of(pid) for pid in places)

    def same_event(self, other: EventKey | None) -> int:
        """How strongly the records say one event, given first actors that agree (``_actors_agree``; else
        0): 2 when the sub-event types are of one kind (``_SUB_KIND``) and the places are one (the same, or
        one inside the other) at district level or finer; 1 when one of the two holds and the other is only
        compatible (a governorate holding the other's town; a statement, an arrest or the catch-all "Armed
        clash" beside a specific type); else 0, and always 0 when a record has no place or both name only
        a governorate: nothing then says where, and reports of two towns' events look alike (of two
        threats, when either names only a governorate)."""
        if other is None or not self.sub or not _actors_agree(self.actor1, other.actor1):
            return 0
        relation = self.place_relation(other)
        if relation <= 0 or (self._coarse() and other._coarse()):
            return 0
        if (self.sub != other.sub and (self.sub not in _VAGUE or _is_strike(other.sub))
                and (other.sub not in _VAGUE or _is_strike(self.sub))
                and self.place != other.place and self.place not in other._chain()
                and other.place not in self._chain()
                and _level_name(self.place) == _level_name(other.place) == "place"):
            return 0  # two sites of one district and two weapons: rockets on the airport, a drone on the oil field;
            # a strike from the air is no "clash" told without its weapons at another site (gunmen at the
            # Iskandariyah checkpoint, a drone over Jurf al-Nasr)
        if self.grounded_against(other) or other.grounded_against(self):
            return 0
        wide = self._coarse() or other._coarse()
        if self.family == other.family == "unrest" and self._across_districts(other):
            return 0  # contract workers at a directorate "in Basra" and residents blocking a road in Zubair
        if self.sub == other.sub == "Threat" and (wide or self._across_districts(other)):
            return 0  # a threat's place is its target's: "Baghdad" holds a tribe's ultimatum and ISIS's car bomb
        place = 1 if wide else 2  # "Maysan" holds "Amarah": compatible, not one
        if (self.sub == "Threat") != (other.sub == "Threat") and not (
                self.follow if self.sub == "Threat" else other.follow):
            return 0  # a threat and an attack: one event only where the threat answers it ("revenge for ...")
        if _SUB_KIND.get(self.sub, self.sub) == _SUB_KIND.get(other.sub, other.sub):
            kind = 2
        elif (not self.family or not other.family or self.sub in _VAGUE or other.sub in _VAGUE) and not (
                self._across_districts(other)) and not (
                _VAGUE_BLAST in (self.sub, other.sub) and {self.sub, other.sub} & _NO_BLAST):
            # a statement or an arrest about the event, the catch-all "clash", a bare "explosion" (not where
            # the places are one only through a governorate named like its capital: "Basra" and al-Deir)
            kind = 1
        else:
            return 0  # an IED and a shooting in one town: two events (the same town "again")
        return 2 if place + kind == 4 else 1 if place + kind == 3 else 0

    def grounded_against(self, other: EventKey) -> bool:
        """An insurgents' attack told without its weapons (ISIS fighters "attacked an army post": the
        catch-all clash) beside an air or drone strike that no state's forces are said to have flown:
        insurgents have no aircraft, and an unclaimed drone over a PMF headquarters in the same district
        that morning is another event. (The army aviation that answered the attack is a state's: one event
        within hours, ``strikes_back_at`` after.)"""
        kinds = _actor_kinds()
        return (self.sub in _VAGUE and kinds.get(self.actor1) == "insurgent" and other.sub == _AIR_STRIKE
                and kinds.get(other.actor1) not in _STATE_KINDS and other.actor1 != self.actor1)

    def unplaced_match(self, other: EventKey | None) -> bool:
        """An attack of the same kind by compatible first actors, where exactly one of the two records
        names a place (the other none at all: not even a governorate). Not threats (``same_threat``) nor
        protests, nor the catch-all types (a clash, a bare explosion): a day holds many of them, and a
        placeless report fits any."""
        return (other is not None and self.family == other.family == "violence" and not self.follow
                and not other.follow and bool(self.place) != bool(other.place) and self.sub not in _VAGUE
                and other.sub not in _VAGUE and _actors_agree(self.actor1, other.actor1)
                and _SUB_KIND.get(self.sub, self.sub) == _SUB_KIND.get(other.sub, other.sub))

    def continues(self, other: EventKey | None) -> bool:
        """Two reports of one named group's protest (teachers, graduates, workers ...; not "protesters")
        whose places do not differ: one or both may name none («اليوم الثاني من الاعتصام ✊ نمنا بالخيم»).
        ``same_story`` asks it of a follow-up past the event window, at the same-language cosine bar."""
        return (other is not None and self.family == other.family == "unrest" and bool(self.actor1)
                and self.actor1 == other.actor1 and self.actor1 in _protest_groups()
                and self.place_relation(other) >= 0)

    def same_threat(self, other: EventKey | None) -> bool:
        """Two threats by one named perpetrator (a militia, an insurgent group, a foreign state): its
        statement, the statement's translation and a dialect retelling name the group and rarely a place
        («كتائب حزب الله تمهل القوات الأمريكية»). Hours apart, they are one threat; ``same_story`` asks the
        event-record bar of them."""
        return (other is not None and self.sub == other.sub == "Threat" and bool(self.actor1)
                and self.actor1 == other.actor1 and _actor_kinds().get(self.actor1) in _PERPETRATOR_KINDS)

    def signed_alike(self, other: EventKey) -> bool:
        """Signed by one faction label the registry does not know, in one script or two (``labels_agree``:
        «سرايا الحسم» and "Saraya al-Hasm"), both a claim or neither."""
        return (bool(self.groups and other.groups) and self.claims == other.claims
                and labels_agree(self._labels(), other._labels()))

    def signed_apart(self, other: EventKey) -> bool:
        """Signed by two faction labels the registry does not know (``labels_differ``)."""
        return bool(self.groups and other.groups) and labels_differ(self._labels(), other._labels())

    def _labels(self) -> frozenset[str]:
        return frozenset(self.groups.split("|"))

    def unnamed_threat_match(self, other: EventKey | None) -> bool:
        """Two threats, one of them (or both) without an author, or both by the same one that names no
        perpetrator («عشيرة», "a tribe"): a translation or a report of a faction's ultimatum that says only
        "the factions" («الفصائل هددت ...»), or a tribe's, which ``same_threat`` cannot match.
        ``same_story`` asks it only across languages, within ``threat_hours``, at ``event_loose_cos``:
        two groups' threats of one morning in one language look alike, and chained on the development
        feeds."""
        return (other is not None and self.sub == other.sub == "Threat"
                and (not self.actor1 or not other.actor1 or self.actor1 == other.actor1))

    def same_deadline(self, other: EventKey | None) -> bool:
        """Two threats that give the same deadline ("72 hours", «حتى نهاية الشهر», «عشرة أيام»), by first
        actors that may be one (``_actors_agree``): a statement and its retellings keep its deadline when
        they lose its author's name («الكتائب عطت الأمريكان مهلة لآخر الشهر») or the extraction puts
        another side first. Two groups' threats of one morning rarely give the same one. ``same_story``
        asks it within ``threat_hours``, at the event-record bar, in one language or two, and after that, the
        next day too (a forward that reminds of the deadline), at the loose bar."""
        return (other is not None and self.sub == other.sub == "Threat" and bool(self.deadline)
                and self.deadline == other.deadline and _actors_agree(self.actor1, other.actor1))

    def two_deadlines(self, other: EventKey) -> bool:
        """Two threats that give two different deadlines ("within a week", "72 hours"): two ultimatums, however
        alike their places and words (a statement's retellings keep its deadline: ``same_deadline``)."""
        return (self.sub == other.sub == "Threat" and bool(self.deadline) and bool(other.deadline)
                and self.deadline != other.deadline)

    def two_voices(self, other: EventKey) -> bool:
        """A plot that intelligence reports (a car bomb planned for a market) and a threatener's declaration (a
        faction's "legitimate targets" to a company's staff): two threats, however close in place and time."""
        return (self.sub == other.sub == "Threat" and bool(self.voice) and bool(other.voice)
                and self.voice != other.voice)

    def same_place(self, other: EventKey | None) -> bool:
        """The same place, or one inside the other, both at district level or finer."""
        return (other is not None and self.place_relation(other) > 0 and not self._coarse()
                and not other._coarse())

    def _across_districts(self, other: EventKey | None) -> bool:
        """Two places ``place_relation`` relates only through a governorate named like its capital: "Basra"
        read as the city (its district) and al-Deir in Qurna district. The text may have meant the
        governorate («شمالي البصرة»), so for attacks and protests the two stay one place within the event
        window; for two threats, whose place is only their target's, the governorate holds too many (a
        tribe's ultimatum in al-Deir, an unknown group's to the oil companies "in Basra"), and so does it a
        day later (last night's shooting "in central Basra" and today's tribal clash in al-Deir)."""
        return bool(other is not None and self.district and other.district and self.district != other.district)

    def in_capital(self) -> bool:
        """Placed only at a capital that spans several districts ("Baghdad"): a day's many events there look
        alike to a follow-up naming no finer place."""
        return self.place in _MULTI_DISTRICT_CITIES

    def _coarse(self) -> bool:
        """A place at governorate or country level (or none). A governorate named like its capital
        ("Basra", "Kirkuk") is the city, as the gazetteer reads it, unless the city spans several districts
        (Baghdad)."""
        if not self.place:
            return True
        if self.place == self.country:
            return True
        return self.place == self.governorate and not _one_district_city(self.place)

    def to_wire(self) -> list[str]:
        return [self.family, self.sub, self.place, self.district, self.governorate, self.country, self.actor1,
                self.day, self.follow, self.distinct, self.site, self.deadline, self.advisory, self.groups,
                self.claims, self.actor2, self.found, self.voice]


# First actors that identify a perpetrator: two different ones say two events. The others (Iraqi or Kurdish
# state forces, civilians, protesters, a claim front, "unidentified gunmen") are as often the reporting
# side or a victim the extraction put first ("police: a policeman was killed..."), so they never disagree.
_PERPETRATOR_KINDS = frozenset({"militia", "insurgent", "foreign_state"})
_STATE_KINDS = frozenset({"state", "foreign_state", "kurdish_state"})
_AIR_STRIKE = "Air/drone strike"
_STRIKE_BACK_HOURS = 6.0  # an air strike this long after an insurgents' attack answers it (``strikes_back_at``)


@lru_cache(maxsize=1)
def _actor_kinds() -> dict[str, str]:
    from classifiers.events.actors import ActorRegistry

    return {actor.name: actor.kind for actor in ActorRegistry.default().actors.values()}


# The groups a protest is of (registry ids): graduates in Tahrir Square on Sunday and retirees there on
# Tuesday are two protests; "protesters" alone says nothing of which.


@lru_cache(maxsize=1)
def _protest_groups() -> frozenset[str]:
    from classifiers.events.actors import ActorRegistry
    from classifiers.events.extract import PROTEST_GROUPS

    return frozenset(a.name for aid, a in ActorRegistry.default().actors.items() if aid in PROTEST_GROUPS)


def _actors_agree(a: str, b: str) -> bool:
    """First actors that may be one: the same, one missing, or either not a perpetrator kind (nor, of
    protests, a named group)."""
    if not a or not b or a == b:
        return True
    groups = _protest_groups()
    if a in groups and b in groups:
        return False
    kinds = _actor_kinds()
    return not (kinds.get(a) in _PERPETRATOR_KINDS and kinds.get(b) in _PERPETRATOR_KINDS)


_BAGHDAD = timezone(timedelta(hours=3))


def _local_day(iso_time: str) -> str:
    """The Baghdad date of an ISO time ("" when it is not one)."""
    try:
        when = datetime.fromisoformat(iso_time.replace("Z", "+00:00"))
    except ValueError:
        return ""
    return when.astimezone(_BAGHDAD).date().isoformat() if when.tzinfo else ""


def _post_day(ts: float) -> str:
    return datetime.fromtimestamp(ts, _BAGHDAD).date().isoformat()


# A toll that has risen since the first report, a follow-up whose counts are the update's, not another
# event's («ارتفاع حصيلة ... إلى ثلاثة», "toll rises to three", «فارق الحياة متأثراً بجروحه»)
_TOLL_AR = r"حصيله|ارتفاع عدد|ارتفاع حصيله|فارق الحياه|يفارق الحياه|متاثرا بجروحه|متاثرا بجراحه"
_TOLL_EN = r"death toll|toll rises|toll rose|toll has risen|died of (?:his|her|their) wounds|succumbed"
TOLL = re.compile(rf"{_TOLL_AR}|(?<!\w)(?:{_TOLL_EN})(?!\w)")
TOLL_FOLLOW = "toll"  # EventKey.follow of a post whose toll has risen (any other follow-up: "1", or "d<N>")

# A sit-in, a strike or a blockade on its Nth day («لليوم الثالث», «اليوم الثالث للاعتصام», "for a third day",
# "Day 3"): EventKey.follow "d<N>", the days it has run before the post's own day to be N - 1 (``running_days``)
_ORDINALS_AR = {"الثاني": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6, "السابع": 7}
_ORDINALS_EN = {"second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "2nd": 2, "3rd": 3,
                "4th": 4, "5th": 5, "6th": 6, "7th": 7, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
                "seven": 7}
NTH_DAY = re.compile(
    rf"(?:(?<!\w)(?:ا|لل?)ليوم|(?<!\w)يوم(?:ه|ها)) ({'|'.join(_ORDINALS_AR)})(?!\w)|"
    # (the dialect's order: «ثاني يوم والفلاحين بعدهم معتصمين»)
    rf"(?<!\w)({'|'.join(o[2:] for o in _ORDINALS_AR if o.startswith('ال'))}) يوم(?!\w)|"
    r"(?<!\w)(second|third|fourth|fifth|sixth|seventh|2nd|3rd|4th|5th|6th|7th)"
    r"(?: (?:straight|consecutive|successive))? day(?!\w)|"
    r"(?<!\w)day ([2-7]|two|three|four|five|six|seven)(?!\w)(?! (?:years?|months?|weeks?|days?|hours?)(?!\w))")


def nth_day(norm: str) -> int:
    """The N of a protest's Nth day the text names (``NTH_DAY``), else 0."""
    m = NTH_DAY.search(norm)
    if m is None:
        return 0
    word = next(g for g in m.groups() if g)
    return _ORDINALS_AR.get(word) or _ORDINALS_AR.get("ال" + word) or _ORDINALS_EN.get(word) or int(word)

# What comes after an event and names it as past: the perpetrators of "the attack" arrested, a toll that
# rises, a wounded man who dies, a funeral («منفذي الهجوم», "death toll rises", «يفارق الحياة», «تشييع»)
FOLLOW_UP = re.compile(
    rf"منفذي|منفذو|المتورطين ب|المتورطين في|الجناه|{_TOLL_AR}|تشييع|يشيع|شيعت|"
    # a sit-in or a blockade that goes on, or ends («لليوم الثاني», "still there", "winding down")
    r"(?:ا|ل)ليوم (?:الثاني|الثالث|الرابع|الخامس)|يوم(?:ه|ها) (?:الثاني|الثالث|الرابع|الخامس)|"
    r"(?<!\w)(?:ثاني|ثالث|رابع|خامس) يوم(?!\w)|"
    r"انهاء (?:ال)?(?:اعتصام|اضراب)|"
    # («المعتصمين گالوا راح ينهون الاعتصام اليوم», «أنهى عمال العقود ... ظهر اليوم اعتصامهم المفتوح»)
    r"(?<!\w)(?:ينهون|ينهي|تنهي|انهي|انهوا|انهت)(?: \S+){0,8}? (?:ال)?(?:اعتصام|اعتصامهم|اعتصامهن|اضراب|اضرابهم)(?!\w)|"
    r"يواصل|تتواصل|يتواصل|متواصل|مستمر|مازال|ما زال|"
    r"لازال|لا زال|انتهى|انتهاء|فض (?:ال)?(?:اعتصام|تظاهره|احتجاج|متظاهرين|محتجين)|تحديث|"
    # (a sit-in or a strike suspended; «لم يصدر تعليق» is "no comment")
    r"(?:تعليق|علقوا|يعلق|نعلق|تعلق) (?:ال)?(?:اعتصام|اضراب|احتجاج|تظاهر|دوام|وقفه)|"
    # a threat that answers an attack, or names its target as the one hit («المكتب المستهدف», «ثارا ل»)
    r"المستهدف|ارتقوا|ثارا ل|ثارا لدماء|(?:بال|ال)ثار ل|"
    # what a statement or an ultimatum brought about («أوقفت أعمالها ... بعد بيان العشيرة»)
    r"بعد بيان|اثر بيان|عقب بيان|بعد البيان|اثر البيان|"
    # a news header that says so («🔶 متابعة | ...», "FOLLOW-UP:")
    r"(?<!\w)متابعه\s*[|:]|"
    # ("open-ended sit-in" begins one: a hyphen before the word is no boundary)
    rf"(?<![\w-])(?:perpetrators|behind the attack|suspects in|involved in the|{_TOLL_EN}|funeral|"
    r"day two|day three|day four|second day|third day|fourth day|fifth day|(?:2nd|3rd|4th|5th) day|day [2-9]|"
    r"suspends?|suspended|"
    r"still there|continues|continuing|continued|overnight|winding down|wound down|dispersed|has ended|"
    r"ended|called off|end (?:their|the|its) (?:sit-in|strike|protest)|"
    r"update|revenge for|avenge|in retaliation for|whose office was|follow-up(?=\s*[|:])|"
    r"after (?:the|its|their|a|an) (?:\w+ )?(?:statement|ultimatum|warning|deadline))(?!\w)")


# ... of those, the marks of what merely goes on («ما زال يماطل», "the campaign continues", "UPDATE"): a
# threat that says them answers no attack (``EventKey.same_event``)
_GOES_ON = re.compile(r"يواصل|تتواصل|يتواصل|متواصل|مستمر|مازال|ما زال|لازال|لا زال|تحديث|still there|continues|"
                      r"continuing|continued|overnight|update")


def follows_on(norm: str, threat: bool = False) -> bool:
    """Whether a text reports what came after an event (``FOLLOW_UP``); of a threat, more than that
    something goes on."""
    if not threat:
        return FOLLOW_UP.search(norm) is not None
    return any(not _GOES_ON.fullmatch(m.group(0)) for m in FOLLOW_UP.finditer(norm))


# A report that sets its event apart from an earlier one: "a second IED of the day, in a different area",
# "a different crowd from yesterday's retirees", "separate from the earlier attack", «هجوم آخر», «عبوة
# ثانية», «لا علاقة له بـ». It names the earlier event's place, weapon or type, so the low bars (anchors or
# event records agreeing, a follow-up's marks) would join it to that event's story; only a translation or a
# repost of its own report (the plain cosine bars) joins it.
_INCIDENT_AR = r"(?:هجوم|تفجير|انفجار|عبوه|اعتداء|استهداف|قصف|ضربه|تظاهره|احتجاج|وقفه|اعتصام|قنبله|رمانه|حادث|حادثه)"
_INCIDENT_EN = (r"(?:attacks?|ieds?|blasts?|explosions?|bombings?|strikes?|grenades?|protests?|demonstrations?|"
                r"rally|rallies|sit-ins?|incidents?|crowds?|devices?)")
DISTINCT = re.compile(
    rf"{_INCIDENT_AR}(?: \S+)? (?:ثان|ثاني|ثانيه|ثالث|ثالثه|اخر|اخري|منفصل|منفصله)(?!\w)|"
    rf"(?<!\w)(?:ثاني|ثالث) {_INCIDENT_AR}|(?:غير مرتبط|غير مرتبطه|لا علاقه له|لا علاقه لها) ب(?:ال)?{_INCIDENT_AR}|"
    # («هاي غير وقفة الخريجين يوم الأحد»: this one is not Sunday's graduates' rally)
    rf"(?<!\w)غير (?:ال)?{_INCIDENT_AR}(?!\w)|"
    r"منفصل عن|منفصله عن|"
    # («مو نفس جماعة بيجي، هذوله كهرباء بغداد»: not the Baiji group, these are Baghdad's power workers)
    r"(?<!\w)(?:مو|مش|موب|ليس|ليست|ليسوا) (?:نفس|ذات)(?!\w)|"
    rf"(?<!\w)(?:(?:second|third|another|separate|different)(?: \w+)? {_INCIDENT_EN}|{CONTRAST_FROM_EN}|"
    # ("a second liquor shop hit with a grenade", "another checkpoint attacked")
    r"(?:second|third|another) (?:\w+ ){0,2}(?:shop|store|office|house|home|convoy|patrol|checkpoint|post|base) "
    r"(?:hit|attacked|targeted|struck|bombed))(?!\w)")


# what follows a DISTINCT phrase when the event set apart is of an earlier day: "separate from yesterday's
# find of an unfired launcher", «منفصل عن حادثة امس», "the second ISIS attack on the PMF this week"
_PAST_DAY = re.compile(r"^\W*(?:\w+\W+){0,4}?(?:امس|البارحه|الليله الماضيه|هذا الاسبوع|خلال اسبوع|خلال ايام|"
                       r"هذا الشهر|خلال الشهر|هذا العام|منذ|yesterday|yesterday's|last night's|last week's|"
                       r"this week|in a week|in (?:(?:two|three|four|five|\d+) )?days|in (?:24|48|72) ?h(?:ours)?|"
                       r"this month|this year|"
                       r"since)(?!\w)")
PAST_DISTINCT = "past"
# ... and when it names that day: "separate from Monday's clash", «منفصل عن حادثة امس» ("past:YYYY-MM-DD")
_WEEKDAY_OF = {name: day for day, (ar, en) in WEEKDAY_NAMES.items() for name in (ar, en, en + "'s")}
_NAMED_DAY = re.compile(r"^\W*(?:\w+\W+){0,4}?(?:(?P<yesterday>امس|البارحه|yesterday|yesterday's|last night's)|"
                        rf"(?:يوم )?(?P<day>{'|'.join(_WEEKDAY_OF)}))(?!\w)")


# A threat's deadline: a number of hours, days, weeks or months («مهلة ٧٢ ساعة», «خلال عشرة أيام», «يومين»,
# "a 48-hour ultimatum", "10 days") or the end of the month («حتى نهاية الشهر», «لآخر الشهر», "by the end of
# the month"), in hours ("h72") or "month_end"
_COUNT_WORDS = {"ثمان واربعين": 48, "ثماني واربعين": 48, "اثنتين وسبعين": 72, "اثنين وسبعين": 72,
                "اربع وعشرين": 24, "اربعه وعشرين": 24,
                "واحد": 1, "اثنين": 2, "اثنان": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5,
                "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7, "سبعه": 7, "عشر": 10, "عشره": 10, "عشرين": 20,
                "اربعين": 40, "ثلاثين": 30, "ستين": 60, "تسعين": 90, "خمسه عشر": 15, "خمس عشره": 15,
                "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
                "ten": 10, "fifteen": 15, "thirty": 30, "sixty": 60, "ninety": 90, "twenty-four": 24,
                "forty-eight": 48, "seventy-two": 72}
_UNIT_HOURS = {"ساعه": 1, "ساعات": 1, "يوم": 24, "يوما": 24, "ايام": 24, "اسبوع": 168, "اسبوعا": 168,
               "اسابيع": 168, "شهر": 720, "شهرا": 720, "اشهر": 720, "hour": 1, "hours": 1, "h": 1, "hrs": 1,
               "day": 24, "days": 24, "week": 168, "weeks": 168, "month": 720, "months": 720}
_DUAL_HOURS = {"ساعتين": 2, "يومين": 48, "اسبوعين": 336, "شهرين": 1440}
_DEADLINE = re.compile(
    # (or the month's name: «بنهاية شهر نيسان», «نهاية نيسان», "until the end of April")
    r"(?P<end>(?:نهايه|اخر|لاخر|لنهايه|بنهايه) (?:هذا )?(?:(?:ال)?شهر|"
    r"كانون الثاني|شباط|اذار|نيسان|ايار|حزيران|تموز|اب|ايلول|تشرين الاول|تشرين الثاني|كانون الاول|"
    r"يناير|فبراير|مارس|ابريل|مايو|يونيو|يوليو|اغسطس|سبتمبر|اكتوبر|نوفمبر|ديسمبر)(?!\w)|"
    r"end of (?:the |this )?(?:month|january|february|march|april|may|june|july|august|september|october|"
    r"november|december)(?!\w)|month'?s end)|"
    # (a statement's number may sit in brackets: «مدة (٧٢) ساعة»)
    rf"(?<!\w)\(?(?P<n>\d{{1,3}}|{'|'.join(sorted(_COUNT_WORDS, key=len, reverse=True))})\)?[\s-]?"
    rf"(?P<unit>{'|'.join(sorted(_UNIT_HOURS, key=len, reverse=True))})(?!\w)|"
    rf"(?<!\w)(?P<dual>{'|'.join(_DUAL_HOURS)})(?!\w)|"
    # one unit: after «مهلة», «خلال», "within a", or "a" / "one" that a deadline or "to" follows ("a week to leave")
    r"(?:مهله|خلال|امامكم|امامهم|within a|within one) (?P<one>ساعه|يوم|اسبوع|شهر|day|week|month)(?!\w)|"
    r"(?:gave \w+ a|given \w+ a|a|one) "
    r"(?P<one2>ساعه|يوم|اسبوع|شهر|day|week|month)(?:'s)?(?= (?:deadline|ultimatum|to)(?!\w))")
# ... not a time gone by or the length of something else («منذ ثلاثة أيام», "two days after the attack",
# "a sit-in for 3 days")
_NO_DEADLINE_BEFORE = re.compile(r"(?:منذ|قبل|بعد|مرور|مضي|since|for|after|before|last|past)\W*$")
_NO_DEADLINE_AFTER = re.compile(r"^\W*(?:ago|after|before|later|earlier|back|on|مضت|الماضيه|الماضي|قبل|بعد)(?!\w)")


def threat_deadline(norm: str) -> str:
    """The first deadline a (normalised) threat's text gives (``_DEADLINE``), else ""."""
    found = next((m for m in _DEADLINE.finditer(norm) if m.group("end")
                  or (not _NO_DEADLINE_BEFORE.search(norm[max(0, m.start() - 12):m.start()])
                  and not _NO_DEADLINE_AFTER.match(norm[m.end():m.end() + 12]))), None)
    if found is None:
        return ""
    if found.group("end"):
        return "month_end"
    if found.group("dual"):
        return f"h{_DUAL_HOURS[found.group('dual')]}"
    if one := found.group("one") or found.group("one2"):
        return f"h{_UNIT_HOURS[one]}"
    n = found.group("n")
    count = int(n) if n.isdigit() else _COUNT_WORDS[n]
    return f"h{count * _UNIT_HOURS[found.group('unit')]}"


# A diplomatic mission's security alert («السفارة ... تصدر تنبيهاً أمنياً لرعاياها», "US Embassy Baghdad security
# alert", "advises US citizens to avoid"): a report of a threat, and an event of its own beside the threat
ADVISORY = re.compile(r"تنبيه(?:ا)? امني|تحذير(?:ا)? امني|رسال(?:ه|ة) امني|(?:ل)?رعاياها|مواطنيها|(?:ل)?جماعتها|"
                      r"(?<!\w)(?:security alert|security message|travel advisory|travel warning|"
                      r"advises (?:us|u\.s\.|american|british|turkish|its) (?:citizens|nationals)|"
                      r"(?:us|u\.s\.|american|british|turkish) citizens)(?!\w)")
MISSION = re.compile(r"سفار|قنصلي|(?<!\w)(?:embassy|embassies|consulate|consulates|consul general|"
                     r"(?:us|u\.s\.|american|british|uk|turkish|diplomatic) mission)(?!\w)")
# ... and a retelling that has the mission warn («السفارة الامريكية طلعت تحذير», "New US embassy alert", «التحذير
# الأمني الصادر عن السفارة»)
MISSION_WARNS = re.compile(
    r"(?:سفاره|قنصليه)\w*(?:\W+\w+){0,3}?\W+(?:تصدر|اصدرت|طلعت|طالعه|تحذر|حذرت|محذره|تدعو|دعت|نبهت|تنبه|جددت|"
    r"تجدد)(?!\w)|"
    r"(?:تحذير|تنبيه)\w*(?:\W+\w+){0,3}?\W+(?:الصادر عن|من|مال) ?(?:ال)?(?:سفاره|قنصليه)|"
    r"(?<!\w)(?:embassy|consulate)(?:\W+\w+){0,3}?\W+(?:alert|alerts|warns|warned|advises|advised|urges|urged|"
    r"issues|issued|reiterates|reiterated)(?!\w)|"
    r"(?<!\w)(?:alert|warning|advisory)\W+(?:\w+\W+){0,3}?(?:from|by|of)\W+(?:the\W+)?(?:\w+\W+)?"
    r"(?:embassy|consulate)(?!\w)")
_ALERT_WORD = re.compile(r"[\u0600-\u06ff]|(?<!\w)(?:alert|alerts|advisory|citizens|nationals|pilgrims|travell?ers|"
                         r"low profile|foreigners|possible attacks?)(?!\w)")


# ... and a statement that answers the alert («بيان ... رداً على ما يسمى التنبيه الأمني للسفارة», "a faction
# responded to the embassy's security alert"): the faction's own threat, not the alert
_ANSWERS = re.compile(r"(?:(?:ردا|رد|ردها|ردنا)\s+(?:علي|على)|(?<!\w)(?:in response to|responding to|responds to|"
                      r"responded to|in reply to|replies to|replied to|hits back at|dismisses|dismissed))"
                      r"(?:\W+\w+){0,3}?\W+(?:ال)?(?:تنبيه|تحذير|سفار|(?:the |its )?(?:us |u\.s\. |american )?"
                      r"(?:embassy|alert|advisory|warning))")


# intelligence of a planned attack («ورود معلومات عن مخطط لتفجير», "intelligence warned of a plot"), and a
# threatener's own words («أهداف مشروعة», «نمهل», "legitimate targets", an ultimatum)
_PLOT = re.compile(r"(?<!\w)(?:مخطط|مخططا|مخططات|ورود معلومات|معلومات استخباريه|معلومات استخباراتيه|تخطط|يخطط|"
                   r"يخططون|plot|plots|plotting|planned attack|planned bombing|"
                   # ("plans to attack"; not "no plans to evacuate")
                   r"(?:plans?|planning) to (?:attack|bomb|target|detonate|strike|blow up|hit)|"
                   r"intelligence (?:warned|warns|reports|reported|indicates|says|said))(?!\w)")
_DECLARED = re.compile(r"(?<!\w)(?:اهداف مشروعه|اهدافا مشروعه|هدف مشروع|هدفا مشروعا|نمهل|نحذر|ننذر|نتوعد|سنستهدف|"
                       r"legitimate targets?|we warn|we give|ultimatum)(?!\w)")


def threat_voice(norm: str) -> str:
    """"plot" for intelligence of a planned attack, "declared" for a threatener's words; "" for both or neither."""
    plot, declared = _PLOT.search(norm) is not None, _DECLARED.search(norm) is not None
    return "plot" if plot and not declared else "declared" if declared and not plot else ""


def is_advisory(norm: str) -> bool:
    """A (normalised) threat's text is a diplomatic mission's security alert, or a report of one (in English,
    one that names the alert or the citizens: "the Embassy ultimatum now warns Turkish troops" is a
    faction's). A statement answering the alert is not one."""
    if _ANSWERS.search(norm):
        return False
    if ADVISORY.search(norm) and MISSION.search(norm):
        return True
    return bool(MISSION_WARNS.search(norm)) and bool(_ALERT_WORD.search(norm))


ELSEWHERE = "at:"  # EventKey.distinct of a post that places the other event
BY_OTHER = "by:"  # ... and of one that names the other event's group ("a different group from KH")
_GROUP_FROM = re.compile(r"different groups? from", re.IGNORECASE)
_CLAUSE = re.compile(r"[,،.:;؛!?؟\n]")  # (a colon ends the clause: "... from the Sulaiman Bek IED: a bomb hit ...")
_FROM_OTHER = re.compile(r"\s*(?:\w+\s+)?(?:from|to|عن)(?!\w)")  # («منفصل مكانيا عن»)
_OTHER_NAMED = re.compile(r"(?:from|to|عن)$|^(?:غير مرتبط|لا علاقه|منفصل|غير (?!مرتبط)|مو |مش |موب |ليس|ليست)")


def _group_named(after: str, text: str, protesters: bool = False) -> str:
    """The registry's name of the group "a different group from" points at ("... from KH, whose ..."), if
    its clause names one; ``protesters``: the protesting group a protest is set apart from («بشكل منفصل عن
    اعتصام الخريجين»), if its clause names one."""
    from classifiers.events.actors import ActorRegistry

    clause = _CLAUSE.split(after, maxsplit=1)[0]
    raw = None if protesters else _GROUP_FROM.search(text)
    raw_clause = _CLAUSE.split(text[raw.end():raw.end() + 80], maxsplit=1)[0] if raw else None
    registry = ActorRegistry.default()
    found = registry.find(clause, raw_clause)
    if protesters:
        groups = _protest_groups()
        found = [m for m in found if registry.actors[m.actor].name in groups]
    return registry.actors[found[0].actor].name if found else ""


def _distinct_mark(norm: str, match: re.Match[str], ts: float, text: str = "", protest: bool = False) -> str:
    """``EventKey.distinct`` of a post whose DISTINCT phrase is ``match``: the day it names
    (``_distinct_day``), else, when the phrase points at the other event ("separate from", "a separate
    incident from", «لا علاقة له بتفجير»), the place its clause names ("... from the Sulaiman Bek IED: a
    roadside bomb hit ..."; a country says nothing; "a second blast on the Abu Ghraib road" names its own),
    else, for a protest, the protesting group its clause names («منفصل عن اعتصام الخريجين»), else "1"."""
    end = match.end()
    mark = _distinct_day(norm[end:end + 60], ts)
    if mark != "1" or not (_OTHER_NAMED.search(match.group(0)) or _FROM_OTHER.match(norm, end)):
        return mark
    if " group" in match.group(0) and (actor := _group_named(norm[end:end + 80], text)):
        return BY_OTHER + actor
    clause = _CLAUSE.split(norm[end:end + 80], maxsplit=1)[0]
    places = sorted(p for p in Gazetteer.default().places(clause) if _level(p) > 0)
    if places:
        return ELSEWHERE + places[0]
    # a protest set apart from another group's, in the same town: apart from that group's reports only
    return BY_OTHER + group if protest and (group := _group_named(norm[end:end + 80], text, True)) else mark


def _distinct_day(after: str, ts: float) -> str:
    """The ``EventKey.distinct`` of a post whose DISTINCT phrase is followed by ``after``: "past:<day>"
    when it names the earlier event's day (yesterday, a weekday before the post's), "past" when only that
    it is earlier ("this week", «منذ»), else "1"."""
    named = _NAMED_DAY.search(after)
    if named is not None:
        today = date.fromisoformat(_post_day(ts))
        if named.group("yesterday"):
            return f"{PAST_DISTINCT}:{today - timedelta(days=1)}"
        back = (today.weekday() - _WEEKDAY_OF[named.group("day")]) % 7 or 7
        return f"{PAST_DISTINCT}:{today - timedelta(days=back)}"
    return PAST_DISTINCT if _PAST_DAY.search(after) else "1"


def sets_apart(sig: Signature, other: Signature) -> bool:
    """Does the post say its event is another than an earlier one (``DISTINCT``), as ``other`` may report?
    One that sets its event apart from an earlier day's is apart only from posts of an earlier day than its
    own: this morning's other reports of it are its own event's."""
    if sig.event is None or not sig.event.distinct:
        return False
    if sig.event.distinct == PAST_DISTINCT:
        # (unless the post dates its own event back to that day: "Amaq has claimed yesterday's IED ...
        # the third claimed IED this week" counts it among others, it sets nothing apart from it)
        return _post_day(other.ts) < _post_day(sig.ts) and not (
            sig.event.day and other.event is not None and sig.event.day in _days_of(other))
    if sig.event.distinct.startswith(PAST_DISTINCT + ":"):  # that day's reports only
        day = sig.event.distinct.split(":", 1)[1]
        return _post_day(other.ts) == day or (other.event is not None and other.event.day == day)
    if sig.event.distinct.startswith(BY_OTHER):  # that group's reports only
        return other.event is not None and other.event.actor1 == sig.event.distinct[len(BY_OTHER):]
    if sig.event.distinct.startswith(ELSEWHERE):  # that place's reports only (and those that name none)
        where = sig.event.distinct[len(ELSEWHERE):]
        if other.event is None or not other.event.place:
            return True
        return other.event._fits_any(frozenset({where}))
    return True


def follows_up(a: Signature, b: Signature) -> bool:
    """One post dates its event back to the day of the other's ("yesterday's attack", «مساء امس»): a
    casualty update, an arrest or a statement the morning after, that may join past the event window. A
    report posted in the small hours (before 06:00 in Baghdad) without a date of its own may be of the
    night before: "yesterday" then names its day too."""
    if a.event is None or b.event is None:
        return False
    later, earlier = (a, b) if a.ts > b.ts else (b, a)
    assert later.event is not None and earlier.event is not None
    # (the later post's day moved back: "this evening, Monday" dates nothing back, and the earlier one's
    # small hours may be of the later one's day only when it names that day itself)
    if later.event.day and later.event.day != _post_day(later.ts) and later.event.day in _days_of(earlier):
        return True
    if earlier.event.day and earlier.event.day in _days_of(later):
        return True
    return bool(later.event.follow)


_SMALL_HOURS = 6


def _days_of(sig: Signature) -> tuple[str, ...]:
    """The days a post's event may be on: its dated day, else its post's day (and the day before, for a
    post of the small hours)."""
    assert sig.event is not None
    if sig.event.day:
        return (sig.event.day,)
    local = datetime.fromtimestamp(sig.ts, _BAGHDAD)
    if local.hour < _SMALL_HOURS:
        return (local.date().isoformat(), (local.date() - timedelta(days=1)).isoformat())
    return (local.date().isoformat(),)


def _seat_of(governorate: str) -> str:
    """The district of a governorate named like its capital ("Kirkuk": kirkuk_district), else ""."""
    resolved = _places().resolve(governorate)
    return (resolved.district or "") if resolved is not None else ""


def _level_name(pid: str) -> str:
    resolved = _places().resolve(pid)
    return resolved.level if resolved is not None else ""


def _governorate_of(pid: str) -> str:
    resolved = _places().resolve(pid)
    return (resolved.governorate or "") if resolved is not None else ""


@lru_cache(maxsize=4096)
def _chain_of(pid: str) -> tuple[str, ...]:
    """A place id with the district, governorate and country it lies in."""
    resolved = _places().resolve(pid)
    if resolved is None:
        return (pid,)
    return tuple(x for x in (pid, resolved.district, resolved.governorate, resolved.country) if x)


_MULTI_DISTRICT_CITIES = frozenset({"baghdad"})  # a capital that spans several districts of the gazetteer


@lru_cache(maxsize=64)
def _one_district_city(governorate: str) -> bool:
    """A governorate whose capital shares its name (``city: true`` in the gazetteer: Basra, Kirkuk, Najaf)
    and is one town, not a city of many districts (Baghdad)."""
    entry = _places().governorates.get(governorate) or {}
    return bool(entry.get("city")) and governorate not in _MULTI_DISTRICT_CITIES


@lru_cache(maxsize=1)
def _places() -> Any:
    from classifiers.events.gazetteer import PlaceIndex

    return PlaceIndex.default()


@dataclass(slots=True)
class Signature:
    lang: str
    embedding: np.ndarray | None  # L2-normalised, float32
    minhash: np.ndarray  # uint64 (NUM_PERM,)
    anchors: Anchors
    ts: float  # post time, epoch seconds
    key: str = ""
    labels: frozenset[str] = frozenset()  # the classifier's labels for the post
    event: EventKey | None = None  # from the post's event record (flagged posts)
    digest: bool = False  # a roundup of several events (``is_digest``): no post joins a story through it

    @classmethod
    def of(cls, text: str, lang: str | None, embedding: np.ndarray | None, ts: float, key: str = "",
           labels: frozenset[str] | list[str] = frozenset(), event: dict[str, Any] | None = None) -> Signature:
        found = anchors(text)
        norm = normalize_for_match(clean_for_model(text))
        event_key = EventKey.of(event)
        if event_key is not None and follows_on(norm, threat=event_key.sub == "Threat"):
            nth = nth_day(norm) if event_key.family == "unrest" else 0
            event_key = replace(event_key, follow=TOLL_FOLLOW if TOLL.search(norm) else f"d{nth}" if nth else "1")
            if nth and "attack_claim" not in labels:
                # («اليوم الثالث للاعتصام»: today's; a weekday it names is its plan, «لحد يوم الأحد»; a grenade
                # on the sit-in's tent "before dawn" keeps its time)
                event_key = replace(event_key, day="")
        if event_key is not None and event_key.sub == "Threat":
            event_key = replace(event_key, deadline=threat_deadline(norm),
                                advisory="1" if is_advisory(norm) else "", voice=threat_voice(norm))
        elif event_key is not None and "threat" in labels and is_advisory(norm):
            # a mission's alert flagged as an attack too ("possible rocket, drone or IED attacks"): still the
            # alert, not the threat it warns of (``compare``)
            event_key = replace(event_key, advisory="1")
        if event_key is not None and {"threat", "attack_claim"} & set(labels) and (
                groups := claim_labels(norm, text)):
            event_key = replace(event_key, groups="|".join(sorted(groups)),
                                claims="1" if _CLAIMS.search(norm) else "")
        if (event_key is not None and event_key.sub == _FOUND and _FOUND_WORDS.search(norm)
                and not _tells_attack(norm)):
            event_key = replace(event_key, found="1")
        if event_key is not None and (phrases := list(DISTINCT.finditer(norm))):
            # (the most telling of its phrases: "Second protest outside the governorate today ... Separate from
            # the graduates' sit-in" is apart from the graduates' reports only)
            marks = [_distinct_mark(norm, m, ts, text, protest=event_key.family == "unrest") for m in phrases]
            event_key = replace(event_key, distinct=next((mk for mk in marks if mk != "1"), "1"))
        # districts named bare («بالعمارة»), unless the gazetteer's forms found a town of their governorate
        # or the district is a capital's the post names ("#السليمانية"): it would only repeat that place, at
        # another level, and conflict with it
        covered = {_governorate_of(pid) for pid in found.places if _level(pid) == 2} | {
            _seat_of(pid) for pid in found.places if _level(pid) == 1}
        # (a place of the gazetteer's "bare:" names is no district: it cannot repeat another place's level)
        bare = [d for d in bare_districts(norm) if d not in found.places
                and (_level_name(d) == "place" or (d not in covered and _governorate_of(d) not in covered))]
        if bare:
            found = Anchors(found.places | frozenset(bare), found.numbers, found.days, found.weapons)
            if event_key is not None and not event_key.place:
                event_key = event_key.placed(bare[0])
        # (a mission's security alert lists the sites to avoid, «Location: ... Event: ... Actions to take:»: one
        # threat, no roundup)
        return cls(lang or "", embedding, minhash(words(text)), found, ts, key, frozenset(labels), event_key,
                   not (event_key is not None and event_key.alert) and is_digest(text, found.places))

    def conflicts(self, other: Signature, risen: bool = False, counts: bool = True) -> bool:
        """Anchors (another base, day, weapon, count) or event records (another family, district, day) that
        say two posts report two events (``risen``: the story holds an update whose toll has risen, so its
        counts no longer conflict: ``compare``; ``counts=False``: counts never do)."""
        return compare(self, other, risen, counts)[0]

    def jaccard(self, other: Signature) -> float:
        return np.count_nonzero(self.minhash == other.minhash) / len(self.minhash)

    def cosine(self, other: Signature) -> float:
        if self.embedding is None or other.embedding is None:
            return 0.0
        return float(np.dot(self.embedding, other.embedding))

    def to_wire(self) -> dict[str, object]:
        return {"lang": self.lang, "ts": self.ts, "key": self.key,
                "emb": base64.b64encode(self.embedding.astype(np.float16).tobytes()).decode()
                if self.embedding is not None else None,
                "mh": base64.b64encode(self.minhash.tobytes()).decode(),
                "places": sorted(self.anchors.places), "numbers": sorted(self.anchors.numbers),
                "days": sorted(self.anchors.days), "weapons": sorted(self.anchors.weapons),
                "labels": sorted(self.labels), "event": self.event.to_wire() if self.event else None,
                "digest": self.digest}

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> Signature:
        emb = data.get("emb")
        vec = np.frombuffer(base64.b64decode(str(emb)), dtype=np.float16).astype(np.float32) if emb else None
        mh = np.frombuffer(base64.b64decode(str(data["mh"])), dtype=np.uint64)
        anchors_ = Anchors(*(frozenset(data.get(k, [])) for k in ("places", "numbers", "days", "weapons")))  # type: ignore[arg-type]
        event = data.get("event")
        return cls(str(data.get("lang", "")), vec, mh, anchors_, float(data["ts"]),  # type: ignore[arg-type]
                   str(data.get("key", "")), frozenset(data.get("labels", [])),  # type: ignore[arg-type]
                   EventKey(*event) if event else None, bool(data.get("digest", False)))  # type: ignore[misc]


_DIGEST_DISTRICTS = 3  # a list of items naming places in this many districts (or twice as many, unlisted)


# a faction's claim of an act, in its statement or a report of it
_CLAIMS = re.compile(r"(?<!\w)(?:يتبني|تتبني|تبنت|تبني|يتبنى|تتبنى|تبنى|claims|claimed|claiming)(?!\w)|"
                     r"(?:مسؤوليته|مسؤوليتها|المسؤوليه) عن|responsibility for")


def _one_threat_in_two_languages(a: Signature, b: Signature) -> bool:
    """Two threats in two languages signed by one faction label the registry does not know (``signed_alike``).
    In one language a faction's threat and its claim that evening look as alike: not there."""
    return (a.event is not None and b.event is not None and a.lang != b.lang
            and a.event.sub == b.event.sub == "Threat" and a.event.signed_alike(b.event))


def is_digest(text: str, places: frozenset[str]) -> bool:
    """A roundup of several events: a list of items (``classifiers.model.segments``: a daily summary, a
    numbered thread) naming places in three districts or more, or a post naming six or more, listed or not
    ("today's incidents: Makhmour strike, Qaim drone strike, Diwaniyah convoy IED, ..."). It may join a
    story (its one violent item among quiet ones is that story's event), but no post joins a story through
    it: it names every event of the day, and would chain them into one. (Kept out of stories altogether,
    roundups opened nine more alerts on the development feeds and spared one mixed alert.)"""
    from classifiers.model import segments

    # (a feature across governorates, the Hamrin range, lies in no district: its chain is its country)
    districts = {_chain_of(pid)[1] for pid in places if _level(pid) == 2 and len(_chain_of(pid)) > 2}
    if len(districts) >= 2 * _DIGEST_DISTRICTS:
        return True
    items = segments(text) if len(places) >= _DIGEST_DISTRICTS else []
    if len(items) < 3:
        return False
    if len(districts) >= _DIGEST_DISTRICTS:
        return True
    # ... or one governorate's roundup («حصاد ذي قار»: a blockade on the Shatra road, a clash in al-Islah, a
    # strike in Haboubi Square), three of whose items each name a town or site no earlier item named
    gazetteer, seen, new_places = Gazetteer.default(), set(), 0
    for item in items:
        fine = {pid for pid in gazetteer.places(item) if _level(pid) == 2}
        if fine and not fine & seen:
            new_places += 1
        seen |= fine
    return new_places >= _DIGEST_DISTRICTS


def compare(a: Signature, b: Signature, risen: bool = False, counts: bool = True) -> tuple[bool, int]:
    """``(conflict, agreement)`` of two posts: their anchors' (``Anchors.compare``), with event records that
    cannot be one (``EventKey.conflicts``) or put their events on days more than one apart as a conflict
    too; a place agreeing only at governorate level does not count as agreement when one post names a town
    there (a blast near Dibis and one "on the Baghdad–Kirkuk road" both say Kirkuk): a governorate holds
    many events a day. Two posts that both name only the governorate ("western Anbar") keep it."""
    risen = risen or reports_risen_toll(a) or reports_risen_toll(b)
    if _one_sit_in(a, b) and (running_days(a) or running_days(b)):
        # a sit-in on its third day is told on another weekday, with other crowd counts (``_days_apart``
        # still weighs its days)
        conflict, agreement = _undated(a.anchors).compare(_undated(b.anchors), counts=False)
    else:
        conflict, agreement = a.anchors.compare(b.anchors, update=risen, counts=counts)
    if a.event is not None and b.event is not None and (a.event.two_deadlines(b.event)
                                                         or a.event.two_voices(b.event)):
        return True, agreement  # ISIS leaflets giving the tribal Hashd a week, the sheikhs' 72 hours to the company
    if _one_threat_in_two_languages(a, b) and not _days_apart(a, b):
        return False, agreement  # its place is its target's, as each report reads it («الطريق الدولي من الحدود
        # الكويتية», "west of Nasiriyah"), its counts the ones each picks
    if conflict:
        return True, agreement
    if (a.event is not None and b.event is not None and bool(a.event.advisory) != bool(b.event.advisory)
            and (("threat" in a.labels and "threat" in b.labels)
                 or (a.event.alert and "attack_claim" in b.labels) or (b.event.alert and "attack_claim" in a.labels))):
        return True, agreement  # a faction's threat and the mission's alert that warns of it, whatever the types
        # (the one place of this rule: a record typed Threat is a post labelled threat); nor does an attack that
        # comes after the alert join it (a rocket on a base the alert named among those at risk)
    # (a threat that follows an attack, «... legitimate targets», "Follows the Amerli drone strike", names the
    # attack's place as what it answers: only its own record's place says whether it is the attack's story)
    # (a threat whose record names a site of its own, "Balad Air Base": a threat placed only in a town or a
    # district, «القائم», is as often the attack's place, where its mourners and avengers speak from)
    answers = not (a.digest or b.digest) and (
        (a.labels == {"threat"} and "attack_claim" in b.labels and _names_a_site(a.event))
        or (b.labels == {"threat"} and "attack_claim" in a.labels and _names_a_site(b.event)))
    mine, theirs = (frozenset(), frozenset()) if answers else (a.anchors.places, b.anchors.places)
    if a.event is not None and b.event is not None and (
            a.event.conflicts(b.event, mine, theirs) or _days_apart(a, b)
            or a.event.signed_apart(b.event) or _two_states(a.event, b.event)
            or _two_armed_groups(a.event, b.event) or _two_protesting_groups(a.event, b.event)
            or _found_and_fired(a.event, b.event) or _found_and_fired(b.event, a.event)
            or _two_sides_hit(a.event, b.event) or _tribal_fight_and_an_insurgents_attack(a.event, b.event)):
        return True, agreement
    if a.event is not None and b.event is not None and abs(a.ts - b.ts) >= _STRIKE_BACK_HOURS * 3600 and (
            a.event.strikes_back_at(b.event) or b.event.strikes_back_at(a.event)):
        return True, agreement  # (within hours, the security cell's statement tells the attack and the air
        # support that answered it as one)
    fine_a, fine_b = _fine(a.anchors.places), _fine(b.anchors.places)
    if agreement and (fine_a or fine_b) and a.anchors.places and b.anchors.places and not fine_a & fine_b:
        agreement -= 1  # one names a town, the other only its governorate: "Kirkuk" agrees with too much
    return False, agreement


def _names_a_site(event: EventKey | None) -> bool:
    """Whether the record's place is finer than a district (a base, an airport, a town)."""
    if event is None or not event.place:
        return False
    resolved = _places().resolve(event.place)
    return resolved is not None and resolved.level == "place"


def _two_states(a: EventKey, b: EventKey) -> bool:
    """Two foreign states' strikes (a Turkish drone and Iranian shelling on one border district the same day):
    however alike their reports read, two events."""
    return (_two_actors_of(a, b, _FOREIGN_STATES) and {a.actor1, b.actor1} != _US_AND_COALITION
            and a.sub in _STATE_STRIKES and b.sub in _STATE_STRIKES)


def _two_sides_hit(a: EventKey, b: EventKey) -> bool:
    """Two attacks that hit two sides, ISIS in one and a state's forces in the other (an Iraqi air strike on
    ISIS hideouts, an unidentified drone on a PMF position), where neither record names the other's target at
    all (a clash told from each side names both). (Not a faction beside the PMF, whose brigades the factions
    are; nor the Sinjar units or the PKK beside it: one Turkish strike is on the PKK to Ankara and on the PMF's
    80th brigade to Baghdad.)"""
    if not (a.family == b.family == "violence" and a.actor2 and b.actor2 and a.actor2 != b.actor2):
        return False
    if a.actor2 in (b.actor1, b.actor2) or b.actor2 in (a.actor1, a.actor2):
        return False
    kinds = {_actor_kinds().get(a.actor2), _actor_kinds().get(b.actor2)}
    return _ISIS in (a.actor2, b.actor2) and bool(kinds & _STATE_KINDS)


def _tribal_fight_and_an_insurgents_attack(a: EventKey, b: EventKey) -> bool:
    """A fight between tribes (tribesmen on both sides) and an insurgent group's attack on someone else, where
    neither names the other's side: two events, however close (not a tribe's men told as fighting ISIS)."""
    if not (a.family == b.family == "violence"):
        return False
    kinds = _actor_kinds()
    for x, y in ((a, b), (b, a)):
        if (x.actor1 == x.actor2 == _TRIBESMEN and kinds.get(y.actor1) == "insurgent"
                and _TRIBESMEN not in (y.actor1, y.actor2)):
            return True
    return False


_FOUND = "Disrupted weapons use"
# (not a drone downed, «اسقاط», which the extraction types so too, nor a launcher found after an attack with the
# rockets that did not fire, «منصة الإطلاق التي استخدمت في قصف ...»: a weapon found unfired and defused, and no
# word of an attack)
_FOUND_WORDS = re.compile(r"(?<!\w)(?:unfired|not fired|never launched|defused|dismantled|rigged|primed|ready to "
                          r"launch|معد للاطلاق|معده للاطلاق|معدا للاطلاق|قبل اطلاقه|قبل انطلاقه|لم ينطلق|ما منطلق|"
                          r"تفكيكه|تفكيكها|وتفكيكه|وتفكيكها|ابطال مفعول)(?!\w)")
_ATTACK_WORDS = re.compile(r"(?<!\w)(?:قصف|استهداف|استهدف|هجوم|استخدمت|استخدم|سقط|سقوط|سقطت|attack|attacks|struck|hit|"
                           r"impact|impacted|landed|used in|used to)(?!\w)")
_NEGATED_BEFORE = re.compile(r"(?<!\w)(?:den(?:y|ies|ied)|no|not|never|without|نفى|نفي|ينفي|تنفي|لا|لم|دون|عدم)(?!\w)")


def _tells_attack(norm: str) -> bool:
    """A word of an attack done, not under a denial ("denies reports that any rocket was fired or landed")."""
    return any(not _NEGATED_BEFORE.search(norm[max(0, m.start() - 60) : m.start()])
               for m in _ATTACK_WORDS.finditer(norm))


def _found_and_fired(a: EventKey, b: EventKey) -> bool:
    """A weapon found or defused before use (a launch rail with an unfired rocket) and an attack told as done
    (a rocket that landed the next morning): two events, whatever one post says of the other."""
    return a.sub == _FOUND and a.found == "1" and b.family == "violence" and not b.follow


def _two_protesting_groups(a: EventKey, b: EventKey) -> bool:
    """Two protests by two named groups (graduates at the oil company, residents blocking a road over power
    cuts): two events, so neither joins a story the other's reports are in, whatever member it matched. (Not
    contract or daily-wage workers, whom another report of the same protest names by their trade: contract
    teachers, lecturers, nurses.)"""
    return (a.family == b.family == "unrest" and _LABOUR not in (a.actor1, b.actor1)
            and not _actors_agree(a.actor1, b.actor1))


def _two_armed_groups(a: EventKey, b: EventKey) -> bool:
    """Two named armed groups' acts (an Ashab al-Kahf IED claim and Kata'ib Hezbollah's threat that evening;
    ISIS's attack and a militia's claim): two events, however alike their places and times."""
    return _two_actors_of(a, b, _ARMED_GROUPS)


def _two_actors_of(a: EventKey, b: EventKey, kinds: frozenset[str]) -> bool:
    """Two records whose first actors are two different actors, both of one of ``kinds`` in the registry."""
    kind_of = _actor_kinds()
    return bool(a.actor1 and b.actor1 and a.actor1 != b.actor1 and kind_of.get(a.actor1) in kinds
                and kind_of.get(b.actor1) in kinds)


_FOREIGN_STATES = frozenset({"foreign_state"})
_ARMED_GROUPS = frozenset({"militia", "insurgent"})
# (the US and the coalition it leads are one side; a state named first of an IED is more often the target)
_US_AND_COALITION = frozenset({"US Forces", "International Coalition"})
_STATE_STRIKES = frozenset({_AIR_STRIKE, "Shelling/artillery/missile attack"})


def _fine(places: frozenset[str]) -> frozenset[str]:
    """The places of a set at district level or finer, with the districts they lie in."""
    return frozenset(x for pid in places if _level(pid) == 2 for x in _chain_of(pid)[:2])


def _level(pid: str) -> int:
    return Gazetteer.default().level.get(pid, 2)


def _days_apart(a: Signature, b: Signature) -> bool:
    """A text dates its event to a day more than one day from the other's event (its own dated day, else
    its post's): a protest called for Saturday is not the one under way on Thursday."""
    if not (a.event and a.event.day) and not (b.event and b.event.day):
        return False
    for dated, other in ((a, b), (b, a)):
        if dated.event and dated.event.day and not (other.event and other.event.day) and (
                date.fromisoformat(dated.event.day).strftime("%a").lower() in other.anchors.days):
            return False  # the other names the same weekday bare («الجمعة الساعة ٤ العصر وقفة»)
    day_a = (a.event.day if a.event else "") or _post_day(a.ts)
    day_b = (b.event.day if b.event else "") or _post_day(b.ts)
    apart = abs((date.fromisoformat(day_a) - date.fromisoformat(day_b)).days)
    later = a if day_a > day_b else b
    # (the third day of a sit-in is two days after its first)
    return apart > 1 and not (_one_sit_in(a, b) and running_days(later) >= apart)


def running_days(sig: Signature) -> int:
    """How many days before its post's own a protest the post says is on its Nth day began (N - 1), else 0."""
    follow = sig.event.follow if sig.event is not None else ""
    return int(follow[1:]) - 1 if follow.startswith("d") else 0


def _undated(found: Anchors) -> Anchors:
    return Anchors(found.places, found.numbers, frozenset(), found.weapons)


def _one_sit_in(a: Signature, b: Signature) -> bool:
    """Two protest reports that may tell one protest over days: neither tells an attack (a grenade thrown at
    the sit-in's tent on its fourth day is an event of its own)."""
    return (a.event is not None and b.event is not None and a.event.family == b.event.family == "unrest"
            and "attack_claim" not in a.labels | b.labels)


def _event_day(sig: Signature) -> str:
    """The day a post puts its event on: the one its text names, else its own; "" for an undated report
    of an attack in the small hours, which may be of the night before («الليلة السي رام اشتغلت» at 00:18;
    a call to protest posted then is for the day it begins)."""
    if sig.event is not None and sig.event.day:
        return sig.event.day
    if sig.event is None or sig.event.family != "violence":
        return _post_day(sig.ts)
    days = _days_of(sig)
    return days[0] if len(days) == 1 else ""


def _dated_apart(a: Signature, b: Signature) -> bool:
    """One text dates its event to a day the other's may not be on (``_days_of``): this morning's follow-up
    of yesterday's IED and a clash under way today, in one district."""
    if a.event is None or b.event is None:
        return False
    return bool((a.event.day and a.event.day not in _days_of(b)) or (b.event.day and b.event.day not in _days_of(a)))


def labels_compatible(a: frozenset[str], b: frozenset[str], a_follows: bool = False) -> bool:
    """Can a post with labels ``a`` join one with labels ``b``? Not when they share no label (a protest, an
    assassination), nor when they share only ``threat`` and one reports an attack: an ultimatum is an
    event of its own, not the rocket attack its author claimed that morning, unless the threat is ``a``'s
    alone and it refers back to that attack (``a_follows``: «دماء قادتنا الذين ارتقوا في
    جرف النصر لن تذهب هدرا», "the MP whose office was targeted says he had been threatened"). Unflagged
    posts (no labels) are compatible with any."""
    if not a or not b:
        return True
    if a == {"threat"} and "attack_claim" in b:
        return a_follows
    return bool(a & b) and not (a & b == {"threat"} and "attack_claim" in a ^ b)


def reports_risen_toll(sig: Signature) -> bool:
    """Is the post an update whose toll has risen (``TOLL``)? Its counts, and those of reports after it,
    are the update's, not another event's."""
    return sig.event is not None and sig.event.follow == TOLL_FOLLOW


def refers_back(sig: Signature) -> bool:
    """Does the post's text refer back to an event it follows (``FOLLOW_UP``: «منفذي الهجوم», «المكتب
    المستهدف», "death toll rises")?"""
    return sig.event is not None and bool(sig.event.follow)


def _answers(sig: Signature) -> bool:
    """A threat alone that refers back to an attack: it may join the attack's story with no label in
    common."""
    return sig.labels == {"threat"} and refers_back(sig)


def _two_sites(a: EventKey, b: EventKey) -> bool:
    """Two records placed at two named sites finer than a district, neither inside the other (a street in
    Zayouna and Karrada, both of Rusafa)."""
    return bool(a.place and b.place and a.place not in (a.district, a.governorate, a.country)
                and b.place not in (b.district, b.governorate, b.country)
                and a.place not in b._chain() and b.place not in a._chain())


def same_story(a: Signature, b: Signature, cfg: MatchConfig, cos: float | None = None) -> float | None:
    """The match strength (cosine) when ``a`` and ``b`` report the same event, else None. ``cos``: their
    cosine when the caller computed it already (in bulk)."""
    if abs(a.ts - b.ts) > cfg.window_hours * 3600:
        return None
    if b.digest:  # a post never joins through a roundup (it names every event of the day), but its repost does
        return near_copy(a, b, cfg, cos) if labels_compatible(a.labels, b.labels) else None
    conflict, agreement = compare(a, b)
    if conflict:
        return None
    if not labels_compatible(a.labels, b.labels, refers_back(a)) and not labels_compatible(
            b.labels, a.labels, refers_back(b)):
        return None  # a protest and an assassination in the same town on the same day: two events
    if cos is None:
        cos = a.cosine(b)
    # the low bars (anchors agreeing, event records agreeing) hold only for posts hours apart: a day later the
    # same place, weapon and type is as often the next attack (a found rocket, one that lands the next day),
    # and the same formula («عاجل | انفجار عبوة ... في العمارة») the next bombing
    late = abs(a.ts - b.ts) > cfg.event_window_hours * 3600
    # "a second IED, in another area" names the first one's place and weapon, and is no follow-up of it: only
    # its own event's reports join it on the low bars, where the records say one event (same kind, same place)
    apart = sets_apart(a, b) or sets_apart(b, a)
    if a.event is not None and b.event is not None and _two_sites(a.event, b.event) and (
            apart or a.event.sub == b.event.sub == "Threat"):
        return None  # «قنبلة يدوية ثانية ... في شارع الربيعي»: set apart from the Karrada one, at another site;
        # a threat's place is its target's: threats to Victory base and to the US embassy are two
    if not late:
        if not apart and cos >= cfg.corroborated_cos and agreement >= 2:
            return cos
        same = a.event.same_event(b.event) if a.event is not None else 0
        if not same and a.event is not None and (a.event.same_threat(b.event) or _one_threat_in_two_languages(a, b)):
            same = 2  # one group's threat, its translation, its retelling: no place to agree on
        bar = (min(cfg.event_cos, cfg.other_lang_event_cos) if langid.is_other(a.lang) or langid.is_other(b.lang)
               else cfg.event_cos)
        if (same == 2 and cos >= bar) or (not apart and same == 1 and cos >= cfg.event_loose_cos
                                                     and not _dated_apart(a, b)):
            return cos
        if (not apart and not same and cos >= cfg.event_unplaced_cos and a.event is not None
                and abs(a.ts - b.ts) <= cfg.unplaced_hours * 3600 and a.event.unplaced_match(b.event)):
            return cos
        if (not apart and a.lang != b.lang and cos >= cfg.event_loose_cos
                and abs(a.ts - b.ts) <= cfg.threat_hours * 3600 and a.event is not None
                and a.event.unnamed_threat_match(b.event)):
            return cos  # a threat's translation or report that lost its author's name
        if (not apart and a.event is not None and a.event.same_deadline(b.event) and (
                (cos >= cfg.event_cos and abs(a.ts - b.ts) <= cfg.threat_hours * 3600)
                or cos >= cfg.event_loose_cos)):
            return cos  # one ultimatum, retold: the same deadline (within the event window, a close retelling)
        if (cfg.pair_weights and not apart and cos >= cfg.event_cos and pair_askable(a, b)
                and pair_probability(a, b, cos, agreement, same, cfg) >= cfg.pair_bar):
            return cos
    elif (not apart and cos >= cfg.event_cos and a.event is not None and not a.event._across_districts(b.event)
          and (not a.digest or a.event.follow.startswith("d"))):
        # (a roundup's marks of a follow-up may be any of its items'; a sit-in's Nth-day statement that lists
        # the districts whose people it calls on is no roundup: its day mark says which story)
        # (a day later, "Basra" the city is no longer one place with a town of another of its districts)
        same = a.event.same_event(b.event)
        # a threat issued a day later (a tribe's ultimatum after the clash, a faction's vow after the strike
        # on it) is an event of its own, of another type, not the morning-after report of the attack
        follows = follows_up(a, b) and (a.event.sub == "Threat") == (b.event.sub == "Threat")
        if follows and same and (a.event.same_place(b.event) or (
                cos >= cfg.event_loose_cos and not (a.event.in_capital() or b.event.in_capital()))):
            return cos  # the morning-after report of last night's event (or a protest called for that day)
        if same == 2 and _event_day(a) and _event_day(a) == _event_day(b):
            return cos  # the evening's wrap-up of the morning's blockade: one day, one place, one kind
        if follows and a.event.continues(b.event) and cos >= cfg.same_lang_cos:
            return cos  # "day two of the sit-in": one named group's, where neither names another place
        if a.event.same_deadline(b.event) and cos >= cfg.event_loose_cos:
            return cos  # an ultimatum retold the next day («نذكّر: المهلة تنتهي آخر الشهر»), as within the window
    if a.lang and b.lang and a.lang != b.lang:
        if cos < cfg.cross_lang_cos or late:
            return None
        return cos
    jac = a.jaccard(b)
    if late:  # past the event window without a follow-up's marks: only a repost (the same words) joins
        return cos if cos >= cfg.same_lang_cos and jac >= cfg.quiet_jaccard else None
    if cos >= cfg.same_lang_cos and jac >= cfg.same_lang_jaccard:
        return cos
    if cos >= cfg.same_lang_cos_alone:
        return cos
    return None


# What the pair model reads of two posts with event records (``pair_features``), in this order.
# (A pair the records call one event at district level, or a threat, never reaches it: the rules decide.)
PAIR_FEATURES = ("cos", "cross_lang", "hours", "loose_event", "same_place", "one_unplaced", "both_unplaced",
                 "same_kind", "vague_kind", "same_actor", "actor_missing", "anchors_agree", "jaccard", "follow",
                 "unrest")


def pair_features(a: Signature, b: Signature, cos: float, agreement: int, same: int) -> np.ndarray:
    """``PAIR_FEATURES`` of two posts whose event records (both present) ``compare`` found no conflict in;
    ``agreement``: the kinds of anchor that agree (``compare``); ``same``: ``EventKey.same_event`` of the
    two records (``same_story`` has it already)."""
    ea, eb = a.event, b.event
    assert ea is not None and eb is not None
    kind_a, kind_b = _SUB_KIND.get(ea.sub, ea.sub), _SUB_KIND.get(eb.sub, eb.sub)
    return np.array([
        cos,
        float(bool(a.lang and b.lang and a.lang != b.lang)),
        min(abs(a.ts - b.ts) / 3600, 24.0) / 12,
        float(same == 1),
        float(ea.same_place(eb)),
        float(bool(ea.place) != bool(eb.place)),
        float(not ea.place and not eb.place),
        float(bool(kind_a) and kind_a == kind_b),
        float(ea.sub in _VAGUE or eb.sub in _VAGUE),
        float(bool(ea.actor1) and ea.actor1 == eb.actor1),
        float(not ea.actor1 or not eb.actor1),
        min(agreement, 3) / 3,
        a.jaccard(b),
        float(bool(ea.follow or eb.follow)),
        float(ea.family == "unrest" or eb.family == "unrest"),
    ], dtype=np.float64)


def pair_askable(a: Signature, b: Signature) -> bool:
    """Whether the pair model is asked of two posts: both carry an event record, neither a threat, one at
    least placed and the two places not apart (``place_relation``). A threat names no place, weapon or kind
    to agree on, only its author (``same_threat``); two factions' threats on one morning look alike to every
    other feature (and chained on the development feeds). Two placeless dialect posts (a lawyers' strike
    called for tomorrow, a grenade on a sit-in tent that night) or two places a text reconciles only by
    naming the other town (teachers in Sulaymaniyah "like Erbil's", journalists in Erbil) gave it its false
    merges on the dense feeds (``feed_dev10a``/``10b``)."""
    return (a.event is not None and b.event is not None and a.event.sub not in ("", "Threat")
            and b.event.sub not in ("", "Threat") and (bool(a.event.place) or bool(b.event.place))
            and a.event.place_relation(b.event) >= 0)


def pair_probability(a: Signature, b: Signature, cos: float, agreement: int, same: int,
                     cfg: MatchConfig) -> float:
    """The pair model's probability that ``a`` and ``b`` report one event (``MatchConfig.pair_weights``)."""
    w = cfg.pair_weights
    z = w[0] + float(np.dot(w[1:], pair_features(a, b, cos, agreement, same)))
    return 1.0 / (1.0 + np.exp(-z))


def fits_story(sig: Signature, members: list[Signature]) -> bool:
    """Whether a post that matched one member of a story (``same_story``) fits the story as a whole: its
    labels share one with the story's, and its places, days or weapons (a threat's counts too) conflict
    with no member's. (Letting a post in that conflicts with fewer than half of the members, as a
    witness's own street may, saved seven alerts on the development feeds and mixed one more event; with
    days and weapons still vetoing, it saved one.)"""
    story_labels = frozenset().union(*(m.labels for m in members))
    if not labels_compatible(sig.labels, story_labels, refers_back(sig)):
        return False
    # once a member reports a risen toll, the story's earlier counts are no longer its event's
    risen = any(map(reports_risen_toll, members))
    # the member it matched had its counts compared (same_story); another member's count is as often of
    # another thing («رموه ٤ طلقات» beside "two gunmen", «شارع 52», a channel's «الرافدين 24»), so counts
    # veto here only for a threat, whose statements by two groups otherwise chain
    counts = sig.event is not None and sig.event.sub == "Threat"
    return not any(sig.conflicts(m, risen, counts=counts) for m in members)


def near_miss(a: Signature, b: Signature, cfg: MatchConfig, cos: float) -> bool:
    """Whether ``a``, which ``same_story`` did not match with ``b``, comes close (``hold_near_cos``): one
    more report of ``b``'s event, as likely as not, within ``hold_near_hours`` (a follow-up that refers
    back to an event: the story window; a threat alone: within ``threat_hours``, at
    ``hold_near_threat_cos``) and with nothing saying two events (``b`` placed, a label in common, no
    conflict, not set apart, not dated to days the other's event cannot be on, not two protests by two
    named groups)."""
    threat_alone = a.labels == {"threat"}
    # a follow-up («لليوم الثاني», "toll rises") may be of an event the story holds from its first day
    hours = cfg.threat_hours if threat_alone else cfg.window_hours if refers_back(a) else cfg.hold_near_hours
    bar = max(cfg.hold_near_cos, cfg.hold_near_threat_cos) if threat_alone else cfg.hold_near_cos
    return (cos >= bar and 0 <= a.ts - b.ts <= hours * 3600
            and bool(b.anchors.places) and bool(a.labels & b.labels)
            and not (sets_apart(a, b) or sets_apart(b, a)) and not a.conflicts(b) and not _dated_apart(a, b)
            and not _two_groups(a, b) and not _two_kinds(a, b))


def _two_kinds(a: Signature, b: Signature) -> bool:
    """Two attacks of two named kinds (an IED and a tribal gunfight, a sticky bomb and a village raid): as for
    a match (``EventKey.same_event``), nothing then says one event, and a near miss holds nothing. (Of
    protests, a named group beside an unnamed one stays close: on the earlier feeds, letting those alert
    split 21 more stories than it kept events apart.)"""
    ea, eb = a.event, b.event
    return (ea is not None and eb is not None and ea.family == eb.family == "violence"
            and ea.sub not in _VAGUE and eb.sub not in _VAGUE
            and _SUB_KIND.get(ea.sub, ea.sub) != _SUB_KIND.get(eb.sub, eb.sub))


def _two_groups(a: Signature, b: Signature) -> bool:
    """Two protests by two named groups (journalists outside parliament, teachers at the governorate)."""
    ea, eb = a.event, b.event
    return (ea is not None and eb is not None and ea.family == eb.family == "unrest"
            and not _actors_agree(ea.actor1, eb.actor1))


def near_copy(a: Signature, b: Signature, cfg: MatchConfig, cos: float | None = None) -> float | None:
    """The match strength when ``a`` is a near-copy of ``b`` (a repost with edits: same language, the
    same-language cosine bar and at least ``quiet_jaccard`` of the words shared), else None. The only way a
    quiet post joins a story: topical neighbours (a forecast, a news brief naming the town) must not."""
    if abs(a.ts - b.ts) > cfg.window_hours * 3600 or (a.lang and b.lang and a.lang != b.lang):
        return None
    if a.conflicts(b):
        return None
    if cos is None:
        cos = a.cosine(b)
    return cos if cos >= cfg.same_lang_cos and a.jaccard(b) >= cfg.quiet_jaccard else None


# --- screening many members at once ---------------------------------------------------------------------
# A post is compared with every cached member of every open story; most pairs fail same_story on something
# a few integers decide (the window, labels in common, whether two kinds of anchor can agree at all, the
# cosine bar that is left). SignaturePool checks those for all members in a few array operations and runs
# same_story only on the rest: it never drops a pair same_story would accept.

_POPCOUNT = np.array([bin(i).count("1") for i in range(16)], dtype=np.int8)
_LANG_CODES: dict[str, int] = {"": 0}
_LABEL_BITS: dict[str, int] = {}
_LAST_LABEL_BIT = 62  # labels past the 62nd share it: the screen then keeps more pairs, never fewer


def anchor_kinds(a: Anchors) -> int:
    """Which kinds of anchor a post names, as bits (places, numbers, days, weapons). Two posts' anchors
    can agree on a kind only where both name it, so fewer than two shared bits rule out the corroborated
    rule."""
    return bool(a.places) | bool(a.numbers) << 1 | bool(a.days) << 2 | bool(a.weapons) << 3


def lang_code(lang: str) -> int:
    """A small integer per language ("" -> 0: unknown), so languages compare as arrays."""
    return _LANG_CODES.setdefault(lang, len(_LANG_CODES))


def label_mask(labels: frozenset[str]) -> int:
    """The labels as bits, so "no label in common" is one AND on an array."""
    mask = 0
    for label in labels:
        mask |= 1 << _LABEL_BITS.setdefault(label, min(len(_LABEL_BITS), _LAST_LABEL_BIT))
    return mask


def cosine_floor(cfg: MatchConfig, corroborable: np.ndarray, cross_lang: np.ndarray,
                 event_pair: np.ndarray | bool = False, other_lang: np.ndarray | bool = False) -> np.ndarray:
    """Per pair, the lowest cosine at which some branch of ``same_story`` can still say yes: the
    corroborated bar where two kinds of anchor can agree (within ``event_window_hours``), the event bars
    where both posts carry an event record, the cross-language bar for two languages, else the lower of
    the two same-language bars."""
    lang_bar = np.where(cross_lang, cfg.cross_lang_cos, min(cfg.same_lang_cos, cfg.same_lang_cos_alone))
    floor = np.where(corroborable, np.minimum(cfg.corroborated_cos, lang_bar), lang_bar)
    # (``other_lang_event_cos`` only where either post is in another language: ``same_story``)
    event_bar = np.where(other_lang, min(cfg.event_cos, cfg.event_loose_cos, cfg.other_lang_event_cos),
                         min(cfg.event_cos, cfg.event_loose_cos))
    return np.where(event_pair, np.minimum(event_bar, floor), floor)


class SignaturePool:
    """Signatures with an embedding, held as columns (embedding matrix, times, languages, label and
    anchor-kind bits) under an owner each, so one post is screened against all of them at once. Columns
    grow by doubling; dropping owners rebuilds them (rare: a story re-read or forgotten)."""

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self._owners: list[tuple[str, Signature]] = []
        self._emb = np.zeros((0, 0), dtype=np.float32)
        self._ts = np.zeros(0, dtype=np.float64)
        self._lang = np.zeros(0, dtype=np.int32)
        self._labels = np.zeros(0, dtype=np.int64)
        self._kinds = np.zeros(0, dtype=np.int8)
        self._event = np.zeros(0, dtype=bool)  # has an event record with a sub-event type
        self._answers = np.zeros(0, dtype=bool)  # a threat that refers back to an act (``labels_compatible``)
        self._other = np.zeros(0, dtype=bool)  # in another language than Arabic and English (``langid.is_other``)

    def add(self, owner: str, sig: Signature) -> None:
        if sig.embedding is None:
            return  # no rule can match without a cosine
        n = len(self._owners)
        if n == len(self._ts):
            self._grow(max(64, 2 * n), len(sig.embedding))
        self._emb[n] = sig.embedding
        self._ts[n] = sig.ts
        self._lang[n] = lang_code(sig.lang)
        self._labels[n] = label_mask(sig.labels)
        self._kinds[n] = anchor_kinds(sig.anchors)
        self._event[n] = sig.event is not None and bool(sig.event.sub)
        self._answers[n] = _answers(sig)
        self._other[n] = langid.is_other(sig.lang)
        self._owners.append((owner, sig))

    def _grow(self, capacity: int, dim: int) -> None:
        n = len(self._owners)
        emb = np.zeros((capacity, dim), dtype=np.float32)
        if n:
            emb[:n] = self._emb[:n]
        self._emb = emb
        self._ts, self._lang, self._labels, self._kinds, self._event, self._answers, self._other = (
            np.concatenate([col[:n], np.zeros(capacity - n, dtype=col.dtype)])
            for col in (self._ts, self._lang, self._labels, self._kinds, self._event, self._answers, self._other))

    def drop(self, owners: set[str]) -> None:
        """Remove these owners' signatures."""
        if not owners or not any(owner in owners for owner, _ in self._owners):
            return
        keep = [(owner, sig) for owner, sig in self._owners if owner not in owners]
        self.clear()
        for owner, sig in keep:
            self.add(owner, sig)

    def near(self, sig: Signature, cfg: MatchConfig) -> list[tuple[str, Signature, float]]:
        """``(owner, member, cosine)`` of the members ``same_story`` may match with ``sig`` (an embedding
        needed), in the order they were added. Dropped: members outside the window, flagged with no label
        in common, or below the lowest cosine bar any rule for the pair has (a hair under it, so float
        rounding never drops a pair the rule takes; the event bars count for members with an event record
        within the event window)."""
        n = len(self._owners)
        if n == 0:
            return []
        assert sig.embedding is not None
        cos = self._emb[:n] @ np.asarray(sig.embedding, dtype=np.float32)
        within = np.abs(sig.ts - self._ts[:n]) <= cfg.window_hours * 3600
        mask = label_mask(sig.labels)
        labels = self._labels[:n]
        shared = (labels == 0) | (mask == 0) | ((labels & mask) != 0) | self._answers[:n] | _answers(sig)
        # the corroborated bar holds only within the event window
        close = np.abs(sig.ts - self._ts[:n]) <= cfg.event_window_hours * 3600
        corroborable = close & (_POPCOUNT[self._kinds[:n] & anchor_kinds(sig.anchors)] >= 2)
        # (the event bars hold past the event window too, for a follow-up that dates its event back)
        event_pair = self._event[:n] & (sig.event is not None and bool(sig.event.sub))
        lang = lang_code(sig.lang)
        cross_lang = (lang != 0) & (self._lang[:n] != 0) & (self._lang[:n] != lang)
        floor = cosine_floor(cfg, corroborable, cross_lang, event_pair,
                             self._other[:n] | langid.is_other(sig.lang))
        if sig.labels:  # a flagged post under every bar may still be a near miss (a quiet post never is)
            floor = np.minimum(floor, cfg.near_bar)
        keep = within & shared & (cos >= floor - 1e-6)
        return [(*self._owners[i], float(cos[i])) for i in np.flatnonzero(keep)]
