"""The label set and the interfaces every classifier and encoder implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from monitor.models import Classification

LABELS: tuple[str, ...] = ("threat", "attack_claim", "protest")


class Encoder(Protocol):
    """Text -> L2-normalised sentence embeddings (one row per text)."""

    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


@dataclass(slots=True)
class Prediction:
    """Output of a classifier for a batch: one Classification per text, and the embeddings it computed
    (reused by story matching; None for classifiers that have no sentence embedding)."""

    results: list[Classification]
    embeddings: np.ndarray | None


class Classifier(Protocol):
    name: str
    labels: tuple[str, ...]

    def predict(self, texts: list[str]) -> Prediction: ...
