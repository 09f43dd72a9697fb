"""Precision / recall / F1 per label and macro-F1, and threshold tuning."""

from __future__ import annotations

import numpy as np


def prf(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[float, float, float, int]:
    """Precision, recall, F1 and support of one binary column."""
    tp = int(np.sum((y_true == 1) & (y_pred == 1)))
    fp = int(np.sum((y_true == 0) & (y_pred == 1)))
    fn = int(np.sum((y_true == 1) & (y_pred == 0)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f, int(y_true.sum())


def report(y_true: np.ndarray, y_pred: np.ndarray, labels: tuple[str, ...]) -> dict[str, object]:
    per_label = {}
    for j, label in enumerate(labels):
        p, r, f, s = prf(y_true[:, j], y_pred[:, j])
        per_label[label] = {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4), "support": s}
    macro = float(np.mean([v["f1"] for v in per_label.values()])) if per_label else 0.0
    return {"per_label": per_label, "macro_f1": round(macro, 4), "n": len(y_true)}


def tune_threshold(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The threshold that maximises F1 on (dev) data; ties go to the middle of the best plateau."""
    grid = np.round(np.arange(0.05, 0.96, 0.01), 2)
    f1s = np.array([prf(y_true, (scores >= t).astype(int))[2] for t in grid])
    best = np.flatnonzero(f1s >= f1s.max() - 1e-9)
    return float(grid[best[len(best) // 2]])
