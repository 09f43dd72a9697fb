"""``monitor evaluate``: per-label and per-language precision / recall / F1 on the test split (or any
labeled JSONL in the corpus format), and the errors the model made."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import data
from classifiers.base import LABELS
from classifiers.metrics import report


def evaluate(classifier: Any, examples: list[data.Example], batch: int = 64) -> dict[str, Any]:
    results = []
    for start in range(0, len(examples), batch):
        results.extend(classifier.predict([ex.text for ex in examples[start : start + batch]]).results)
    y_true = data.label_matrix(examples)
    y_pred = np.array([[1 if lb in r.labels else 0 for lb in LABELS] for r in results],
                      dtype=np.int8).reshape(-1, len(LABELS))
    out: dict[str, Any] = {"model": getattr(classifier, "name", "?"), "all": report(y_true, y_pred, LABELS),
                           "by_lang": {}}
    for lang in sorted({ex.lang for ex in examples}):
        mask = np.array([ex.lang == lang for ex in examples])
        out["by_lang"][lang] = report(y_true[mask], y_pred[mask], LABELS)
    errors = []
    for ex, res in zip(examples, results, strict=True):
        if set(ex.labels) != set(res.labels):
            errors.append({"id": ex.id, "lang": ex.lang, "gold": list(ex.labels), "predicted": res.labels,
                           "scores": res.scores, "kind": ex.kind, "note": ex.note, "text": ex.text})
    out["errors"] = errors
    return out


def load_examples(path: Path | None, split: str) -> list[data.Example]:
    examples = data.load(path)
    if path is None or split != "all":
        chosen = [ex for ex in examples if split == "all" or ex.split == split]
        if chosen or path is None:
            return chosen
    return examples  # an external labeled file without splits: all of it


def format_report(result: dict[str, Any], max_errors: int = 40) -> str:
    lines = [f"model: {result['model']}", ""]
    header = f"{'slice':<8} {'label':<13} {'P':>6} {'R':>6} {'F1':>6} {'n+':>5}"
    lines.append(header)
    lines.append("-" * len(header))
    for name, rep in [("all", result["all"]), *result["by_lang"].items()]:
        for label, m in rep["per_label"].items():
            lines.append(f"{name:<8} {label:<13} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                         f"{m['support']:>5}")
        lines.append(f"{name:<8} {'macro-F1':<13} {'':>6} {'':>6} {rep['macro_f1']:>6.3f} {rep['n']:>5}")
    errors = result["errors"]
    lines += ["", f"errors: {len(errors)} of {result['all']['n']}"]
    for err in errors[:max_errors]:
        text = err["text"].replace("\n", " ")[:160]
        lines.append(f"- {err['id']} gold={err['gold']} pred={err['predicted']} ({err['note']}): {text}")
    if len(errors) > max_errors:
        lines.append(f"... {len(errors) - max_errors} more (use --json for all)")
    return "\n".join(lines)


def to_json(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, indent=2)
