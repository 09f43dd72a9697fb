"""What the console shows about alerts beyond the queue, computed from the queue's rows (``monitor.triage``):
a story's timeline, similar alerts, counts by governorate and by hour, and precision from verdicts.
Plain functions over plain data: no Redis here."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from classifiers.base import LABELS
from monitor.models import parse_iso
from monitor.triage import AlertDetail, AlertRow, first_seen

__all__ = ["by_governorate", "hourly_by_label", "precision", "similar", "timeline"]

# a post that denies a claim: Arabic verbs and phrases of denial, English ones
_DENIAL = re.compile(r"\b(?:den(?:y|ies|ied|ial)|refut\w*|fake news|false (?:claim|report)s?|fabricat\w*)\b|"
                     r"(?:نفى|نفت|ينفي|تنفي|ينفون|نفي|لا صحة|عار(?:ية)? عن الصحة|مفبرك|كذب)", re.IGNORECASE)
_WORD = re.compile(r"\w+", re.UNICODE)


def _words(text: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(text or "") if len(w) > 2}


def post_kind(post: dict[str, Any], first: dict[str, Any]) -> str:
    """claim (the story's first post), denial, translation (another language than the claim), repost (the
    same words as the claim), or update. A rule of thumb, shown as such."""
    if post is first:
        return "claim"
    text = str(post.get("text", ""))
    if _DENIAL.search(text):
        return "denial"
    if post.get("lang") and first.get("lang") and post["lang"] != first["lang"]:
        return "translation"
    a, b = _words(text), _words(str(first.get("text", "")))
    if a and b and len(a & b) / len(a | b) >= 0.6:
        return "repost"
    return "update"


def timeline(detail: AlertDetail) -> list[dict[str, Any]]:
    """The story in time order: its posts (kind, channel, text, link), the alert's events on the stream
    (raised, updated) and what analysts did."""
    members = detail.members()
    items: list[dict[str, Any]] = []
    if members:
        first = min(members, key=lambda p: str(p.get("date", "")))
        for post in members:
            items.append({"at": post.get("date", ""), "what": "post", "kind": post_kind(post, first), "post": post})
    for post_key, entry in detail.removed.items():
        items.append({"at": entry.get("at", ""), "what": "removed", "kind": "split", "post_key": post_key,
                      "entry": entry})
    for event in detail.events:
        items.append({"at": event["at"], "what": "alert", "kind": "raised" if event["event"] == "new" else "updated"})
    for entry in detail.history:
        items.append({"at": entry.get("at", ""), "what": "action", "kind": entry.get("action", "?"), "entry": entry})
    return sorted(items, key=lambda x: str(x["at"]))


def _place(row: AlertRow) -> str | None:
    return ((row.alert.event_record or {}).get("location") or {}).get("governorate")


def similar(target: AlertRow, rows: list[AlertRow], n: int = 5, days: float = 3.0) -> list[tuple[int, AlertRow]]:
    """Alerts like ``target`` within ``days`` of it: a shared governorate counts 2, the same event type,
    each shared actor and each shared label 1; best first."""
    t_when = first_seen(target.alert)
    t_event = target.alert.event_record or {}
    t_actors = {t_event.get(k) for k in ("actor1", "actor2") if t_event.get(k)}
    out: list[tuple[int, AlertRow]] = []
    for row in rows:
        if row.alert.alert_id == target.alert.alert_id:
            continue
        when = first_seen(row.alert)
        if t_when and when and abs(when - t_when) > timedelta(days=days):
            continue
        event = row.alert.event_record or {}
        score = 2 * bool(_place(row) and _place(row) == _place(target))
        score += bool(event.get("event_type") and event.get("event_type") == t_event.get("event_type"))
        score += len(t_actors & {event.get(k) for k in ("actor1", "actor2") if event.get(k)})
        score += len(set(row.alert.labels) & set(target.alert.labels))
        if score >= 3:
            out.append((score, row))
    out.sort(key=lambda x: (-x[0], x[1].entry_id), reverse=False)
    return out[:n]


def by_governorate(rows: list[AlertRow]) -> Counter[str]:
    return Counter(g for g in (_place(r) for r in rows) if g)


def hourly_by_label(rows: list[AlertRow], hours: int = 48,
                    end: datetime | None = None) -> tuple[list[datetime], dict[str, list[int]]]:
    """Alerts per hour by label over the ``hours`` up to ``end`` (default: the newest alert's hour, so a
    replay of old posts shows its own days)."""
    times = [(first_seen(r.alert), r.alert.labels) for r in rows]
    times = [(t, labels) for t, labels in times if t is not None]
    if end is None:
        end = max((t for t, _ in times), default=datetime.now(UTC))
    top = end.replace(minute=0, second=0, microsecond=0)
    slots = [top - timedelta(hours=hours - 1 - i) for i in range(hours)]
    counts = {label: [0] * hours for label in LABELS}
    for t, labels in times:
        i = int((t - slots[0]).total_seconds() // 3600)
        if 0 <= i < hours:
            for label in labels:
                if label in counts:
                    counts[label][i] += 1
    return slots, counts


def precision(rows: list[AlertRow], verdicts: dict[str, dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """Precision from verdicts, by label and by channel (the first post's): ``{"label": {name: {"tp", "fp",
    "precision"}}, "channel": {...}}``. A label is right on a true_positive, and on a wrong_label verdict
    when the right labels include it; a channel's alert is right unless false_positive or wrong_label with
    no label of ours. Duplicates are not counted (a duplicate says nothing about the label)."""
    label_counts: dict[str, Counter[str]] = defaultdict(Counter)
    channel_counts: dict[str, Counter[str]] = defaultdict(Counter)
    for row in rows:
        v = verdicts.get(row.alert.alert_id)
        if not v or v.get("verdict") == "duplicate":
            continue
        verdict, right = v.get("verdict"), set(v.get("labels") or [])
        for label in row.alert.labels:
            ok = verdict == "true_positive" or (verdict == "wrong_label" and label in right)
            label_counts[label]["tp" if ok else "fp"] += 1
        post = row.alert.post
        channel = row.alert.titles.get(f"{post.get('platform')}:{post.get('channel')}") or str(post.get("channel"))
        real = verdict == "true_positive" or (verdict == "wrong_label" and bool(right))
        channel_counts[channel]["tp" if real else "fp"] += 1

    def table(counts: dict[str, Counter[str]]) -> dict[str, dict[str, float]]:
        return {k: {"tp": c["tp"], "fp": c["fp"], "precision": c["tp"] / (c["tp"] + c["fp"])}
                for k, c in sorted(counts.items(), key=lambda kv: -(kv[1]["tp"] + kv[1]["fp"]))}

    return {"label": table(label_counts), "channel": table(channel_counts)}


def age(when: str | None, now: datetime | None = None) -> str:
    """``5m``, ``3h``, ``2d`` since an ISO time."""
    if not when:
        return "?"
    try:
        seconds = ((now or datetime.now(UTC)) - parse_iso(when)).total_seconds()
    except ValueError:
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{max(0, int(seconds))}s"
