"""The latest state of every alert of a namespace, kept in memory and brought up to date from the alerts
stream before each read (``XRANGE`` from the last entry seen: only what is new is read and parsed).

Why: the queue scans the stream newest first and keeps the first event of each alert id; with 10,000
alerts that is tens of thousands of JSON documents parsed per page (docs/console.md has the figures). The
stream is append-only (nothing trims it), so a reader that remembers where it stopped sees the same state
as a full scan. A long-lived front end (the web console) holds one; the command line, one call per
process, scans (``Triage`` without a cache). Acks, assignments, verdicts are not cached: they are small
hashes read on every request, so every analyst sees every other's action at once."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import redis.asyncio as aioredis

from monitor.keys import Keys
from monitor.models import Alert
from monitor.sinks.base import TARGET_FIELD

__all__ = ["AlertCache"]


class AlertCache:
    """``refresh()`` then ``newest_first()`` / ``get()`` / ``events()``. One per process and namespace;
    refreshes are serialised by a lock (concurrent requests wait for one read of the stream)."""

    def __init__(self, r: aioredis.Redis, keys: Keys, *, page: int = 2000) -> None:
        self.r = r
        self.keys = keys
        self.page = page
        self._latest: dict[str, tuple[str, Alert]] = {}  # insertion order = oldest change first
        self._events: dict[str, list[tuple[str, str]]] = {}  # alert id -> (entry id, new|update), oldest first
        self._last = "0-0"
        self._lock = asyncio.Lock()

    def __len__(self) -> int:
        return len(self._latest)

    @property
    def last_entry(self) -> str:
        return self._last

    async def refresh(self) -> int:
        """Read the entries added since the last refresh; returns how many alert events were new. A stream
        that was deleted (a replay namespace dropped) empties the cache."""
        async with self._lock:
            if self._last != "0-0" and not await self.r.exists(self.keys.alerts):
                self._reset()
            added = 0
            while True:
                batch = await self.r.xrange(self.keys.alerts, min=f"({self._last}" if self._last != "0-0" else "-",
                                            max="+", count=self.page)
                for entry_id, fields in batch:
                    self._last = entry_id
                    if fields.get(TARGET_FIELD) or not fields.get("alert_id"):
                        continue  # a re-queued copy for one sink, not a new state
                    alert_id = fields["alert_id"]
                    self._events.setdefault(alert_id, []).append((entry_id, fields.get("event", "?")))
                    try:
                        alert = Alert.from_json(fields["alert"])
                    except (KeyError, ValueError, TypeError):
                        continue
                    self._latest.pop(alert_id, None)
                    self._latest[alert_id] = (entry_id, alert)
                    added += 1
                if len(batch) < self.page:
                    return added

    def _reset(self) -> None:
        self._latest.clear()
        self._events.clear()
        self._last = "0-0"

    def newest_first(self) -> Iterator[tuple[str, Alert]]:
        """(latest entry id, alert), most recently changed first."""
        for alert_id in reversed(list(self._latest)):
            yield self._latest[alert_id]

    def get(self, alert_id: str) -> tuple[str, Alert] | None:
        return self._latest.get(alert_id)

    def events(self, alert_id: str) -> list[tuple[str, str]]:
        return list(self._events.get(alert_id, []))

    def known(self, alert_ids: list[str]) -> set[str]:
        return {i for i in alert_ids if i in self._events}
