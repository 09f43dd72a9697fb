"""The labeled corpus: loading, the fixed train/dev/test split, label matrices."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from classifiers.base import LABELS

SPLITS = ("train", "dev", "test")


@dataclass(frozen=True, slots=True)
class Example:
    id: str
    text: str
    lang: str
    labels: tuple[str, ...]
    split: str
    kind: str = ""
    variety: str = ""
    note: str = ""


def corpus_path() -> Path:
    return Path(str(resources.files("classifiers").joinpath("data/corpus.jsonl")))


def load(path: Path | None = None) -> list[Example]:
    path = path or corpus_path()
    out: list[Example] = []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            row = json.loads(line)
            out.append(Example(id=row["id"], text=row["text"], lang=row["lang"],
                               labels=tuple(row.get("labels", [])), split=row.get("split", "test"),
                               kind=row.get("kind", ""), variety=row.get("variety", ""),
                               note=row.get("note", "")))
    return out


def split_of(example_id: str, dev: float = 0.15, test: float = 0.2) -> str:
    """A fixed split from the id alone (stable whatever else is added to the corpus)."""
    bucket = int(hashlib.sha256(example_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    if bucket < test:
        return "test"
    if bucket < test + dev:
        return "dev"
    return "train"


def label_matrix(examples: Iterable[Example], labels: tuple[str, ...] = LABELS) -> np.ndarray:
    rows = [[1 if label in ex.labels else 0 for label in labels] for ex in examples]
    return np.array(rows, dtype=np.int8).reshape(-1, len(labels))


def digest(path: Path | None = None) -> str:
    return hashlib.sha256((path or corpus_path()).read_bytes()).hexdigest()[:16]
