"""Multi-label logistic head over sentence embeddings, fitted exactly (Newton / IRLS per label) in numpy:
deterministic, no solver dependencies, a few milliseconds on a corpus of this size."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


class LogisticHead:
    def __init__(self, weights: np.ndarray, bias: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> None:
        self.weights = weights  # (dim, n_labels)
        self.bias = bias  # (n_labels,)
        self.mean = mean  # feature standardisation, (dim,)
        self.scale = scale

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 50,
            class_weight: bool = True) -> LogisticHead:
        """Fit one L2-regularised logistic regression per label column of ``y`` (0/1)."""
        x = x.astype(np.float64)
        mean = x.mean(0)
        scale = x.std(0) + 1e-6
        z = (x - mean) / scale
        n, d = z.shape
        design = np.hstack([z, np.ones((n, 1))])
        reg = np.full(d + 1, l2)
        reg[-1] = 0.0  # the bias is not penalised
        weights = np.zeros((d, y.shape[1]))
        bias = np.zeros(y.shape[1])
        for j in range(y.shape[1]):
            target = y[:, j].astype(np.float64)
            pos = target.sum()
            sample_w = np.ones(n)
            if class_weight and 0 < pos < n:  # balance positives and negatives
                sample_w = np.where(target > 0, n / (2 * pos), n / (2 * (n - pos)))
            beta = np.zeros(d + 1)
            for _ in range(iters):
                p = _sigmoid(design @ beta)
                grad = design.T @ (sample_w * (p - target)) + reg * beta
                w = sample_w * p * (1 - p)
                hess = (design * w[:, None]).T @ design + np.diag(reg + 1e-8)
                step = np.linalg.solve(hess, grad)
                beta -= step
                if np.abs(step).max() < 1e-7:
                    break
            weights[:, j] = beta[:-1]
            bias[j] = beta[-1]
        return cls(weights.astype(np.float32), bias.astype(np.float32), mean.astype(np.float32),
                   scale.astype(np.float32))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """In float64: a row's probability must not move with the rows beside it (BLAS picks other kernels
        for other batch shapes; float32 sums would differ in the last bits, which 4-decimal scores can show)."""
        z = (x.astype(np.float64) - self.mean) / self.scale
        return _sigmoid(z @ self.weights.astype(np.float64) + self.bias)

    def save(self, path: Path) -> None:
        np.savez(path, weights=self.weights, bias=self.bias, mean=self.mean, scale=self.scale)

    @classmethod
    def load(cls, path: Path) -> LogisticHead:
        with np.load(path) as data:
            return cls(data["weights"], data["bias"], data["mean"], data["scale"])
