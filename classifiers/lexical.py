"""The lexical channel: hashed character n-grams (2-5, within word boundaries) of the normalised text,
TF-IDF weighted, one logistic regression per label.

It complements the transformer where Iraqi dialect spelling and Telegram formulae (``عاجل``, hashtag
slogans) carry the label; the classifier blends its probabilities with the encoder head's (weight chosen
by cross-validation in ``monitor train``). Hashing keeps the artifact a few arrays, no vocabulary."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression

from classifiers.normalize import normalize_for_match

N_FEATURES = 2**18


def _vectorizer() -> HashingVectorizer:
    return HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=N_FEATURES,
                             alternate_sign=False, norm=None, preprocessor=normalize_for_match)


class CharNgramModel:
    def __init__(self, idf: np.ndarray, coef: np.ndarray, intercept: np.ndarray) -> None:
        self.idf = idf.astype(np.float32)  # (N_FEATURES,)
        self.coef = coef.astype(np.float32)  # (n_labels, N_FEATURES)
        self.intercept = intercept.astype(np.float32)
        self._vec = _vectorizer()

    @staticmethod
    def _tfidf(vec: HashingVectorizer, texts: list[str], idf: np.ndarray) -> sparse.csr_matrix:
        counts = vec.transform(texts).tocsr().astype(np.float32)
        counts.data = 1.0 + np.log(counts.data)  # sublinear tf
        weighted = counts @ sparse.diags(idf)
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1))).ravel()
        return sparse.diags(1.0 / np.maximum(norms, 1e-12)) @ weighted

    @classmethod
    def fit(cls, texts: list[str], y: np.ndarray, *, c: float = 10.0, min_df: int = 2) -> CharNgramModel:
        vec = _vectorizer()
        counts = vec.transform(texts).tocsr()
        df = np.bincount(counts.indices, minlength=N_FEATURES).astype(np.float64)
        n = len(texts)
        idf = np.where(df >= min_df, np.log((1 + n) / (1 + df)) + 1.0, 0.0)  # rare n-grams dropped
        x = cls._tfidf(vec, texts, idf.astype(np.float32))
        coef = np.zeros((y.shape[1], N_FEATURES), dtype=np.float32)
        intercept = np.zeros(y.shape[1], dtype=np.float32)
        for j in range(y.shape[1]):
            if len(np.unique(y[:, j])) < 2:  # a label absent (or everywhere) in this sample: constant
                intercept[j] = 10.0 if y[0, j] else -10.0
                continue
            lr = LogisticRegression(C=c, max_iter=3000, class_weight="balanced").fit(x, y[:, j])
            coef[j], intercept[j] = lr.coef_[0], lr.intercept_[0]
        return cls(idf, coef, intercept)

    def predict_proba(self, texts: list[str]) -> np.ndarray:
        x = self._tfidf(self._vec, texts, self.idf)
        z = np.asarray(x @ self.coef.T) + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))

    def save(self, path: Path) -> None:
        keep = np.flatnonzero(self.idf)  # store only features seen in training (sparse on disk)
        np.savez_compressed(path, keep=keep.astype(np.int32), idf=self.idf[keep],
                            coef=self.coef[:, keep].astype(np.float16), intercept=self.intercept)

    @classmethod
    def load(cls, path: Path) -> CharNgramModel:
        with np.load(path) as data:
            keep = data["keep"]
            idf = np.zeros(N_FEATURES, dtype=np.float32)
            idf[keep] = data["idf"]
            coef = np.zeros((data["coef"].shape[0], N_FEATURES), dtype=np.float32)
            coef[:, keep] = data["coef"].astype(np.float32)
            return cls(idf, coef, data["intercept"])
