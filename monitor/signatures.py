"""What story matching compares: a post's signature (multilingual embedding, MinHash of its words,
anchors) and the rule that decides "same story".

The rule, with thresholds chosen on half of the labeled pair set (``bench/stories.py``):
- posts whose anchors conflict are different events: at the finest level both name, places that share
  none (``Ain al-Asad`` vs ``Erbil airport``), different weekdays, different weapons, disjoint counts
  ("3 rockets" vs "6 rockets"): formulaic claims and security bulletins differ in little else; so are
  two flagged posts whose labels share none (a protest, an assassination);
- same language: embedding cosine high and word overlap (MinHash Jaccard) present, or cosine very high;
- different languages (a translation, an English outlet's report): embedding cosine alone, above a lower
  bar;
- either language, a lower bar still when two or more kinds of anchor agree (the same base and the same
  weapon, the same town and the same count): what a translation keeps when its wording shares nothing."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from datasketch import MinHash

from classifiers.anchors import Anchors, anchors
from classifiers.normalize import clean_for_model, normalize_for_match

NUM_PERM = 64
_WORD = re.compile(r"\w+")
_STOP = frozenset({"عاجل", "breaking", "urgent", "the", "and", "of", "in", "on", "to", "a", "في", "من", "على",
                   "الى", "عن", "و", "ان"})


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
    quiet_jaccard: float = 0.5  # a quiet post joins a story only as a near-copy of a member (see near_copy)
    window_hours: float = 48.0

    @classmethod
    def for_classifier(cls, classifier: object, window_hours: float | None = None) -> MatchConfig:
        """The thresholds tuned for this classifier's embeddings (its ``meta["story_thresholds"]``), if any."""
        tuned = dict(getattr(classifier, "meta", {}).get("story_thresholds", {}))
        unknown = set(tuned) - {f.name for f in fields(cls)} | ({"window_hours"} & set(tuned))
        if unknown:
            raise ValueError(f"story_thresholds: unknown keys {sorted(unknown)}")
        if window_hours is not None:
            tuned["window_hours"] = window_hours
        return cls(**{k: float(v) for k, v in tuned.items()})


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
_FAMILY = {"Explosions/Remote violence": "violence", "Battles": "violence", "Violence against civilians": "violence",
           "Protests": "unrest", "Riots": "unrest"}


@dataclass(frozen=True, slots=True)
class EventKey:
    """What story matching compares of a post's event record. Places are compared through the anchors
    (every place a post names, at the finest level both name: gazetteer containment); actors and the
    record's single place are not: measured on the story feed, their extraction errors split more true
    stories than they kept apart."""

    family: str = ""

    @classmethod
    def of(cls, event: dict[str, Any] | None) -> EventKey | None:
        family = _FAMILY.get(str((event or {}).get("event_type") or ""), "")
        return cls(family) if family else None

    def conflicts(self, other: EventKey | None) -> bool:
        """Two events that cannot be one: an attack and a protest."""
        return other is not None and self.family != other.family

    def to_wire(self) -> list[str]:
        return [self.family]


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

    @classmethod
    def of(cls, text: str, lang: str | None, embedding: np.ndarray | None, ts: float, key: str = "",
           labels: frozenset[str] | list[str] = frozenset(), event: dict[str, Any] | None = None) -> Signature:
        return cls(lang or "", embedding, minhash(words(text)), anchors(text), ts, key, frozenset(labels),
                   EventKey.of(event))

    def conflicts(self, other: Signature) -> bool:
        """Anchors (another base, day, weapon, count) or event records (another type, place, actor) that
        say two posts report two events."""
        return self.anchors.compare(other.anchors)[0] or (
            self.event is not None and self.event.conflicts(other.event))

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
                "labels": sorted(self.labels), "event": self.event.to_wire() if self.event else None}

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> Signature:
        emb = data.get("emb")
        vec = np.frombuffer(base64.b64decode(str(emb)), dtype=np.float16).astype(np.float32) if emb else None
        mh = np.frombuffer(base64.b64decode(str(data["mh"])), dtype=np.uint64)
        anchors_ = Anchors(*(frozenset(data.get(k, [])) for k in ("places", "numbers", "days", "weapons")))  # type: ignore[arg-type]
        event = data.get("event")
        return cls(str(data.get("lang", "")), vec, mh, anchors_, float(data["ts"]),  # type: ignore[arg-type]
                   str(data.get("key", "")), frozenset(data.get("labels", [])),  # type: ignore[arg-type]
                   EventKey(*event) if event else None)  # type: ignore[misc]


def same_story(a: Signature, b: Signature, cfg: MatchConfig, cos: float | None = None) -> float | None:
    """The match strength (cosine) when ``a`` and ``b`` report the same event, else None. ``cos``: their
    cosine when the caller computed it already (in bulk)."""
    if abs(a.ts - b.ts) > cfg.window_hours * 3600:
        return None
    conflict, agreement = a.anchors.compare(b.anchors)
    if conflict or (a.event is not None and a.event.conflicts(b.event)):
        return None
    if a.labels and b.labels and not a.labels & b.labels:
        return None  # a protest and an assassination in the same town on the same day: two events
    if cos is None:
        cos = a.cosine(b)
    if cos >= cfg.corroborated_cos and agreement >= 2:
        return cos
    if a.lang and b.lang and a.lang != b.lang:
        if cos < cfg.cross_lang_cos:
            return None
        return cos
    jac = a.jaccard(b)
    if cos >= cfg.same_lang_cos and jac >= cfg.same_lang_jaccard:
        return cos
    if cos >= cfg.same_lang_cos_alone:
        return cos
    return None


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


def cosine_floor(cfg: MatchConfig, corroborable: np.ndarray, cross_lang: np.ndarray) -> np.ndarray:
    """Per pair, the lowest cosine at which some branch of ``same_story`` can still say yes: the
    corroborated bar where two kinds of anchor can agree, the cross-language bar for two languages, else
    the lower of the two same-language bars."""
    lang_bar = np.where(cross_lang, cfg.cross_lang_cos, min(cfg.same_lang_cos, cfg.same_lang_cos_alone))
    return np.where(corroborable, np.minimum(cfg.corroborated_cos, lang_bar), lang_bar)


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
        self._owners.append((owner, sig))

    def _grow(self, capacity: int, dim: int) -> None:
        n = len(self._owners)
        emb = np.zeros((capacity, dim), dtype=np.float32)
        if n:
            emb[:n] = self._emb[:n]
        self._emb = emb
        self._ts, self._lang, self._labels, self._kinds = (
            np.concatenate([col[:n], np.zeros(capacity - n, dtype=col.dtype)])
            for col in (self._ts, self._lang, self._labels, self._kinds))

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
        rounding never drops a pair the rule takes)."""
        n = len(self._owners)
        if n == 0:
            return []
        assert sig.embedding is not None
        cos = self._emb[:n] @ np.asarray(sig.embedding, dtype=np.float32)
        within = np.abs(sig.ts - self._ts[:n]) <= cfg.window_hours * 3600
        mask = label_mask(sig.labels)
        labels = self._labels[:n]
        shared = (labels == 0) | (mask == 0) | ((labels & mask) != 0)
        corroborable = _POPCOUNT[self._kinds[:n] & anchor_kinds(sig.anchors)] >= 2
        lang = lang_code(sig.lang)
        cross_lang = (lang != 0) & (self._lang[:n] != 0) & (self._lang[:n] != lang)
        keep = within & shared & (cos >= cosine_floor(cfg, corroborable, cross_lang) - 1e-6)
        return [(*self._owners[i], float(cos[i])) for i in np.flatnonzero(keep)]
