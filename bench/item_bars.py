"""Choose the item bars of a segment-scoring model (``EmbeddingClassifier.item_bars``) on labelled feeds.

A multi-item post (a daily roundup, a numbered thread, a long post of many lines) is scored whole and item by
item; each label takes its best piece, so that one violent item among ten quiet headlines is not averaged
away. But an item is a short piece read without the post around it: the line of an analyst's thread that
quotes a threat, a lost child's appeal («مناشدة عاجلة»), the eulogy of an anniversary. On the development
feeds most ``threat`` flags that an item carries alone are wrong. An item bar makes such an item count for a
label only where it scores at least the bar; the whole text's score is judged by the threshold as before.

For each label this scores every Arabic and English post of the feeds (its whole text, and its items), and
tries bars from the label's threshold up in steps of 0.01: the per-post F1 of the label, pooled over the
feeds, for each. It keeps the lowest bar within ``--tolerance`` of the best F1, and no bar at all where none
gains ``--min-gain``. ``--write`` stores the bars in the model's ``meta.json`` with the feeds they were
chosen on.

    .venv/bin/python -m bench.item_bars --feed classifiers/data/feed_dev3b.jsonl ... [--write]

Never pass the test set (``classifiers/data/feed/``): this is where the bars are chosen.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import langid
from classifiers.base import LABELS
from classifiers.model import (
    EmbeddingClassifier,
    best_by_piece,
    default_model_dir,
    load_classifier,
    plan_pieces,
    with_item_bars,
)


def piece_scores(clf: EmbeddingClassifier, texts: list[str], batch: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """Per text and label: the best score of its whole text's chunks, and of its items (0 without items)."""
    todo, owners, whole = plan_pieces(texts, by_segment=True)
    probs = np.concatenate([clf._score(todo[s : s + batch])[0] for s in range(0, len(todo), batch)]) if todo else (
        np.zeros((0, len(clf.labels))))
    return best_by_piece(probs, owners, whole, len(texts))


def _f1(y: np.ndarray, pred: np.ndarray) -> float:
    tp = int((y & pred).sum())
    return 2 * tp / max(1, 2 * tp + int((~y & pred).sum()) + int((y & ~pred).sum()))


def choose(y: np.ndarray, best_whole: np.ndarray, best_item: np.ndarray, negated: np.ndarray,
           thresholds: dict[str, float], denial_factor: float, *, tolerance: float = 0.001,
           min_gain: float = 0.002) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """The bars (labels that gain from one) and a row per label and bar tried. ``negated``: per post and label,
    whether the model's damping applies there (``CueLexicon.damped_labels``: a denial, an accident, analysis)."""
    bars: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    for j, lb in enumerate(LABELS):
        th = thresholds[lb]
        tried: list[tuple[float, float, int, int]] = []
        for bar in np.round(np.arange(th, 1.0, 0.01), 2):
            score = with_item_bars(best_whole[:, j], best_item[:, j], bar)
            if denial_factor != 1.0:
                score = np.where((score >= th) & negated[:, j], score * denial_factor, score)
            pred = score >= th
            tried.append((float(bar), _f1(y[:, j], pred), int((pred & y[:, j]).sum()), int((pred & ~y[:, j]).sum())))
        base = tried[0][1]
        top = max(f for _, f, _, _ in tried)
        chosen = next(bar for bar, f, _, _ in tried if f >= top - tolerance)
        if top - base >= min_gain and chosen > th:
            bars[lb] = chosen
        for bar, f, tp, fp in tried:
            if bar in (th, chosen) or abs(bar * 20 - round(bar * 20)) < 1e-9:  # the ends and every 0.05
                rows.append({"label": lb, "bar": bar, "f1": round(f, 4), "tp": tp, "fp": fp,
                             "chosen": bar == bars.get(lb, th)})
    return bars, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feed", action="append", type=Path, required=True, help="a labelled feed (repeatable)")
    parser.add_argument("--model", default=None, help="default (shipped), or a model directory")
    parser.add_argument("--tolerance", type=float, default=0.001, help="keep the lowest bar this close to the best")
    parser.add_argument("--min-gain", type=float, default=0.002, help="a label keeps no bar below this F1 gain")
    parser.add_argument("--write", action="store_true", help="store the bars in the model's meta.json")
    args = parser.parse_args(argv)
    if any("data/feed/" in str(p) for p in args.feed):
        parser.error("the feed test set (classifiers/data/feed/) is never used to choose anything")
    from monitor.feed_eval import load_feed

    clf = load_classifier(args.model)
    if not isinstance(clf, EmbeddingClassifier) or not clf.by_segment:
        parser.error("item bars apply to an embedding-head model that scores by segment")
    items = [it for it in load_feed(args.feed) if it.lang in ("ar", "en")
             and langid.is_supported(langid.detect(it.post.text))]
    texts = [it.post.text for it in items]
    y = np.array([[lb in it.labels for lb in LABELS] for it in items], dtype=bool)
    best_whole, best_item = piece_scores(clf, texts)
    negated = np.array([[lb in damped for lb in LABELS] for damped in (clf.cues.damped_labels(t, LABELS)
                                                                       for t in texts)], dtype=bool)
    bars, rows = choose(y, best_whole, best_item, negated, clf.thresholds, clf.denial_factor,
                        tolerance=args.tolerance, min_gain=args.min_gain)
    print(f"{len(items)} Arabic and English posts of {len(args.feed)} feeds; thresholds {clf.thresholds}")
    print(f"{'label':<13} {'bar':>5} {'F1':>7} {'TP':>5} {'FP':>5}")
    for r in rows:
        mark = "  <- chosen" if r["chosen"] else ""
        print(f"{r['label']:<13} {r['bar']:>5.2f} {r['f1']:>7.4f} {r['tp']:>5} {r['fp']:>5}{mark}")
    print(f"item bars: {bars or 'none'}")
    if args.write:
        directory = Path(args.model) if args.model and Path(args.model).is_dir() else None
        if directory is None:
            directory = default_model_dir()
        meta_path = directory / "meta.json"
        meta = json.loads(meta_path.read_text())
        meta.pop("item_bars", None)
        if bars:
            meta["item_bars"] = bars
            meta["item_bars_chosen_on"] = sorted(p.name for p in args.feed)
        else:
            meta.pop("item_bars_chosen_on", None)
        meta_path.write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n")
        print(f"written to {meta_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
