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
from dataclasses import dataclass

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
    same_lang_cos: float = 0.92  # with word overlap
    same_lang_jaccard: float = 0.05
    same_lang_cos_alone: float = 0.96  # near-identical meaning, little shared wording
    cross_lang_cos: float = 0.85
    corroborated_cos: float = 0.76  # either language, when two or more kinds of anchor agree
    window_hours: float = 48.0


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


@dataclass(slots=True)
class Signature:
    lang: str
    embedding: np.ndarray | None  # L2-normalised, float32
    minhash: np.ndarray  # uint64 (NUM_PERM,)
    anchors: Anchors
    ts: float  # post time, epoch seconds
    key: str = ""
    labels: frozenset[str] = frozenset()  # the classifier's labels for the post

    @classmethod
    def of(cls, text: str, lang: str | None, embedding: np.ndarray | None, ts: float, key: str = "",
           labels: frozenset[str] | list[str] = frozenset()) -> Signature:
        return cls(lang or "", embedding, minhash(words(text)), anchors(text), ts, key, frozenset(labels))

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
                "labels": sorted(self.labels)}

    @classmethod
    def from_wire(cls, data: dict[str, object]) -> Signature:
        emb = data.get("emb")
        vec = np.frombuffer(base64.b64decode(str(emb)), dtype=np.float16).astype(np.float32) if emb else None
        mh = np.frombuffer(base64.b64decode(str(data["mh"])), dtype=np.uint64)
        anchors_ = Anchors(*(frozenset(data.get(k, [])) for k in ("places", "numbers", "days", "weapons")))  # type: ignore[arg-type]
        return cls(str(data.get("lang", "")), vec, mh, anchors_, float(data["ts"]),  # type: ignore[arg-type]
                   str(data.get("key", "")), frozenset(data.get("labels", [])))  # type: ignore[arg-type]


def same_story(a: Signature, b: Signature, cfg: MatchConfig, cos: float | None = None) -> float | None:
    """The match strength (cosine) when ``a`` and ``b`` report the same event, else None. ``cos``: their
    cosine when the caller computed it already (in bulk)."""
    if abs(a.ts - b.ts) > cfg.window_hours * 3600:
        return None
    conflict, agreement = a.anchors.compare(b.anchors)
    if conflict:
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
