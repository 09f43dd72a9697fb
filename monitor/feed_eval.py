"""``monitor evaluate --feed``: the classifier and the whole pipeline judged on a labeled feed, the way an
analyst meets them: a time-ordered stream of posts from many channels, mostly quiet, with real events
reported several times across channels, platforms and languages.

A feed file is JSON lines in the plain dump format (``platform, channel, message_id, date, text``, plus
``channel_title``, ``is_repost``) with the gold standard beside each post: ``labels`` (subset of the
label set), ``event`` (posts reporting the same real-world event share an id; null for posts about no
labelled event) and ``note``. ``classifiers/data/feed/`` holds ours (the data card says how it was written).

Two parts:
- **per post**: precision / recall / F1 per label and language (Arabic, English; posts in languages the
  model is not trained for are counted apart) and false alerts per 100 quiet posts (a quiet post with any
  label);
- **after replay** (``monitor replay``'s stages on a real Redis, the feed written as a plain dump): alert
  precision (alerts whose opening post has a gold label), alerts per real event (alerts opened by posts of
  one labelled event, averaged over the events that got one), event recall (labelled events with a post in
  some alert), false merges (alerts holding posts of two events) and unrelated quiet posts merged in."""

from __future__ import annotations

import json
import tempfile
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from classifiers import langid
from classifiers.base import LABELS, Classifier
from classifiers.metrics import report
from monitor.dumps.plain_jsonl import convert
from monitor.models import Alert, Post
from monitor.sinks.base import LocalSink

FEED_LANGS = ("ar", "en")


@dataclass(frozen=True, slots=True)
class FeedItem:
    post: Post
    labels: tuple[str, ...]
    event: str | None
    lang: str  # the gold language (the feed says it)
    note: str = ""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.post.platform, self.post.channel, self.post.message_id)


class FeedError(ValueError):
    pass


def development_feed() -> list[Path]:
    """The bundled feed development set the shipped model was neither trained nor calibrated on
    (``classifiers/data/feed_dev3b.jsonl``; the other seven development feeds are in its train split, and
    ``meta.json`` names them): what choices are made on (a model's promotion), so that the test set stays
    one."""
    return [bundled_feed("feed_dev3b.jsonl")]


def bundled_feed(name: str) -> Path:
    """A labelled feed shipped with the package (``classifiers/data/<name>``)."""
    from importlib import resources

    return Path(str(resources.files("classifiers").joinpath("data", name)))


def feed_examples(items: list[FeedItem]) -> list[Any]:
    """A feed's Arabic and English posts as training examples of the train split (``classifiers.data.Example``),
    ids ``feed:<platform>:<channel>:<message id>``."""
    from classifiers import data, langid

    return [data.Example(id="feed:" + ":".join(it.key), text=it.post.text, lang=it.lang, labels=tuple(it.labels),
                         split="train", kind="positive" if it.labels else "negative", note=it.note)
            for it in items if it.lang in langid.SUPPORTED]


def load_feed(paths: Iterable[Path]) -> list[FeedItem]:
    """Every post of the feed files, in time order (stable for equal times)."""
    items: list[FeedItem] = []
    for path in paths:
        with Path(path).open(encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                where = f"{path}:{line_no}"
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise FeedError(f"{where}: not JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise FeedError(f"{where}: not a JSON object")
                post = convert(row, where)
                if not isinstance(post, Post):
                    raise FeedError(f"{where}: {post.reason} {post.detail}")
                labels = row.get("labels")
                if not isinstance(labels, list) or any(lb not in LABELS for lb in labels):
                    raise FeedError(f"{where}: labels must be a list of {', '.join(LABELS)}")
                event = row.get("event")
                items.append(FeedItem(post, tuple(labels), str(event) if event else None,
                                      str(row.get("lang") or langid.detect(post.text)), str(row.get("note", ""))))
    items.sort(key=lambda it: it.post.date)
    return items


def per_post(classifier: Classifier, items: list[FeedItem], batch: int = 64) -> dict[str, Any]:
    results = []
    for start in range(0, len(items), batch):
        results.extend(classifier.predict([it.post.text for it in items[start : start + batch]]).results)
    y_true = np.array([[lb in it.labels for lb in LABELS] for it in items], dtype=np.int8).reshape(-1, len(LABELS))
    y_pred = np.array([[lb in r.labels for lb in LABELS] for r in results], dtype=np.int8).reshape(-1, len(LABELS))
    langs = np.array([it.lang for it in items])
    quiet = y_true.sum(1) == 0
    flagged = y_pred.sum(1) > 0
    out: dict[str, Any] = {"model": getattr(classifier, "name", "?"), "posts": len(items),
                           "quiet_share": round(float(quiet.mean()), 3) if len(items) else 0.0, "by_lang": {}}
    supported = np.isin(langs, FEED_LANGS)
    out["all_supported"] = report(y_true[supported], y_pred[supported], LABELS)
    for lang in FEED_LANGS:
        mask = langs == lang
        if mask.any():
            out["by_lang"][lang] = report(y_true[mask], y_pred[mask], LABELS)
            q = mask & quiet
            out["by_lang"][lang]["false_alerts_per_100_quiet"] = _per100(flagged[q])
    out["false_alerts_per_100_quiet"] = _per100(flagged[quiet])
    other = ~supported
    out["other_languages"] = {
        "posts": int(other.sum()), "by_lang": dict(Counter(langs[other].tolist())),
        "marked_unsupported": int(sum(1 for r, o in zip(results, other, strict=True) if o and r.unsupported_language)),
        "flagged": int(flagged[other].sum()), "gold_positive": int((~quiet & other).sum())}
    # (posts the identifier took for Arabic or English were judged by the main head: not these)
    judged = other & np.array([not r.unsupported_language and langid.is_other(r.lang) for r in results],
                              dtype=bool)
    if judged.any():  # the other-languages head is on (MONITOR_OTHER_LANGUAGES=classify): scored like the rest
        out["other_languages"]["judged"] = report(y_true[judged], y_pred[judged], LABELS)
        out["other_languages"]["judged"]["false_alerts_per_100_quiet"] = _per100(flagged[judged & quiet])
    errors = []
    for it, res in zip(items, results, strict=True):
        if set(it.labels) != set(res.labels) and not res.unsupported_language:
            errors.append({"key": ":".join(it.key), "lang": it.lang, "gold": list(it.labels),
                           "predicted": res.labels, "scores": res.scores, "note": it.note, "text": it.post.text})
    out["errors"] = errors
    return out


def _per100(flags: np.ndarray) -> float:
    return round(100.0 * float(flags.mean()), 2) if len(flags) else 0.0


def write_dump(items: list[FeedItem], path: Path) -> None:
    """The feed without its gold fields, as a plain JSON-lines dump (what ``monitor replay`` reads)."""
    with path.open("w", encoding="utf-8") as fh:
        for it in items:
            p = it.post
            fh.write(json.dumps({"platform": p.platform, "channel": p.channel, "message_id": p.message_id,
                                 "date": p.date.isoformat().replace("+00:00", "Z"), "text": p.text,
                                 "channel_title": p.channel_title, "is_repost": p.is_repost},
                                ensure_ascii=False) + "\n")


def alert_metrics(items: list[FeedItem], alerts: list[Alert]) -> dict[str, Any]:
    by_key = {it.key: it for it in items}
    positive_events = {it.event for it in items if it.event and it.labels}
    opened: dict[str, int] = Counter()
    covered: set[str] = set()
    correct = mixed = quiet_joined = unknown = 0
    merged: list[str] = []  # the events each false merge holds
    for alert in alerts:
        members = [alert.post, *alert.related]
        gold = [by_key.get((m["platform"], m["channel"], str(m["message_id"]))) for m in members]
        if any(g is None for g in gold):
            unknown += 1
        first = gold[0]
        if first is not None and first.labels:
            correct += 1
            if first.event:
                opened[first.event] += 1
        events = {g.event for g in gold if g is not None and g.event}
        covered |= events & positive_events
        if len(events) > 1:
            mixed += 1
            merged.append(" + ".join(sorted(events)))
        quiet_joined += sum(1 for g in gold[1:] if g is not None and g.event is None)
    n = len(alerts)
    return {
        "alerts": n,
        "alert_precision": round(correct / n, 3) if n else 0.0,
        "noise_alerts": n - correct,
        "real_events": len(positive_events),
        "alerts_per_real_event": round(sum(opened.values()) / len(opened), 3) if opened else 0.0,
        "event_recall": round(len(covered) / len(positive_events), 3) if positive_events else 0.0,
        "false_merges": mixed,
        "false_merge_rate": round(mixed / n, 3) if n else 0.0,
        "quiet_posts_merged": quiet_joined,
        "alerts_with_unknown_posts": unknown,
        "events_split": sorted(e for e, k in opened.items() if k > 1),
        "events_missed": sorted(positive_events - covered),
        "events_merged": sorted(merged),
    }


async def replay_feed(r: Any, classifier: Classifier, items: list[FeedItem], *, batch_size: int = 64,
                      story_window: float | None = None) -> tuple[list[Alert], dict[str, Any]]:
    """Replay the feed through the pipeline's stages in a namespace of its own; the alerts' final states."""
    from monitor.replay import Replay
    from monitor.signatures import MatchConfig
    sink = _Collect()
    with tempfile.TemporaryDirectory(prefix="feed-eval-") as tmp:
        dump = Path(tmp) / "feed.jsonl"
        write_dump(items, dump)
        match = MatchConfig.for_classifier(classifier, story_window) if story_window else None
        runner = Replay(r, classifier, [sink], batch_size=batch_size, match=match)
        stats = await runner.run([(dump, "jsonl")])
    return sorted(sink.latest.values(), key=lambda a: (a.first_seen or "", a.alert_id)), stats.summary()


class _Collect(LocalSink):
    """A sink that keeps each story's latest alert in memory."""

    name = "console"

    def __init__(self) -> None:
        self.latest: dict[str, Alert] = {}

    async def deliver(self, alert: Alert) -> None:
        self.latest[alert.alert_id] = alert


def format_feed_report(result: dict[str, Any], max_errors: int = 30) -> str:
    post = result["per_post"]
    lines = [f"model: {post['model']}", f"feed: {post['posts']} posts, {100 * post['quiet_share']:.0f}% quiet", ""]
    header = f"{'lang':<6} {'label':<13} {'P':>6} {'R':>6} {'F1':>6} {'n+':>5}"
    lines += [header, "-" * len(header)]
    for lang, rep in post["by_lang"].items():
        for label, m in rep["per_label"].items():
            lines.append(f"{lang:<6} {label:<13} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                         f"{m['support']:>5}")
        lines.append(f"{lang:<6} {'macro-F1':<13} {'':>6} {'':>6} {rep['macro_f1']:>6.3f} {rep['n']:>5}")
        lines.append(f"{lang:<6} false alerts per 100 quiet posts: {rep['false_alerts_per_100_quiet']:.1f}")
    lines.append(f"all    false alerts per 100 quiet posts: {post['false_alerts_per_100_quiet']:.1f}")
    other = post["other_languages"]
    if other["posts"]:
        lines.append(f"other languages: {other['posts']} posts {other['by_lang']}, marked unsupported "
                     f"{other['marked_unsupported']}, flagged {other['flagged']}")
        if judged := other.get("judged"):
            lines.append(f"other languages judged: macro-F1 {judged['macro_f1']:.3f} ("
                         + ", ".join(f"{lb} {m['f1']:.3f}" for lb, m in judged["per_label"].items())
                         + f"), false alerts per 100 quiet posts {judged['false_alerts_per_100_quiet']:.1f}")
    alerts = result.get("after_replay")
    if alerts:
        lines += ["", "after replay:",
                  f"  alerts {alerts['alerts']}, precision {alerts['alert_precision']:.3f} "
                  f"({alerts['noise_alerts']} noise)",
                  f"  real events {alerts['real_events']}, recall {alerts['event_recall']:.3f}, "
                  f"alerts per real event {alerts['alerts_per_real_event']:.2f}",
                  f"  false merges {alerts['false_merges']} ({100 * alerts['false_merge_rate']:.1f}% of alerts), "
                  f"unrelated quiet posts merged {alerts['quiet_posts_merged']}"]
        if alerts["events_split"]:
            lines.append(f"  events raised more than once: {', '.join(alerts['events_split'])}")
        if alerts["events_missed"]:
            lines.append(f"  events missed: {', '.join(alerts['events_missed'])}")
        if alerts.get("events_merged"):
            lines.append(f"  events merged into one alert: {'; '.join(alerts['events_merged'])}")
    errors = post["errors"]
    lines += ["", f"post errors: {len(errors)}"]
    for err in errors[:max_errors]:
        text = err["text"].replace("\n", " ")[:150]
        lines.append(f"- {err['key']} [{err['lang']}] gold={err['gold']} pred={err['predicted']} ({err['note']}): "
                     f"{text}")
    if len(errors) > max_errors:
        lines.append(f"... {len(errors) - max_errors} more (use --json for all)")
    return "\n".join(lines)
