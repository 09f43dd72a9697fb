"""Fitting the head that judges Kurdish (Sorani, Kurmanji), Persian and Turkish posts (``OtherLanguages``).

The main head blends the sentence embedding with Arabic and English char n-grams and was fitted on Arabic and
English; on these languages its scores rank fairly but sit on another scale (zero-shot, on the development
feeds' 2,300 such posts, Persian and Turkish rank well, Sorani not). This head reads the whole post's embedding
alone (the multilingual encoder is what carries over), fitted on labelled posts of those languages:
``classifiers/data/other_languages.jsonl`` (train and dev splits by id hash) and the listed development
feeds. Its strength and thresholds come from out-of-fold scores (folds by id hash), so a threshold is set
where a post the head did not see puts its score.

    python -m classifiers.other_languages [--model DIR] [--train-on FEED ...] [--l2 ...]

rewrites ``DIR/head_other.npz`` and the ``other_languages`` entry of ``DIR/meta.json``; the rest of the model
is untouched (the same posts in Arabic and English get the same scores)."""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from classifiers import data
from classifiers.base import LABELS
from classifiers.head import LogisticHead
from classifiers.metrics import prf
from classifiers.model import EmbeddingClassifier, OtherLanguages, default_model_dir, plan_pieces, pool_whole

log = logging.getLogger(__name__)

LANGS = ("ckb", "kmr", "fa", "tr")
DATA_FILE = "other_languages.jsonl"
L2_GRID = (3.0, 10.0, 30.0, 100.0)
THRESHOLD_GRID = np.round(np.arange(0.30, 0.96, 0.01), 2)


@dataclass(frozen=True, slots=True)
class Labelled:
    key: str  # the fold is hashed from it
    lang: str
    text: str
    labels: tuple[str, ...]
    source: str


def load_rows(paths: list[Path], *, splits: tuple[str, ...] | None = ("train", "dev")) -> list[Labelled]:
    """Posts in ``LANGS`` of labelled JSONL files (corpus or feed format); of a corpus-format file (rows with
    an ``id``) only the ``splits`` given (by id hash where a row names none); a feed's posts all."""
    rows: list[Labelled] = []
    for path in paths:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                row = json.loads(line)
                if row.get("lang") not in LANGS:
                    continue
                labels = tuple(row.get("labels") or ())
                if any(lb not in LABELS for lb in labels):
                    raise ValueError(f"{path}:{n}: labels must be among {', '.join(LABELS)}")
                if "id" in row:
                    split = row.get("split") or data.split_of(str(row["id"]))
                    if splits is not None and split not in splits:
                        continue
                    key = str(row["id"])
                else:
                    key = f"{path.name}:{row.get('channel')}:{row.get('message_id', n)}"
                rows.append(Labelled(key, row["lang"], str(row.get("text") or ""), labels, path.name))
    return rows


def embed(clf: EmbeddingClassifier, texts: list[str], batch: int = 128) -> np.ndarray:
    """The whole post's embedding, as ``predict`` pools it for this head."""
    out = []
    for start in range(0, len(texts), batch):
        part = texts[start : start + batch]
        todo, owners, whole = plan_pieces(part, by_segment=False)
        emb = clf.encoder.encode(todo) if todo else np.zeros((0, clf.encoder.dim), dtype=np.float32)
        out.append(pool_whole(emb, owners, whole, len(part)))
    return np.vstack(out) if out else np.zeros((0, clf.encoder.dim), dtype=np.float32)


def _fold(key: str, k: int) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % k


def best_thresholds(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Per label, the threshold of ``THRESHOLD_GRID`` with the best F1 (the lowest of ties)."""
    out = {}
    for j, label in enumerate(LABELS):
        f1 = [prf(y[:, j], (p[:, j] >= t).astype(int))[2] for t in THRESHOLD_GRID]
        out[label] = float(THRESHOLD_GRID[int(np.argmax(f1))])
    return out


def macro_f1(y: np.ndarray, p: np.ndarray, thresholds: dict[str, float]) -> float:
    scores = []
    for j, label in enumerate(LABELS):
        truth, pred = y[:, j], (p[:, j] >= thresholds[label]).astype(int)
        if truth.any() or pred.any():  # (a label neither given nor predicted counts for nothing)
            scores.append(prf(truth, pred)[2])
    return float(np.mean(scores)) if scores else 0.0


def fit(x: np.ndarray, y: np.ndarray, keys: list[str], *, l2_grid: tuple[float, ...] = L2_GRID,
        folds: int = 5) -> tuple[LogisticHead, dict[str, float], dict[str, object]]:
    """The head on all rows, with the strength whose out-of-fold scores give the best macro-F1 (each at its
    out-of-fold best thresholds), and those thresholds."""
    fold = np.array([_fold(key, folds) for key in keys])
    trials = []
    for l2 in l2_grid:
        oof = np.zeros_like(y, dtype=np.float64)
        for k in range(folds):
            held = fold == k
            oof[held] = LogisticHead.fit(x[~held], y[~held], l2=l2).predict_proba(x[held])
        thresholds = best_thresholds(y, oof)
        trials.append((macro_f1(y, oof, thresholds), -l2, l2, thresholds))
        log.info("other languages: l2 %g, out-of-fold macro-F1 %.3f, thresholds %s", l2, trials[-1][0], thresholds)
    score, _, l2, thresholds = max(trials, key=lambda t: (t[0], t[1]))
    report = {"l2": l2, "folds": folds, "oof_macro_f1": round(score, 4),
              "trials": {f"{t[2]:g}": round(t[0], 4) for t in trials}}
    return LogisticHead.fit(x, y, l2=l2), thresholds, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m classifiers.other_languages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=default_model_dir(), help="model directory (default: shipped)")
    parser.add_argument("--data", type=Path, action="append", default=None,
                        help=f"labelled corpus-format file (repeatable; default: classifiers/data/{DATA_FILE} "
                             "and the corpus); its train and dev splits")
    parser.add_argument("--train-on", type=Path, action="append", default=[], help="a labelled feed (repeatable)")
    parser.add_argument("--l2", type=float, action="append", default=None, help="strengths to try")
    parser.add_argument("--enable", action="store_true",
                        help="label such posts by default (else only with MONITOR_OTHER_LANGUAGES=classify)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    paths = args.data or [data.corpus_path().parent / DATA_FILE, data.corpus_path()]
    rows = load_rows(paths) + load_rows(args.train_on, splits=None)
    if not rows:
        print("no posts in Kurdish, Persian or Turkish in the files given", file=sys.stderr)
        return 2
    clf = EmbeddingClassifier.load(args.model)
    log.info("other languages: %d posts (%s), embedding", len(rows),
             ", ".join(f"{lang} {sum(r.lang == lang for r in rows)}" for lang in LANGS))
    x = embed(clf, [r.text for r in rows])
    y = np.array([[lb in r.labels for lb in LABELS] for r in rows], dtype=np.float64)
    head, thresholds, report = fit(x, y, [r.key for r in rows], l2_grid=tuple(args.l2 or L2_GRID))
    sources: dict[str, int] = {}
    for r in rows:
        sources[r.source] = sources.get(r.source, 0) + 1
    clf.other = OtherLanguages(frozenset(LANGS), head, thresholds,
                               {"enabled": bool(args.enable), **report, "posts": len(rows), "trained_on": sources})
    meta = json.loads((args.model / "meta.json").read_text())
    meta["other_languages"] = clf.other.meta_entry()
    head.save(args.model / OtherLanguages.FILE)
    (args.model / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
    print(f"{args.model / OtherLanguages.FILE}: l2 {report['l2']:g}, out-of-fold macro-F1 {report['oof_macro_f1']}, "
          f"thresholds {thresholds}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
