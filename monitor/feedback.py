"""Analysts' verdicts back into the model.

``monitor train --feedback NAMESPACE`` turns the verdicts recorded on a namespace's alerts
(``Triage.verdicts``) into labelled posts, fits a candidate classifier on the corpus plus those posts
(the baseline model's encoder, the same head recipe), writes it beside the baseline, scores both on a
labelled feed (``feed_eval.per_post``) and promotes the candidate only when no figure gets worse.
``monitor alerts export-verdicts`` writes the same posts as JSON lines (the corpus format, which Argilla
loads with ``datasets``) or as a Label Studio task list.

What a verdict teaches, for the alert's own post (the one its analysts saw first):
- ``true_positive``: the alert's labels;
- ``false_positive``: no label (a quiet post);
- ``wrong_label``: the labels the analyst gave (none of ours is a quiet post);
- ``duplicate``: nothing about labels (it is a story-merging verdict): skipped and counted.
Posts in languages the model does not support are skipped and counted; when one text carries verdicts on
several alerts, the latest verdict wins."""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from classifiers import langid
from classifiers.base import LABELS
from classifiers.data import Example
from monitor.models import Alert

SKIP_DUPLICATE = "duplicate verdict (story merging, not labels)"
SKIP_LANGUAGE = "language the model does not support"
SKIP_EMPTY = "alert without post text"
SKIP_GONE = "alert no longer on the alerts stream"


@dataclass(frozen=True, slots=True)
class FeedbackPost:
    """One post an analyst's verdict labels."""

    alert_id: str
    text: str
    lang: str
    labels: tuple[str, ...]
    verdict: str
    by: str
    at: str
    note: str = ""

    def example(self) -> Example:
        """As a training example (split ``train``: the gate is the feed, not a held-out part of these)."""
        return Example(id=f"feedback:{self.alert_id}", text=self.text, lang=self.lang, labels=self.labels,
                       split="train", kind="feedback", note=f"feedback: {self.verdict} by {self.by} at {self.at}")

    def corpus_row(self) -> dict[str, Any]:
        return {"id": f"feedback:{self.alert_id}", "text": self.text, "lang": self.lang, "labels": list(self.labels),
                "verdict": self.verdict, "by": self.by, "at": self.at, "note": self.note}

    def label_studio_task(self) -> dict[str, Any]:
        """A Label Studio task with the verdict as a completed annotation (a ``Choices`` control named
        ``label`` on a ``Text`` named ``text``; see docs/console.md for the labelling config)."""
        return {"data": {"text": self.text, "lang": self.lang, "alert_id": self.alert_id},
                "annotations": [{"result": [{"from_name": "label", "to_name": "text", "type": "choices",
                                             "value": {"choices": list(self.labels) or ["quiet"]}}],
                                 "completed_by": self.by, "created_at": self.at}]}


@dataclass
class Collected:
    posts: list[FeedbackPost] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)

    def summary(self) -> dict[str, Any]:
        by_verdict = Counter(p.verdict for p in self.posts)
        by_label = Counter(lb for p in self.posts for lb in p.labels) + Counter(
            "quiet" for p in self.posts if not p.labels)
        return {"posts": len(self.posts), "by_verdict": dict(sorted(by_verdict.items())),
                "by_label": dict(sorted(by_label.items())), "skipped": dict(sorted(self.skipped.items()))}


def post_of(alert: Alert, verdict: dict[str, Any]) -> FeedbackPost | str:
    """The labelled post one verdict gives, or why it gives none."""
    kind = verdict.get("verdict")
    if kind == "duplicate":
        return SKIP_DUPLICATE
    text = str(alert.post.get("text") or "").strip()
    if not text:
        return SKIP_EMPTY
    if kind == "true_positive":
        labels = tuple(lb for lb in LABELS if lb in alert.labels)
    elif kind == "false_positive":
        labels = ()
    elif kind == "wrong_label":
        labels = tuple(lb for lb in LABELS if lb in (verdict.get("labels") or []))
    else:
        return f"unknown verdict {kind!r}"
    lang = langid.detect(text)  # what the classifier itself will see (a source's own tag can be wrong)
    if lang not in langid.SUPPORTED:
        return SKIP_LANGUAGE
    return FeedbackPost(alert.alert_id, text, lang, labels, str(kind), str(verdict.get("by", "")),
                        str(verdict.get("at", "")), str(verdict.get("note", "")))


async def collect(triage: Any) -> Collected:
    """Every verdict of the namespace as a labelled post (``triage``: a ``monitor.triage.Triage``)."""
    verdicts: dict[str, dict[str, Any]] = await triage.verdicts()
    alerts: dict[str, Alert] = {}
    if verdicts:  # one pass over the stream for every judged alert's latest state
        async for _, alert in triage.latest():
            if alert.alert_id in verdicts:
                alerts[alert.alert_id] = alert
                if len(alerts) == len(verdicts):
                    break
    out = Collected()
    by_text: dict[str, FeedbackPost] = {}
    for alert_id, verdict in sorted(verdicts.items(), key=lambda kv: str(kv[1].get("at", ""))):
        alert = alerts.get(alert_id)
        if alert is None:
            out.skipped[SKIP_GONE] += 1
            continue
        got = post_of(alert, verdict)
        if isinstance(got, str):
            out.skipped[got] += 1
            continue
        if got.text in by_text:
            out.skipped["same text as a later verdict"] += 1
        by_text[got.text] = got  # oldest first, so the latest verdict on a text wins
    out.posts = list(by_text.values())
    return out


# --- the promotion gate ---------------------------------------------------------------------------------

def gate_figures(per_post: dict[str, Any]) -> dict[str, float]:
    """The figures the gate compares, from ``feed_eval.per_post``: macro-F1 per language, false alerts per
    100 quiet posts."""
    out = {f"macro_f1_{lang}": float(rep["macro_f1"]) for lang, rep in sorted(per_post["by_lang"].items())}
    out["false_alerts_per_100_quiet"] = float(per_post["false_alerts_per_100_quiet"])
    return out


def decide(baseline: dict[str, float], candidate: dict[str, float], *, tolerance: float = 0.0
           ) -> tuple[bool, list[str]]:
    """Promote only when no figure gets worse by more than ``tolerance`` (F1 points as fractions; false
    alerts per 100 quiet posts scaled by 100). Returns the decision and one line per figure."""
    lines, ok = [], True
    for name in sorted(baseline):
        if name not in candidate:
            ok = False
            lines.append(f"{name}: missing from the candidate's figures")
            continue
        old, new = baseline[name], candidate[name]
        lower_is_better = name.startswith("false_alerts")
        worse = (new - old) if lower_is_better else (old - new)
        allowed = tolerance * 100 if lower_is_better else tolerance
        verdict = "worse" if worse > allowed + 1e-12 else ("better" if worse < -1e-12 else "same")
        ok = ok and verdict != "worse"
        lines.append(f"{name}: {old:.4f} -> {new:.4f} ({verdict})")
    return ok, lines


def promote(candidate: Path, target: Path) -> Path | None:
    """Copy ``candidate`` to ``target`` so that a reader never sees half a model: written beside it, then
    renamed into place; the model it replaces stays as ``<target>.previous``. Returns that path, if any."""
    target = target.resolve()
    staging = target.with_name(f".{target.name}.new")
    if staging.exists():
        shutil.rmtree(staging)
    shutil.copytree(candidate, staging)
    previous = None
    if target.exists():
        previous = target.with_name(f"{target.name}.previous")
        if previous.exists():
            shutil.rmtree(previous)
        os.replace(target, previous)
    os.replace(staging, target)
    return previous


def write_report(path: Path, report: dict[str, Any]) -> None:
    path.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def format_report(report: dict[str, Any]) -> str:
    fb = report["feedback"]
    lines = [f"feedback from namespace {report['namespace']}: {fb['posts']} posts "
             f"({', '.join(f'{k} {v}' for k, v in fb['by_verdict'].items()) or 'none'})"]
    if fb["skipped"]:
        lines.append("  skipped: " + ", ".join(f"{k}: {v}" for k, v in fb["skipped"].items()))
    lines.append(f"candidate written to {report['candidate']}; gate: {', '.join(report['feed'])}")
    lines.extend(f"  {line}" for line in report["gate"])
    if report["promoted"]:
        lines.append(f"PROMOTED to {report['promoted_to']}"
                     + (f" (the model it replaced: {report['previous']})" if report.get("previous") else ""))
    elif report.get("promote_to"):
        lines.append(f"NOT PROMOTED: a figure got worse; {report['promote_to']} is unchanged")
    else:
        lines.append("not promoted (no --promote-to given)" if report["passed"] else
                     "NOT PROMOTED: a figure got worse")
    return "\n".join(lines)


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
