"""The analyst queue: alerts (latest state per alert id), filters and pages, acks with verdicts,
assignments, and each alert's history, on the Redis of one monitor namespace. One module for every front
end: the ``monitor alerts`` commands call it, and so can a web console.

Keys (``monitor.keys``): ``acked`` (alert id -> the latest ack, what ``alerts list`` shows), ``assigned``
(alert id -> the current assignment), ``verdicts`` (alert id -> the latest verdict), ``history:<alert id>``
(every ack, verdict and assignment, oldest first: nothing is overwritten). User errors (an unknown label,
namespace, verdict; a bad limit) raise ``TriageError`` whose message names the valid values."""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from classifiers.base import LABELS
from monitor.alert_cache import AlertCache
from monitor.keys import Keys
from monitor.models import PLATFORMS, Alert, iso, parse_iso
from monitor.queue import revrange
from monitor.routing import event_matches
from monitor.silences import SilenceStore, parse_duration, parse_when
from monitor.sinks.base import TARGET_FIELD

__all__ = ["LABELS", "MAX_LIMIT", "VERDICTS", "VERDICT_ALIASES", "AlertFilter", "AlertRow", "Page", "Triage",
           "TriageError", "check_limit", "check_sink", "check_verdict", "default_user", "make_filter", "revrange"]

# Verdicts are a contract (``monitor train --feedback`` reads them): keep the names and the entry's shape.
VERDICTS = ("true_positive", "false_positive", "wrong_label", "duplicate")
VERDICT_ALIASES = {"confirmed": "true_positive", "not_relevant": "false_positive"}  # the first ack verdicts
MAX_LIMIT = 1000


class TriageError(ValueError):
    """A request the queue cannot serve; the message says why and names the valid values."""


def default_user() -> str:
    """Who acts when ``--by`` is not given: the OS user."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        return os.environ.get("USER", "") or f"uid{os.getuid()}"


def check_limit(limit: int, offset: int = 0) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise TriageError(f"--limit must be between 1 and {MAX_LIMIT}, not {limit}")
    if offset < 0:
        raise TriageError(f"--offset must be 0 or more, not {offset}")


def check_sink(name: str | None) -> None:
    from monitor.sinks import SINK_NAMES

    if name is not None and name not in SINK_NAMES:
        raise TriageError(f"unknown sink {name!r}; sinks: {', '.join(SINK_NAMES)}")


def check_verdict(verdict: str | None) -> str | None:
    """The verdict's name (an old alias resolved), or ``TriageError`` naming the valid ones."""
    if verdict is None:
        return None
    name = VERDICT_ALIASES.get(verdict, verdict)
    if name not in VERDICTS:
        raise TriageError(f"unknown verdict {verdict!r}; verdicts: {', '.join(VERDICTS)} (aliases: "
                          + ", ".join(f"{a} = {b}" for a, b in VERDICT_ALIASES.items()) + ")")
    return name


def check_verdict_labels(verdict: str, labels: list[str] | None) -> list[str]:
    """The right labels of a ``wrong_label`` verdict (required; an empty list: none of ours applies); none
    for the others."""
    if verdict == "wrong_label":
        if labels is None:
            raise TriageError("a wrong_label verdict needs the right labels (--labels a,b; empty: none applies); "
                              f"labels: {', '.join(LABELS)}")
        bad = [lb for lb in labels if lb not in LABELS]
        if bad:
            raise TriageError(f"unknown label {bad[0]!r}; labels: {', '.join(LABELS)}")
        return list(dict.fromkeys(labels))
    if labels:
        raise TriageError(f"--labels goes with the wrong_label verdict, not {verdict}")
    return []


STATUSES = ("open", "acked", "assigned", "judged", "unjudged", "merged")


@dataclass(frozen=True)
class AlertFilter:
    """Which alerts: any of ``labels``; first seen within [``since``, ``until``]; not acked; assigned to;
    the event's governorate, actor and type (``routing.event_matches``: any value of each given list); the
    first post's platform and channel, a source tag (any of each); a score and a source count at least;
    ``status``: open (not acked), acked, assigned, judged (a verdict), unjudged, merged (into another alert:
    hidden unless asked for)."""

    labels: tuple[str, ...] = ()
    since: datetime | None = None
    until: datetime | None = None
    unacked: bool = False
    assignee: str | None = None
    governorates: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    types: tuple[str, ...] = ()
    platforms: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    min_score: float | None = None
    min_sources: int | None = None
    status: str | None = None

    def empty(self) -> bool:
        return not (self.labels or self.since or self.until or self.unacked or self.assignee or self.governorates
                    or self.actors or self.types or self.platforms or self.channels or self.tags
                    or self.min_score is not None or self.min_sources is not None or self.status)

    def matches(self, alert: Alert, ack: dict[str, Any] | None, assignment: dict[str, Any] | None, *,
                verdict: dict[str, Any] | None = None, merged_into: str | None = None) -> bool:
        if (merged_into is not None) != (self.status == "merged"):
            return False
        if self.labels and not set(self.labels) & set(alert.labels):
            return False
        if self.since or self.until:
            when = first_seen(alert)
            if when is None or (self.since and when < self.since) or (self.until and when > self.until):
                return False
        if (self.unacked or self.status == "open") and ack is not None:
            return False
        if self.status == "acked" and ack is None:
            return False
        if self.status == "assigned" and assignment is None:
            return False
        if self.status in ("judged", "unjudged") and (verdict is None) == (self.status == "judged"):
            return False
        post = alert.post
        if self.platforms and post.get("platform") not in self.platforms:
            return False
        if self.channels and _norm(str(post.get("channel", ""))) not in {_norm(c) for c in self.channels} and not (
                {_norm(alert.titles.get(f"{post.get('platform')}:{post.get('channel')}", ""))}
                & {_norm(c) for c in self.channels}):
            return False
        if self.tags and not set(self.tags) & set(alert.tags):
            return False
        if self.min_score is not None and max(alert.scores.values(), default=0.0) < self.min_score:
            return False
        if self.min_sources is not None and alert.sources < self.min_sources:
            return False
        if (self.governorates or self.actors or self.types) and not event_matches(
                alert.event_record, governorates=self.governorates, actors=self.actors, types=self.types):
            return False
        return not (self.assignee and (assignment or {}).get("to") != self.assignee)


def _norm(value: str) -> str:
    return value.strip().lstrip("@").lower()


def make_filter(labels: list[str] | None = None, since: str | None = None, until: str | None = None,
                unacked: bool = False, assignee: str | None = None, governorates: list[str] | None = None,
                actors: list[str] | None = None, types: list[str] | None = None, *,
                platforms: list[str] | None = None, channels: list[str] | None = None,
                tags: list[str] | None = None, min_score: float | None = None, min_sources: int | None = None,
                status: str | None = None) -> AlertFilter:
    """A filter from what a user typed; ``TriageError`` naming the valid labels, platforms, statuses, or
    the time formats."""
    bad = [lb for lb in labels or [] if lb not in LABELS]
    if bad:
        raise TriageError(f"unknown label {bad[0]!r}; labels: {', '.join(LABELS)}")
    bad = [p for p in platforms or [] if p not in PLATFORMS]
    if bad:
        raise TriageError(f"unknown platform {bad[0]!r}; platforms: {', '.join(PLATFORMS)}")
    if status and status not in STATUSES:
        raise TriageError(f"unknown status {status!r}; statuses: {', '.join(STATUSES)}")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise TriageError(f"a minimum score is between 0 and 1, not {min_score}")
    if min_sources is not None and min_sources < 1:
        raise TriageError(f"a minimum source count is 1 or more, not {min_sources}")
    try:
        lo = parse_when(since) if since else None
        hi = parse_when(until) if until else None
    except ValueError as exc:
        raise TriageError(str(exc)) from None
    clean = lambda xs: tuple(x.strip() for x in xs or () if x and x.strip())  # noqa: E731
    return AlertFilter(clean(labels), lo, hi, unacked, assignee or None, clean(governorates), clean(actors),
                       clean(types), clean(platforms), clean(channels), clean(tags), min_score, min_sources,
                       status or None)


def first_seen(alert: Alert) -> datetime | None:
    try:
        return parse_iso(alert.first_seen or str(alert.post.get("date", "")))
    except ValueError:
        return None


def post_key(post: dict[str, Any]) -> str:
    """``platform:channel:message_id`` of a post as an alert carries it (``Post.key``)."""
    return f"{post.get('platform')}:{post.get('channel')}:{post.get('message_id')}"


def entry_time(entry_id: str) -> str:
    return iso(datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC))


@dataclass
class AlertRow:
    entry_id: str  # the alert's latest event on the stream
    alert: Alert
    ack: dict[str, Any] | None = None
    assignment: dict[str, Any] | None = None
    verdict: dict[str, Any] | None = None
    merged_into: str | None = None

    @property
    def updated(self) -> str:
        return entry_time(self.entry_id)

    def to_dict(self) -> dict[str, Any]:
        a = self.alert
        return {"alert_id": a.alert_id, "event": a.event, "labels": a.labels, "scores": a.scores,
                "first_seen": a.first_seen, "sources": a.sources, "tags": a.tags, "post": a.post,
                "related": a.related, "cues": a.cues, "updated": self.updated, "acked": self.ack,
                "assigned": self.assignment, "verdict": self.verdict, "merged_into": self.merged_into}


@dataclass
class Page:
    rows: list[AlertRow]
    offset: int
    next_offset: int | None  # None: no more rows


@dataclass
class AlertDetail:
    row: AlertRow
    events: list[dict[str, str]] = field(default_factory=list)  # oldest first: entry, event, at
    history: list[dict[str, Any]] = field(default_factory=list)
    verdict: dict[str, Any] | None = None  # the latest verdict entry
    merged: list[AlertRow] = field(default_factory=list)  # alerts merged into this one
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)  # post key -> the split that removed it

    def members(self) -> list[dict[str, Any]]:
        """Every post of the story as analysts shaped it: its own, then those of alerts merged into it, less
        the posts split out; each with ``key`` and ``from_alert``."""
        out: list[dict[str, Any]] = []
        for row in [self.row, *self.merged]:
            for post in [row.alert.post, *row.alert.related]:
                key = post_key(post)
                if key not in self.removed and all(p["key"] != key for p in out):
                    out.append({**post, "key": key, "from_alert": row.alert.alert_id,
                                "title": row.alert.titles.get(f"{post.get('platform')}:{post.get('channel')}")})
        return out


class Triage:
    """The queue of one namespace. Every method reads or writes Redis directly (no cache): several analysts
    and consoles work on the same queue."""

    def __init__(self, r: aioredis.Redis, keys: Keys, *, cache: AlertCache | None = None) -> None:
        self.r = r
        self.keys = keys
        self.cache = cache  # a long-lived front end's view of the stream (monitor.alert_cache); None: scan

    # --- namespaces --------------------------------------------------------------------------------------

    async def namespaces(self) -> list[str]:
        """Namespaces holding an alerts or posts stream."""
        found: set[str] = set()
        for suffix in (":alerts", ":posts"):
            async for key in self.r.scan_iter(match=f"*{suffix}", count=1000):
                found.add(key.removesuffix(suffix))
        return sorted(found)

    async def check_namespace(self) -> None:
        """``TriageError`` naming the known namespaces when this one holds nothing of a monitor."""
        if await self.r.exists(self.keys.alerts, self.keys.posts, self.keys.acked):
            return
        async for _ in self.r.scan_iter(match=self.keys.pattern, count=1000):
            return
        known = await self.namespaces()
        raise TriageError(f"unknown namespace {self.keys.ns!r} (no key under it); namespaces: "
                          + (", ".join(known) if known else "none in this Redis"))

    # --- reading -----------------------------------------------------------------------------------------

    async def latest(self) -> AsyncIterator[tuple[str, Alert]]:
        """The latest event of each alert id, newest change first (event entry id, alert)."""
        if self.cache is not None:
            await self.cache.refresh()
            for item in self.cache.newest_first():
                yield item
            return
        seen: set[str] = set()
        async for entry_id, fields in revrange(self.r, self.keys.alerts):
            if fields.get(TARGET_FIELD):
                continue  # a re-queued copy for one sink, not a new state
            alert_id = fields.get("alert_id", "")
            if not alert_id or alert_id in seen:
                continue
            seen.add(alert_id)
            try:
                yield entry_id, Alert.from_json(fields["alert"])
            except (KeyError, ValueError, TypeError):
                continue

    async def _marks(self) -> dict[str, dict[str, Any]]:
        """The analysts' marks, read in one round trip: acked, assigned, verdicts (JSON) and merged (ids)."""
        async with self.r.pipeline(transaction=False) as pipe:
            for key in (self.keys.acked, self.keys.assigned, self.keys.verdicts, self.keys.merged):
                pipe.hgetall(key)
            acked, assigned, verdicts, merged = await pipe.execute()
        return {"acked": {k: json.loads(v) for k, v in acked.items()},
                "assigned": {k: json.loads(v) for k, v in assigned.items()},
                "verdicts": {k: json.loads(v) for k, v in verdicts.items()}, "merged": merged}

    async def matching(self, flt: AlertFilter) -> AsyncIterator[AlertRow]:
        marks = await self._marks()
        acked, assigned, verdicts, merged = marks["acked"], marks["assigned"], marks["verdicts"], marks["merged"]
        async for entry_id, alert in self.latest():
            i = alert.alert_id
            ack, assignment, verdict, into = acked.get(i), assigned.get(i), verdicts.get(i), merged.get(i)
            if flt.matches(alert, ack, assignment, verdict=verdict, merged_into=into):
                yield AlertRow(entry_id, alert, ack, assignment, verdict, into)

    async def rows(self, flt: AlertFilter | None = None) -> list[AlertRow]:
        """Every matching alert (the console's charts and map count them)."""
        return [row async for row in self.matching(flt or AlertFilter())]

    async def list(self, flt: AlertFilter | None = None, *, limit: int = 20, offset: int = 0) -> Page:
        """One page of matching alerts, most recently changed first; ``next_offset`` for the next page."""
        check_limit(limit, offset)
        rows: list[AlertRow] = []
        index = 0
        async for row in self.matching(flt or AlertFilter()):
            if index >= offset:
                if len(rows) == limit:
                    return Page(rows, offset, offset + limit)
                rows.append(row)
            index += 1
        return Page(rows, offset, None)

    async def get(self, alert_id: str) -> AlertDetail | None:
        """One alert: its latest state, every event it had on the stream, its ack, assignment, history."""
        found = await self._latest_of(alert_id)
        if found is None:
            return None
        latest, events = found
        row = await self._row(alert_id, latest)
        detail = AlertDetail(row, [{"entry": eid, "event": ev, "at": entry_time(eid)} for eid, ev in events],
                             await self.history(alert_id), row.verdict)
        for other, target in (await self.r.hgetall(self.keys.merged)).items():
            if target == alert_id:
                got = await self._latest_of(other)
                if got is not None:
                    detail.merged.append(await self._row(other, got[0]))
        detail.removed = {k: json.loads(v) for k, v in (await self.r.hgetall(self.keys.removed(alert_id))).items()}
        return detail

    async def _latest_of(self, alert_id: str) -> tuple[tuple[str, Alert], list[tuple[str, str]]] | None:
        """An alert's latest (entry id, state) and its events (entry id, new|update), oldest first."""
        if self.cache is not None:
            await self.cache.refresh()
            got = self.cache.get(alert_id)
            return (got, self.cache.events(alert_id)) if got else None
        events: list[tuple[str, str]] = []
        latest: tuple[str, Alert] | None = None
        async for entry_id, fields in revrange(self.r, self.keys.alerts):
            if fields.get("alert_id") != alert_id or fields.get(TARGET_FIELD):
                continue
            events.append((entry_id, fields.get("event", "?")))
            if latest is None:
                try:
                    latest = (entry_id, Alert.from_json(fields["alert"]))
                except (KeyError, ValueError, TypeError):
                    continue
        return (latest, list(reversed(events))) if latest else None

    async def _row(self, alert_id: str, latest: tuple[str, Alert]) -> AlertRow:
        async with self.r.pipeline(transaction=False) as pipe:
            for key in (self.keys.acked, self.keys.assigned, self.keys.verdicts, self.keys.merged):
                pipe.hget(key, alert_id)
            ack, assignment, verdict, into = await pipe.execute()
        return AlertRow(latest[0], latest[1], json.loads(ack) if ack else None,
                        json.loads(assignment) if assignment else None, json.loads(verdict) if verdict else None,
                        into)

    async def history(self, alert_id: str) -> list[dict[str, Any]]:
        """Every ack, verdict and assignment of an alert, oldest first."""
        return [json.loads(item) for item in await self.r.lrange(self.keys.history(alert_id), 0, -1)]

    async def known(self, alert_ids: list[str]) -> set[str]:
        """Which of ``alert_ids`` have an event on the alerts stream (one pass over it)."""
        if self.cache is not None:
            await self.cache.refresh()
            return self.cache.known(alert_ids)
        wanted, found = set(alert_ids), set()
        async for _, fields in revrange(self.r, self.keys.alerts):
            alert_id = fields.get("alert_id", "")
            if alert_id in wanted:
                found.add(alert_id)
                if found == wanted:
                    break
        return found

    # --- writing -----------------------------------------------------------------------------------------

    async def _record(self, alert_ids: list[str], action: str, by: str, *, note: str = "",
                      extra: dict[str, Any] | None = None, mark: str | None = None) -> dict[str, Any]:
        entry = {"action": action, "by": by or default_user(), "at": iso(datetime.now(UTC)), "note": note,
                 **(extra or {})}
        blob = json.dumps(entry, ensure_ascii=False)
        async with self.r.pipeline(transaction=True) as pipe:
            for alert_id in alert_ids:
                pipe.rpush(self.keys.history(alert_id), blob)
                if mark is not None:
                    pipe.hset(mark, alert_id, blob)
            await pipe.execute()
        return entry

    async def ack(self, alert_ids: list[str], *, by: str = "", note: str = "",
                  verdict: str | None = None) -> tuple[dict[str, Any] | None, list[str]]:
        """Ack every known id of ``alert_ids`` (with a verdict, optionally); returns the ack recorded (None
        when no id was known) and the ids not found. Earlier acks stay in the history."""
        verdict = check_verdict(verdict)
        done, missing = await self._split_known(alert_ids)
        if not done:
            return None, missing
        ack = await self._record(done, "ack", by, note=note, extra={"verdict": verdict} if verdict else None,
                                 mark=self.keys.acked)
        if verdict:
            await self._record_verdict(done, verdict, [], None, by=by, note=note)
        return ack, missing

    async def ack_matching(self, flt: AlertFilter, *, by: str = "", note: str = "",
                           verdict: str | None = None) -> list[str]:
        """Ack every alert ``flt`` matches (at least one condition required); returns their ids."""
        verdict = check_verdict(verdict)
        if flt.empty():
            raise TriageError("--all-matching needs at least one filter (--label, --since, --until, --unacked, "
                              "--assigned-to, ...)")
        ids = [row.alert.alert_id async for row in self.matching(flt)]
        if ids:
            await self._record(ids, "ack", by, note=note, extra={"verdict": verdict} if verdict else None,
                               mark=self.keys.acked)
            if verdict:
                await self._record_verdict(ids, verdict, [], None, by=by, note=note)
        return ids

    async def assign(self, alert_id: str, to: str, *, by: str = "", note: str = "") -> dict[str, Any] | None:
        """Assign an alert to ``to`` (replacing the current assignee; the history keeps every one); None when
        there is no such alert."""
        if not to.strip():
            raise TriageError("--to needs a user name")
        if not await self.known([alert_id]):
            return None
        return await self._record([alert_id], "assign", by, note=note, extra={"to": to.strip()},
                                  mark=self.keys.assigned)

    async def _split_known(self, alert_ids: list[str]) -> tuple[list[str], list[str]]:
        """``alert_ids`` without repeats, as (known, not found) in the order given."""
        ids = list(dict.fromkeys(alert_ids))
        known = await self.known(ids)
        return [i for i in ids if i in known], [i for i in ids if i not in known]

    # --- verdicts (a contract: ``monitor train --feedback`` reads them) ----------------------------------

    async def set_verdict(self, alert_ids: list[str], verdict: str, *, labels: list[str] | None = None,
                          duplicate_of: str | None = None, by: str = "",
                          note: str = "") -> tuple[dict[str, Any] | None, list[str]]:
        """Judge alerts: ``true_positive``, ``false_positive``, ``wrong_label`` (``labels``: the right ones,
        possibly none) or ``duplicate`` (of ``duplicate_of``, a known alert, when given). The entry goes to
        each alert's history and, as its latest verdict, to the ``verdicts`` hash. Returns the entry (None
        when no id was known) and the ids not found."""
        name = check_verdict(verdict)
        assert name is not None
        right = check_verdict_labels(name, labels)
        if duplicate_of is not None and name != "duplicate":
            raise TriageError(f"--duplicate-of goes with the duplicate verdict, not {name}")
        # the judged alerts and the one they duplicate, in one pass over the stream
        done, missing = await self._split_known([*alert_ids, *([duplicate_of] if duplicate_of is not None else [])])
        if duplicate_of is not None:
            if duplicate_of in done and duplicate_of in alert_ids:
                raise TriageError(f"alert {duplicate_of!r} cannot be a duplicate of itself")
            if duplicate_of not in done:
                raise TriageError(f"--duplicate-of: no alert {duplicate_of!r} in namespace {self.keys.ns!r}")
            done.remove(duplicate_of)
        if not done:
            return None, missing
        return await self._record_verdict(done, name, right, duplicate_of, by=by, note=note), missing

    async def _record_verdict(self, alert_ids: list[str], verdict: str, labels: list[str],
                              duplicate_of: str | None, *, by: str, note: str) -> dict[str, Any]:
        return await self._record(alert_ids, "verdict", by, note=note, mark=self.keys.verdicts,
                                  extra={"verdict": verdict, "labels": labels, "duplicate_of": duplicate_of})

    async def verdicts(self) -> dict[str, dict[str, Any]]:
        """The latest verdict entry of every judged alert (alert id -> entry)."""
        return {k: json.loads(v) for k, v in (await self.r.hgetall(self.keys.verdicts)).items()}

    async def verdict(self, alert_id: str) -> dict[str, Any] | None:
        raw = await self.r.hget(self.keys.verdicts, alert_id)
        return json.loads(raw) if raw else None

    # --- stories as analysts shape them: merge, split (recorded here; the story stage is not changed) -----

    async def merge(self, into: str, others: list[str], *, by: str = "", note: str = "") -> dict[str, Any]:
        """Merge alerts ``others`` into ``into`` (the same event raised twice): each is marked merged (the
        queue hides it), its posts show under ``into``, and both histories say so."""
        others = [o for o in dict.fromkeys(others) if o != into]
        if not others:
            raise TriageError("merge needs another alert than the one merged into")
        _, missing = await self._split_known([into, *others])
        if missing:
            raise TriageError(f"no alert {missing[0]!r} in namespace {self.keys.ns!r}")
        merged = await self.r.hgetall(self.keys.merged)
        if into in merged:
            raise TriageError(f"alert {into!r} is merged into {merged[into]!r}: merge into that one")
        taken = [o for o in others if o in merged]
        if taken:
            raise TriageError(f"alert {taken[0]!r} is already merged into {merged[taken[0]]!r}")
        entry = await self._record([into], "merge", by, note=note, extra={"merged": others})
        for other in others:
            await self._record([other], "merged_into", by, note=note, extra={"into": into})
            await self.r.hset(self.keys.merged, other, into)
            for child in [k for k, v in merged.items() if v == other]:  # what was merged into it follows it
                await self.r.hset(self.keys.merged, child, into)
        return entry

    async def split(self, alert_id: str, post: str, *, by: str = "", note: str = "") -> dict[str, Any]:
        """Take a post (``platform:channel:message_id``) out of an alert's story: the alert lists it as
        removed from then on; the history says who and why."""
        detail = await self.get(alert_id)
        if detail is None:
            raise TriageError(f"no alert {alert_id!r} in namespace {self.keys.ns!r}")
        members = [m["key"] for m in detail.members()]
        if post not in members:
            raise TriageError(f"post {post!r} is not in alert {alert_id!r}; its posts: {', '.join(members)}")
        if len(members) == 1:
            raise TriageError(f"post {post!r} is the only post of alert {alert_id!r}: give a verdict instead")
        entry = await self._record([alert_id], "split", by, note=note, extra={"post": post})
        await self.r.hset(self.keys.removed(alert_id), post, json.dumps(entry, ensure_ascii=False))
        return entry

    async def silence_like(self, alert_id: str, fields: list[str], duration: str, *, by: str = "",
                           note: str = "") -> dict[str, Any]:
        """A silence (``monitor.silences``) whose matchers are this alert's values of ``fields`` (label,
        channel, platform, tag, governorate, actor, type), for ``duration``; recorded in its history."""
        from monitor.silences import MATCHERS, check_silence

        got = await self._latest_of(alert_id)
        if got is None:
            raise TriageError(f"no alert {alert_id!r} in namespace {self.keys.ns!r}")
        alert = got[0][1]
        event = alert.event_record or {}
        values = {"label": (alert.labels or [None])[0], "channel": alert.post.get("channel"),
                  "platform": alert.post.get("platform"), "tag": (alert.tags or [None])[0],
                  "governorate": (event.get("location") or {}).get("governorate"), "actor": event.get("actor1"),
                  "type": event.get("sub_event_type") or event.get("event_type")}
        bad = [f for f in fields if f not in MATCHERS or f == "text"]
        if bad or not fields:
            raise TriageError(f"silence like an alert by: {', '.join(m for m in MATCHERS if m != 'text')}"
                              + (f" (not {bad[0]!r})" if bad else ""))
        matchers = {f: str(values[f]) for f in fields if values.get(f)}
        if not matchers:
            raise TriageError(f"alert {alert_id!r} has no {', '.join(fields)} to silence on")
        try:
            span = parse_duration(duration)
            check_silence(matchers, span)
        except ValueError as exc:
            raise TriageError(str(exc)) from None
        silence = await SilenceStore(self.r, self.keys).add(matchers, span, comment=note or f"like {alert_id}",
                                                            created_by=by or default_user())
        return await self._record([alert_id], "silence", by, note=note,
                                  extra={"silence": silence.id, "matchers": matchers, "until": silence.expires})
