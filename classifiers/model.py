"""Classifiers that turn texts into labels, scores and cues, and ``load_classifier`` that picks one from
config: the shipped artifact (encoder + logistic head), another trained artifact, or a fine-tuned
Hugging Face ``AutoModelForSequenceClassification`` checkpoint."""

from __future__ import annotations

import json
import logging
import re
import shutil
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import langid
from classifiers.backbones import encoder_from_spec, torch_device
from classifiers.base import LABELS, Encoder, Prediction
from classifiers.cues import CueLexicon
from classifiers.head import LogisticHead
from classifiers.lexical import CharNgramModel
from classifiers.normalize import for_encoder
from monitor.models import Classification

log = logging.getLogger(__name__)

CHUNK_CHARS = 1500  # long posts are scored per chunk, each label taking its best chunk
MAX_CHUNKS = 8
MAX_TEXT_CHARS = 1_000_000  # beyond this a 'post' is not a post; the rest is ignored
EMPTY = "empty text"


def default_model_dir() -> Path:
    """The shipped classifier: the distilled 4-layer encoder + head (fast; README, Classifier)."""
    return Path(str(resources.files("classifiers").joinpath("models/default")))


def full_model_dir() -> Path:
    """The shipped reference classifier on the full 12-layer e5-small (``--model full``): what the
    distilled default is measured against, about 2.7x slower."""
    return Path(str(resources.files("classifiers").joinpath("models/full")))


def chunk_text(text: str, size: int = CHUNK_CHARS, limit: int = MAX_CHUNKS) -> list[str]:
    """Split a long text at whitespace into chunks of about ``size`` characters. Past ``limit`` chunks,
    the first ``limit - 1`` and the last are kept: posts put the news first and the sign-off (or the
    claim after a long preamble) last."""
    if len(text) <= size:
        return [text]
    chunks: list[str] = []
    start = 0
    while start < len(text):
        end = min(start + size, len(text))
        if end < len(text):
            cut = text.rfind(" ", start + size // 2, end)
            end = cut if cut > start else end
        chunks.append(text[start:end].strip())
        start = end
    chunks = [c for c in chunks if c]
    return chunks if len(chunks) <= limit else [*chunks[: limit - 1], chunks[-1]]


_ITEM = re.compile(r"\n+|(?:^|\s)(?=(?:\d{1,2}|[٠-٩]{1,2})\s?[/\-.)]\s)|[•▪️🔹🔸🔻🔺📌⭕️🔴🟥✅]+")
SEGMENT_MIN_CHARS = 25  # shorter lines join the next one (a headline's kicker, a hashtag line)
MAX_SEGMENTS = 24


def segments(text: str) -> list[str]:
    """The items of a multi-item post (a daily roundup, a numbered thread, a bulletin of headlines): split
    at line breaks, numbered items and bullet emoji, short pieces joined to the next. A post with one item
    gives ``[]``: it is scored whole. Each label then takes its best piece, so one violent item among ten
    quiet headlines is not averaged away."""
    parts = [p.strip() for p in _ITEM.split(text) if p and p.strip()]
    merged: list[str] = []
    carry = ""
    for part in parts:
        carry = f"{carry} {part}".strip() if carry else part
        if len(carry) >= SEGMENT_MIN_CHARS:
            merged.append(carry)
            carry = ""
    if carry:
        if merged:
            merged[-1] = f"{merged[-1]} {carry}"
        else:
            merged.append(carry)
    if len(merged) < 2:
        return []
    return merged if len(merged) <= MAX_SEGMENTS else [*merged[: MAX_SEGMENTS - 1], merged[-1]]


def pieces(text: str, *, by_segment: bool) -> tuple[list[str], list[str]]:
    """What one post is scored as: the whole text (in chunks when long; they make its embedding) and, with
    ``by_segment``, each of its items; the post's score for a label is its best piece's."""
    cleaned = for_encoder(text or "", max_chars=MAX_TEXT_CHARS)
    if not cleaned.strip():
        return [], []
    items = [for_encoder(seg) for seg in segments(text[:MAX_TEXT_CHARS])] if by_segment else []
    return chunk_text(cleaned), items


def plan_pieces(texts: list[str], *, by_segment: bool, keep: list[bool] | None = None,
                whole_only: list[bool] | None = None) -> tuple[list[str], list[int], list[bool]]:
    """What a batch is scored as: every piece (``pieces``) of each text ``keep`` keeps (all by default; of a
    text ``whole_only`` marks, its whole text alone), the index of the text each belongs to, and whether it is
    a chunk of the whole text (else one of its items)."""
    todo: list[str] = []
    owners: list[int] = []
    whole: list[bool] = []  # the whole text's chunks make the embedding; segments only vote on labels
    for i, text in enumerate(texts):
        if keep is not None and not keep[i]:
            continue
        chunks, items = pieces(text, by_segment=by_segment and not (whole_only and whole_only[i]))
        for k, piece in enumerate([*chunks, *items]):
            todo.append(piece)
            owners.append(i)
            whole.append(k < len(chunks))
    return todo, owners, whole


def best_by_piece(probs: np.ndarray, owners: list[int], whole: list[bool], n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per text (``n``) and label, of the pieces ``plan_pieces`` planned and ``probs`` scored: the best score of
    its whole text's chunks, and the best of its items (0 where it has none)."""
    best_whole = np.zeros((n, probs.shape[1]), dtype=np.float64)
    best_item = np.zeros((n, probs.shape[1]), dtype=np.float64)
    for row, i in enumerate(owners):
        target = best_whole if whole[row] else best_item
        target[i] = np.maximum(target[i], probs[row])
    return best_whole, best_item


def with_item_bars(best_whole: np.ndarray, best_item: np.ndarray, floor: np.ndarray | float) -> np.ndarray:
    """A label's score: its whole text's, or its best item's where that reaches the label's item bar
    (``floor``; 0: an item always counts)."""
    return np.maximum(best_whole, np.where(best_item >= floor, best_item, 0.0))


def pool_whole(emb: np.ndarray, owners: list[int], whole: list[bool], n: int) -> np.ndarray:
    """Per text (``n``): the L2-normalised mean of its whole text's chunk embeddings (zeros for a text not
    scored); a long post's embedding, which story matching and the other-languages head read."""
    pooled = np.zeros((n, emb.shape[1]), dtype=np.float32)
    for row, i in enumerate(owners):
        if whole[row]:
            pooled[i] += emb[row]
    pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
    return pooled


# MONITOR_OTHER_LANGUAGES's values: on (label such posts) or off (mark them unsupported_language)
_OTHER_LANGUAGE_FLAGS = {"1": True, "true": True, "yes": True, "on": True, "classify": True,
                         "0": False, "false": False, "no": False, "off": False, "unsupported": False}


class OtherLanguages:
    """The head that judges posts in languages the main model was not trained on (Sorani and Kurmanji
    Kurdish, Persian, Turkish: ``langs``): a logistic head on the whole post's embedding alone (the char
    n-grams and the cue lexicon know Arabic and English only; no item scoring, no denial damping), with its
    own thresholds. Fitted by ``classifiers/other_languages.py``; a model without one marks those posts
    ``unsupported_language``."""

    FILE = "head_other.npz"

    def __init__(self, langs: frozenset[str], head: LogisticHead, thresholds: dict[str, float],
                 meta: dict[str, Any] | None = None) -> None:
        self.langs = frozenset(langs) - langid.SUPPORTED
        self.head = head
        self.thresholds = thresholds
        self.meta = dict(meta or {})

    @classmethod
    def flag(cls, value: str | None) -> bool | None:
        """``MONITOR_OTHER_LANGUAGES``'s value as on/off (None: unset, the model's own setting)."""
        if value is None or not value.strip():
            return None
        try:
            return _OTHER_LANGUAGE_FLAGS[value.strip().lower()]
        except KeyError:
            raise ValueError(f"MONITOR_OTHER_LANGUAGES={value!r}: use classify (1, on) or unsupported (0, off)"
                             ) from None

    def meta_entry(self) -> dict[str, Any]:
        return {**self.meta, "langs": sorted(self.langs), "thresholds": self.thresholds, "head": self.FILE}

    @classmethod
    def load(cls, directory: Path, entry: dict[str, Any]) -> OtherLanguages:
        path = directory / str(entry.get("head") or cls.FILE)
        if not path.exists():
            raise FileNotFoundError(f"{path}: meta.json names an other-languages head that is not there")
        return cls(frozenset(entry["langs"]), LogisticHead.load(path),
                   {k: float(v) for k, v in entry["thresholds"].items()},
                   {k: v for k, v in entry.items() if k not in ("langs", "thresholds", "head")})


def in_short_band(text: str, short_chars: int) -> bool:
    """Whether a post falls in the short band of length-banded thresholds (``short_chars`` 0: none does)."""
    return bool(short_chars) and len(text.strip()) < short_chars


class _ChunkedScorer:
    """Shared handling of empty, long, multi-item and foreign-language texts for classifiers that score a
    batch of strings. ``by_segment``: also score each item of a multi-item post (``segments``)."""

    labels: tuple[str, ...] = LABELS
    thresholds: dict[str, float]
    # a post of fewer than ``short_chars`` characters (stripped) is judged by ``short_thresholds`` (0 or None:
    # every post by ``thresholds``): one line's score and a long post's best piece sit on different scales
    short_thresholds: dict[str, float] | None = None
    short_chars: int = 0
    cues: CueLexicon
    by_segment: bool = False
    # of a multi-item post: a label that one item carries, and the whole text does not, counts only where that
    # item scores at least this (per label; a label not named: its threshold, as for the whole text). An item
    # is a short piece read without the post around it: the line of an analyst's thread that quotes a threat,
    # a lost child's appeal, an anniversary's eulogy. Chosen on the development feeds (``bench/item_bars.py``).
    item_bars: dict[str, float] | None = None
    # attack_claim's score is multiplied by this when the post tells no attack though it may sound like one:
    # every attack cue negated (a denial: «نفى مصدر أمني سقوط أي صاروخ», "no rockets hit the base"), or an
    # accident told without any sign of violence (cues/accidents.yaml); every label's, when the post opens
    # as analysis or background (``CueLexicon.damped_labels``); pinned or cross-validated in train
    denial_factor: float = 1.0
    # the head for Kurdish, Persian and Turkish posts (None: they are marked unsupported_language)
    other: OtherLanguages | None = None

    def judges(self, lang: str) -> bool:
        """Whether this classifier gives labels to a post in ``lang`` (else: ``unsupported_language``)."""
        return langid.is_supported(lang) or (self.other is not None and lang in self.other.langs)

    def _score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def thresholds_for(self, text: str) -> dict[str, float]:
        """The per-label thresholds a post of this text is judged by (its length's band)."""
        if self.short_thresholds and in_short_band(text, self.short_chars):
            return self.short_thresholds
        return self.thresholds

    def predict(self, texts: list[str]) -> Prediction:
        langs = [langid.detect(text or "") for text in texts]
        other = [self.other is not None and lang in self.other.langs for lang in langs]
        judged = [self.judges(lang) for lang in langs]
        todo, owners, whole = plan_pieces(texts, by_segment=self.by_segment, keep=judged, whole_only=other)
        probs, emb = self._score(todo) if todo else (np.zeros((0, len(self.labels))), None)
        n = len(texts)
        # an item's score counts where it reaches its label's item bar (none set: always)
        floor = np.array([(self.item_bars or {}).get(lb, 0.0) for lb in self.labels], dtype=np.float64)
        best = with_item_bars(*best_by_piece(probs, owners, whole, n), floor)
        seen = np.zeros(n, dtype=bool)
        seen[owners] = True
        pooled = pool_whole(emb, owners, whole, n) if emb is not None and emb.ndim == 2 and emb.shape[1] else None
        if self.other is not None and pooled is not None:
            rows = [i for i in range(n) if other[i] and seen[i]]
            if rows:  # their own head, on the whole post's embedding
                best[rows] = self.other.head.predict_proba(pooled[rows])
        bars = [self.other.thresholds if (other[i] and self.other is not None) else self.thresholds_for(text or "")
                for i, text in enumerate(texts)]
        if self.denial_factor != 1.0:
            for i in np.flatnonzero(seen):  # damping matters only where a label would be given
                if other[i]:
                    continue
                given = [j for j, lb in enumerate(self.labels) if best[i, j] >= bars[i].get(lb, 0.5)]
                if given and (damped := self.cues.damped_labels(texts[i] or "", self.labels)):
                    for j in given:
                        if self.labels[j] in damped:
                            best[i, j] *= self.denial_factor
        for i in np.flatnonzero(seen):  # a shape the model underrates is given its label's bar
            if not other[i] and (raised := self.cues.raised_labels(texts[i] or "")):
                for j, lb in enumerate(self.labels):
                    if lb in raised:
                        best[i, j] = max(best[i, j], bars[i].get(lb, 0.5))
        results = []
        zero = dict.fromkeys(self.labels, 0.0)
        for i, text in enumerate(texts):
            lang = langs[i] if langs[i] != "und" else None
            if not judged[i]:
                results.append(Classification(labels=[], scores=dict(zero), lang=lang, unsupported_language=True))
                continue
            if not seen[i]:
                results.append(Classification(labels=[], scores=dict(zero), error=EMPTY, lang=lang))
                continue
            scores = {lb: round(float(best[i, j]), 4) for j, lb in enumerate(self.labels)}
            labels = [lb for lb in self.labels if scores[lb] >= bars[i].get(lb, 0.5)]
            found = self.cues.match(text) if labels else {}
            results.append(Classification(labels=labels, scores=scores, lang=lang,
                                          cues={lb: found.get(lb, []) for lb in labels}))
        return Prediction(results=results, embeddings=pooled)


class EmbeddingClassifier(_ChunkedScorer):
    """A sentence encoder (multilingual transformer) with a multi-label logistic head, optionally blended
    with the lexical channel (char n-grams, weight ``blend``), and per-label thresholds."""

    def __init__(self, encoder: Encoder, head: LogisticHead, thresholds: dict[str, float],
                 labels: tuple[str, ...] = LABELS, meta: dict[str, Any] | None = None,
                 lexical: CharNgramModel | None = None, blend: float = 0.0, by_segment: bool = False,
                 denial_factor: float = 1.0, short_thresholds: dict[str, float] | None = None,
                 short_chars: int = 0, item_bars: dict[str, float] | None = None,
                 other: OtherLanguages | None = None) -> None:
        self.encoder = encoder
        # the head is kept either way; it judges posts only where its meta entry says ``enabled`` (or
        # ``judge_other_languages`` turns it on)
        self._other_available = other
        self.other = other if other is not None and other.meta.get("enabled") else None
        self.item_bars = dict(item_bars) if item_bars else None
        self.short_thresholds = short_thresholds or None
        self.short_chars = int(short_chars) if short_thresholds else 0
        self.by_segment = by_segment
        self.denial_factor = denial_factor
        self.head = head
        self.thresholds = thresholds
        self.labels = labels
        self.meta = meta or {}
        self.lexical = lexical
        self.blend = blend if lexical is not None else 0.0
        self.cues = CueLexicon.default()
        self.name = f"{encoder.name}+logistic" + (f"+char-ngrams@{self.blend:g}" if self.blend else "")
        if by_segment:
            self.name += "+segments"
        if denial_factor != 1.0:
            self.name += "+denials"
        if self.other is not None:
            self.name += "+other-languages"
        if getattr(encoder, "engine", None):  # which engine ran the network (reports say what was measured)
            self.name += f" [engine {encoder.engine}]"

    def _score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        emb = self.encoder.encode(texts)
        probs = self.head.predict_proba(emb)
        if self.lexical is not None and self.blend:
            probs = (1 - self.blend) * probs + self.blend * self.lexical.predict_proba(texts)
        return probs, emb

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, source in getattr(self.encoder, "files", dict)().items():
            if source.resolve() != (directory / name).resolve():
                shutil.copyfile(source, directory / name)
        self.head.save(directory / "head.npz")
        if self.lexical is not None:
            self.lexical.save(directory / "lexical.npz")
        if self._other_available is not None:
            self._other_available.head.save(directory / OtherLanguages.FILE)
        # (the attribute says whether item bars apply, and so whether where they were chosen still means anything)
        kept = {k: v for k, v in self.meta.items()
                if k not in ("item_bars", "other_languages") and (k != "item_bars_chosen_on" or self.item_bars)}
        meta = {**kept, **(extra or {}), "kind": "embedding-head", "labels": list(self.labels),
                "thresholds": self.thresholds, "blend": self.blend, "by_segment": self.by_segment,
                "denial_factor": self.denial_factor,
                **({"short_thresholds": self.short_thresholds, "short_chars": self.short_chars}
                   if self.short_thresholds else {}),
                **({"item_bars": self.item_bars} if self.item_bars else {}),
                **({"other_languages": self._other_available.meta_entry()} if self._other_available is not None
                   else {}),
                "encoder": self.encoder.spec()}  # type: ignore[attr-defined]
        (directory / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")

    @classmethod
    def load(cls, directory: Path, *, threads: int | None = None) -> EmbeddingClassifier:
        meta = json.loads((directory / "meta.json").read_text())
        encoder = encoder_from_spec(meta["encoder"], threads=threads, base=directory)
        head = LogisticHead.load(directory / "head.npz")
        lexical = CharNgramModel.load(directory / "lexical.npz") if (directory / "lexical.npz").exists() else None
        return cls(encoder, head, {k: float(v) for k, v in meta["thresholds"].items()},
                   tuple(meta["labels"]), meta, lexical=lexical, blend=float(meta.get("blend", 0.0)),
                   by_segment=bool(meta.get("by_segment", False)),
                   denial_factor=float(meta.get("denial_factor", 1.0)),
                   short_thresholds={k: float(v) for k, v in (meta.get("short_thresholds") or {}).items()} or None,
                   short_chars=int(meta.get("short_chars") or 0),
                   item_bars={k: float(v) for k, v in (meta.get("item_bars") or {}).items()} or None,
                   other=OtherLanguages.load(directory, meta["other_languages"]) if meta.get("other_languages")
                   else None)

    @property
    def other_available(self) -> OtherLanguages | None:
        return self._other_available

    def judge_other_languages(self, on: bool) -> None:
        """Label Kurdish, Persian and Turkish posts with the other-languages head (on), or mark them
        ``unsupported_language`` (off)."""
        if on and self._other_available is None:
            raise ModelNotFound("this model has no head for Kurdish, Persian or Turkish posts "
                                "(python -m classifiers.other_languages fits one)")
        self.other = self._other_available if on else None
        self.name = self.name.replace("+other-languages", "") + ("+other-languages" if on else "")


class HFSequenceClassifier(_ChunkedScorer):
    """A fine-tuned multi-label ``AutoModelForSequenceClassification`` checkpoint (local path or hub id).

    Its ``id2label`` must name our labels; thresholds come from ``monitor_thresholds.json`` beside the
    weights when present (``monitor train --finetune`` writes it), else 0.5. Embeddings for story
    matching are the mean-pooled last hidden states."""

    THRESHOLDS_FILE = "monitor_thresholds.json"

    def __init__(self, name_or_path: str, *, max_length: int = 256, batch_size: int = 32,
                 device: str | None = None) -> None:
        import torch
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        self._torch = torch
        self.device = torch_device(device)
        self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        self.model = AutoModelForSequenceClassification.from_pretrained(name_or_path).to(self.device).eval()
        id2label = {int(k): v for k, v in self.model.config.id2label.items()}
        missing = [lb for lb in LABELS if lb not in id2label.values()]
        if missing:
            raise ValueError(f"{name_or_path}: id2label {sorted(id2label.values())} lacks {missing}")
        self.columns = [next(i for i, v in id2label.items() if v == lb) for lb in LABELS]
        self.labels = LABELS
        path = Path(name_or_path) / self.THRESHOLDS_FILE
        self.thresholds = ({k: float(v) for k, v in json.loads(path.read_text()).items()}
                           if path.exists() else dict.fromkeys(LABELS, 0.5))
        self.max_length = max_length
        self.batch_size = batch_size
        self.cues = CueLexicon.default()
        self.name = f"hf-finetuned:{name_or_path}"

    def _score(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
        torch = self._torch
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        probs = np.zeros((len(texts), len(self.labels)), dtype=np.float32)
        emb = np.zeros((len(texts), int(self.model.config.hidden_size)), dtype=np.float32)
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                batch = self.tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt").to(self.device)
                out = self.model(**batch, output_hidden_states=True)
                probs[idx] = torch.sigmoid(out.logits[:, self.columns]).float().cpu().numpy()
                hidden = out.hidden_states[-1]
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                emb[idx] = ((hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)).float().cpu().numpy()
        emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        return probs, emb


class ModelNotFound(Exception):
    pass


def load_classifier(spec: str | Path | None = None, *, threads: int | None = None,
                    other_languages: bool | None = None) -> EmbeddingClassifier | HFSequenceClassifier:
    """``None``/``default``: the shipped artifact; ``full``: the shipped 12-layer reference. A directory
    with ``meta.json``: a trained artifact.
    A directory with a transformers ``config.json``, or ``hf:<hub id or path>``: a fine-tuned checkpoint.
    ``other_languages``: label Kurdish, Persian and Turkish posts with the model's head for them (True; an
    error if it has none), mark them ``unsupported_language`` (False), or as the model says (None)."""
    clf = _load(spec, threads)
    if other_languages is not None:
        if isinstance(clf, EmbeddingClassifier):
            clf.judge_other_languages(other_languages)
        elif other_languages:
            raise ModelNotFound(f"{spec}: a transformers checkpoint has no head for Kurdish, Persian or Turkish")
    return clf


def _load(spec: str | Path | None, threads: int | None) -> EmbeddingClassifier | HFSequenceClassifier:
    if spec in (None, "", "default", "full"):
        directory = full_model_dir() if spec == "full" else default_model_dir()
        if not (directory / "meta.json").exists():
            raise ModelNotFound(f"no trained model at {directory}: run `make train`")
        return EmbeddingClassifier.load(directory, threads=threads)
    text = str(spec)
    if text.startswith("hf:"):
        return HFSequenceClassifier(text[3:])
    path = Path(text)
    if (path / "meta.json").exists():
        return EmbeddingClassifier.load(path, threads=threads)
    if (path / "config.json").exists():
        return HFSequenceClassifier(str(path))
    raise ModelNotFound(f"{spec}: neither a monitor model directory (meta.json) nor a transformers "
                        "checkpoint (config.json); use hf:<hub-id> for a hub model")
