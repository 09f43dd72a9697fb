"""Console sink: alerts on stdout, as JSON lines (the ``monitor replay --output jsonl`` contract) or text.

``final`` mode (replay) keeps the latest state of each story and prints every story once at the end, in
first-seen order, with all its related posts; ``live`` mode prints each new story as it comes, and a
story's ``update`` events (it gained a source) only with ``updates=True``: by default an analyst is not
pinged again for the same event."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from typing import TextIO

from monitor.models import Alert
from monitor.sinks.base import LocalSink

BAGHDAD = timezone(timedelta(hours=3), "AST")  # Iraq keeps UTC+3 all year
NO_CUE = "no cue phrase found (the model's judgement alone)"


def cue_text(cues: list[str]) -> str:
    """A label's cues as shown to analysts; a label flagged without any says so instead of showing nothing."""
    return ", ".join(cues) if cues else NO_CUE


def render_text(alert: Alert) -> str:
    post = alert.post
    when = datetime.fromisoformat(post["date"].replace("Z", "+00:00"))
    labels = ", ".join(f"{lb} {alert.scores.get(lb, 0):.2f}" for lb in alert.labels)
    lines = [
        f"== ALERT {alert.alert_id} [{labels}] sources={alert.sources}",
        f"   {post['platform']}/{post['channel']} #{post['message_id']}  "
        f"{when:%Y-%m-%d %H:%M} UTC ({when.astimezone(BAGHDAD):%H:%M} Baghdad)",
        *("   | " + line for line in post["text"].splitlines() if line.strip()),
    ]
    if post.get("url"):
        lines.append(f"   {post['url']}")
    for label, cues in alert.cues.items():
        lines.append(f"   cues {label}: {cue_text(cues)}")
    for rel in alert.related:
        snippet = " ".join(rel["text"].split())[:90]
        where = rel.get("url") or f"{rel['platform']}/{rel['channel']} #{rel['message_id']}"
        lines.append(f"   + {rel['date']} {where}\n     {snippet}")
    return "\n".join(lines) + "\n"


class ConsoleSink(LocalSink):
    """A ``Sink``: no rate limit, no grouping (stdout is always there), no Redis state."""

    name = "console"

    def __init__(self, output: str = "jsonl", mode: str = "live", stream: TextIO | None = None,
                 updates: bool = False) -> None:
        if output not in ("jsonl", "text"):
            raise ValueError(f"output must be jsonl or text, not {output!r}")
        self.output = output
        self.mode = mode
        self.stream = stream or sys.stdout
        self.updates = updates
        self.latest: dict[str, Alert] = {}

    def _write(self, alert: Alert) -> None:
        if self.output == "jsonl":
            self.stream.write(json.dumps(alert.contract(), ensure_ascii=False) + "\n")
        else:
            self.stream.write(render_text(alert) + "\n")
        self.stream.flush()

    # every event is wanted (``LocalSink.wants``): updates are decided in ``deliver``, and ``final`` mode needs
    # them for the latest state
    async def deliver(self, alert: Alert) -> None:
        if self.mode == "live":
            if alert.event == "new" or self.updates:
                self._write(alert)
        else:
            self.latest[alert.alert_id] = alert

    async def close(self) -> None:
        if self.mode != "live":
            for alert in sorted(self.latest.values(), key=lambda a: (a.first_seen or "", a.alert_id)):
                self._write(alert)
            self.latest.clear()
