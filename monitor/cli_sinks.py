"""Command groups for analysts and operators of the delivery side: ``monitor silence``, ``monitor dead``,
``monitor alerts``. They talk to the Redis at ``REDIS_URL`` under ``--namespace`` (default ``monitor``;
a kept replay's ``replay:<id>`` works too). User errors print one line and exit 2."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import redis.asyncio as aioredis
import typer

from monitor.backoff import REDIS_DOWN
from monitor.keys import Keys
from monitor.models import Alert, iso, parse_iso
from monitor.silences import MATCHERS, SilenceStore, parse_duration, parse_when
from monitor.sinks.base import TARGET_FIELD, parse_raw
from monitor.sinks.render import email_text, labels_line, one_line, source_name

__all__ = ["alerts_app", "dead_app", "silence_app"]

T = TypeVar("T")

silence_app = typer.Typer(no_args_is_help=True, help="Mute alerts matching label/channel/platform/tag/text "
                          "until an expiry.")
dead_app = typer.Typer(no_args_is_help=True, help="Alert events a sink gave up on: list them, deliver again.")
alerts_app = typer.Typer(no_args_is_help=True, help="The analyst queue: alerts (latest state), details, acks.")

Namespace = Annotated[str, typer.Option("--namespace", help="Redis key prefix of the monitor (or replay:<id>)")]
AsJson = Annotated[bool, typer.Option("--json", help="one JSON object per line")]


def fail(message: str, code: int = 2) -> None:
    typer.echo(f"monitor: error: {message}", err=True)
    raise typer.Exit(code)


def _run(namespace: str, work: Callable[[aioredis.Redis, Keys], Awaitable[T]]) -> T:
    """Run ``work`` against the monitor's Redis; connection problems are one line and exit 2."""
    from monitor.queue import client
    from monitor.settings import Settings, mask_url

    url = Settings.from_env().redis_url
    if not url:
        fail("REDIS_URL is not set: point it at the monitor's Redis (these commands read its state)")
    assert url is not None

    async def go() -> T:
        r = client(url)
        try:
            return await work(r, Keys(namespace))
        finally:
            await r.aclose()

    try:
        return asyncio.run(go())
    except REDIS_DOWN as exc:
        fail(f"redis at {mask_url(url)}: {exc}")
    raise AssertionError("unreachable")


# --- silence -----------------------------------------------------------------------------------------------

@silence_app.command("add")
def silence_add(
    duration: Annotated[str, typer.Option("--duration", help="how long: 90s, 30m, 2h, 1d, 1h30m")],
    label: Annotated[str | None, typer.Option("--label", help="one of the alert's labels")] = None,
    channel: Annotated[str | None, typer.Option("--channel", help="the alert's first post's channel")] = None,
    platform: Annotated[str | None, typer.Option("--platform", help="telegram | x")] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="one of the source tags")] = None,
    text: Annotated[str | None, typer.Option("--text", help="substring of the post text (any case)")] = None,
    governorate: Annotated[str | None, typer.Option("--governorate", help="the event's governorate")] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="the event's actor1/actor2 (part of a name)")] = None,
    type_: Annotated[str | None, typer.Option("--type", help="the event's (sub-)event type")] = None,
    comment: Annotated[str, typer.Option("--comment", help="why (shown in list)")] = "",
    by: Annotated[str, typer.Option("--by", help="who")] = "",
    namespace: Namespace = "monitor",
) -> None:
    """Add a silence: alerts matching EVERY given matcher are acked without delivery until it expires."""
    try:
        span = parse_duration(duration)
    except ValueError as exc:
        fail(str(exc))
    matchers = {k: v for k, v in {"label": label, "channel": channel, "platform": platform, "tag": tag,
                                  "text": text, "governorate": governorate, "actor": actor,
                                  "type": type_}.items() if v}
    if not matchers:
        fail("give at least one matcher: " + ", ".join(f"--{m}" for m in MATCHERS))

    async def work(r: aioredis.Redis, keys: Keys) -> Any:
        return await SilenceStore(r, keys).add(matchers, span, comment=comment, created_by=by)

    silence = _run(namespace, work)
    typer.echo(f"silence {silence.id} until {silence.expires}: {_matchers(silence.matchers)}")


def _matchers(matchers: dict[str, str]) -> str:
    return " ".join(f"{k}={v!r}" for k, v in matchers.items())


@silence_app.command("list")
def silence_list(
    include_expired: Annotated[bool, typer.Option("--all", help="also expired ones (not yet removed)")] = False,
    as_json: AsJson = False,
    namespace: Namespace = "monitor",
) -> None:
    """Active silences, soonest expiry first (expired ones are removed)."""

    async def work(r: aioredis.Redis, keys: Keys) -> Any:
        return await SilenceStore(r, keys).list(include_expired=include_expired)

    silences = _run(namespace, work)
    for s in silences:
        if as_json:
            typer.echo(s.to_json())
        else:
            typer.echo(f"{s.id}  until {s.expires}  {_matchers(s.matchers)}"
                       + (f"  # {s.comment}" if s.comment else "") + (f" ({s.created_by})" if s.created_by else ""))
    if not silences and not as_json:
        typer.echo("no active silences")


@silence_app.command("remove")
def silence_remove(silence_id: Annotated[str, typer.Argument(help="id shown by `silence list`")],
                   namespace: Namespace = "monitor") -> None:
    """Remove a silence now."""

    async def work(r: aioredis.Redis, keys: Keys) -> bool:
        return await SilenceStore(r, keys).remove(silence_id)

    if not _run(namespace, work):
        fail(f"no silence {silence_id!r}")
    typer.echo(f"removed silence {silence_id}")


# --- dead --------------------------------------------------------------------------------------------------

def _dead_row(entry_id: str, fields: dict[str, str]) -> dict[str, Any]:
    return {"dead_id": entry_id, "sink": fields.get("sink", ""), "stream": fields.get("stream", ""),
            "id": fields.get("id", ""), "alert_id": fields.get("alert_id", ""), "reason": fields.get("reason", ""),
            "attempts": fields.get("attempts", ""), "raw": fields.get("raw", "")}


@dead_app.command("list")
def dead_list(
    sink: Annotated[str | None, typer.Option("--sink", help="only this sink's (slack, email, ...)")] = None,
    limit: Annotated[int, typer.Option("--limit", help="newest N")] = 50,
    as_json: AsJson = False,
    namespace: Namespace = "monitor",
) -> None:
    """Entries on the dead-letter stream, newest first."""

    async def work(r: aioredis.Redis, keys: Keys) -> list[tuple[str, dict[str, str]]]:
        out: list[tuple[str, dict[str, str]]] = []
        async for entry in _revrange(r, keys.dead):
            if sink is None or entry[1].get("sink") == sink:
                out.append(entry)
                if len(out) >= limit:
                    break
        return out

    rows = _run(namespace, work)
    for entry_id, fields in rows:
        row = _dead_row(entry_id, fields)
        if as_json:
            typer.echo(json.dumps(row, ensure_ascii=False))
        else:
            who = row["sink"] or "(stage)"
            typer.echo(f"{entry_id}  {who:8}  alert={row['alert_id'] or '-'}  tries={row['attempts'] or '-'}  "
                       f"{one_line(row['reason'], 100)}")
    if not rows and not as_json:
        typer.echo("dead-letter stream is empty")


@dead_app.command("retry")
def dead_retry(
    dead_id: Annotated[str | None, typer.Argument(help="dead entry id (from `dead list`)")] = None,
    retry_all: Annotated[bool, typer.Option("--all", help="every entry (with --sink: that sink's)")] = False,
    sink: Annotated[str | None, typer.Option("--sink", help="with --all: only this sink's entries")] = None,
    namespace: Namespace = "monitor",
) -> None:
    """Put dead alert events back on the alerts stream for the sink that failed them only (a ``target``
    field: the other sinks skip it), and remove them from the dead list."""
    if (dead_id is None) == (not retry_all):
        fail("give a dead entry id or --all")

    async def work(r: aioredis.Redis, keys: Keys) -> tuple[int, list[str]]:
        if dead_id is not None:
            found = await r.xrange(keys.dead, min=dead_id, max=dead_id)
            if not found:
                return 0, [f"no dead entry {dead_id!r}"]
            entries = found
        else:
            entries = [e async for e in _revrange(r, keys.dead) if sink is None or e[1].get("sink") == sink]
            entries.reverse()  # oldest first: keep the original order
        done, problems = 0, []
        for entry_id, fields in entries:
            problem = await _requeue(r, keys, entry_id, fields)
            if problem:
                problems.append(f"{entry_id}: {problem}")
            else:
                done += 1
        return done, problems

    done, problems = _run(namespace, work)
    for problem in problems:
        typer.echo(f"monitor: {problem}", err=True)
    typer.echo(f"re-queued {done} entr{'y' if done == 1 else 'ies'}")
    if dead_id is not None and problems:
        raise typer.Exit(2)


async def _requeue(r: aioredis.Redis, keys: Keys, entry_id: str, fields: dict[str, str]) -> str | None:
    """Re-add one dead entry to its stream (atomically removing it from the dead list); why not, or None."""
    stream = fields.get("stream", "")
    if not stream.startswith(keys.ns + ":") or stream == keys.dead:
        return f"source stream {stream!r} is not of namespace {keys.ns!r}"
    try:
        raw = parse_raw(fields.get("raw", ""))
    except (ValueError, TypeError):
        return "no readable original entry (raw)"
    raw.pop(TARGET_FIELD, None)
    if fields.get("sink"):
        raw[TARGET_FIELD] = fields["sink"]
    async with r.pipeline(transaction=True) as pipe:
        pipe.xadd(stream, raw)
        pipe.xdel(keys.dead, entry_id)
        await pipe.execute()
    return None


async def _revrange(r: aioredis.Redis, stream: str, page: int = 500) -> AsyncIterator[tuple[str, dict[str, str]]]:
    """Every entry of ``stream``, newest first, read in pages."""
    top = "+"
    while True:
        batch = await r.xrevrange(stream, max=top, min="-", count=page)
        if not batch:
            return
        for entry in batch:
            yield entry
        if len(batch) < page:
            return
        top = f"({batch[-1][0]}"  # exclusive: older than the last one read


# --- alerts ------------------------------------------------------------------------------------------------

async def _latest_alerts(r: aioredis.Redis, keys: Keys) -> AsyncIterator[tuple[str, Alert]]:
    """The latest event of each alert id, newest change first (event entry id, alert)."""
    seen: set[str] = set()
    async for entry_id, fields in _revrange(r, keys.alerts):
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


def _entry_time(entry_id: str) -> str:
    return iso(datetime.fromtimestamp(int(entry_id.split("-")[0]) / 1000, UTC))


@alerts_app.command("list")
def alerts_list(
    label: Annotated[list[str] | None, typer.Option("--label", help="has this label (repeatable: any)")] = None,
    since: Annotated[str | None, typer.Option("--since", help="first seen after: 2h, 1d, or ISO time")] = None,
    until: Annotated[str | None, typer.Option("--until", help="first seen before: 30m or ISO time")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 20,
    unacked: Annotated[bool, typer.Option("--unacked", help="hide alerts an analyst acked")] = False,
    governorate: Annotated[list[str] | None, typer.Option("--governorate", help="the event's (repeatable)")] = None,
    actor: Annotated[list[str] | None, typer.Option("--actor", help="actor1/actor2 of the event (repeatable)")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="(sub-)event type (repeatable)")] = None,
    as_json: AsJson = False,
    namespace: Namespace = "monitor",
) -> None:
    """Alerts (latest state per alert id), most recently changed first. Times are the story's first post."""
    from monitor.routing import event_matches
    try:
        lo = parse_when(since) if since else None
        hi = parse_when(until) if until else None
    except ValueError as exc:
        fail(str(exc))

    async def work(r: aioredis.Redis, keys: Keys) -> list[tuple[str, Alert, dict[str, Any] | None]]:
        acked = {k: json.loads(v) for k, v in (await r.hgetall(keys.acked)).items()}
        out = []
        async for entry_id, alert in _latest_alerts(r, keys):
            if label and not set(label) & set(alert.labels):
                continue
            when = _first_seen(alert)
            if (lo and (when is None or when < lo)) or (hi and (when is None or when > hi)):
                continue
            if unacked and alert.alert_id in acked:
                continue
            if (governorate or actor or type_) and not event_matches(
                    alert.event_record, governorates=governorate or (), actors=actor or (), types=type_ or ()):
                continue
            out.append((entry_id, alert, acked.get(alert.alert_id)))
            if len(out) >= limit:
                break
        return out

    rows = _run(namespace, work)
    for entry_id, alert, ack in rows:
        if as_json:
            typer.echo(json.dumps({**_alert_obj(alert), "updated": _entry_time(entry_id), "acked": ack},
                                  ensure_ascii=False))
        else:
            mark = "ACK" if ack else "   "
            typer.echo(f"{mark} {alert.alert_id}  {alert.first_seen or '?'}  [{labels_line(alert)}]  "
                       f"sources={alert.sources}  {source_name(alert.post)}  "
                       f"{one_line(str(alert.post.get('text', '')), 60)}")
    if not rows and not as_json:
        typer.echo("no alerts")


def _first_seen(alert: Alert) -> datetime | None:
    try:
        return parse_iso(alert.first_seen or str(alert.post.get("date", "")))
    except ValueError:
        return None


def _alert_obj(alert: Alert) -> dict[str, Any]:
    return {"alert_id": alert.alert_id, "event": alert.event, "labels": alert.labels, "scores": alert.scores,
            "first_seen": alert.first_seen, "sources": alert.sources, "tags": alert.tags, "post": alert.post,
            "related": alert.related, "cues": alert.cues}


@alerts_app.command("show")
def alerts_show(alert_id: Annotated[str, typer.Argument()], as_json: AsJson = False,
                namespace: Namespace = "monitor") -> None:
    """One alert: its latest state, every event it had on the stream, and its ack."""

    async def work(r: aioredis.Redis, keys: Keys) -> tuple[list[tuple[str, str]], Alert | None, Any]:
        events: list[tuple[str, str]] = []
        latest: Alert | None = None
        async for entry_id, fields in _revrange(r, keys.alerts):
            if fields.get("alert_id") != alert_id or fields.get(TARGET_FIELD):
                continue
            events.append((entry_id, fields.get("event", "?")))
            if latest is None:
                try:
                    latest = Alert.from_json(fields["alert"])
                except (KeyError, ValueError, TypeError):
                    continue
        ack = await r.hget(keys.acked, alert_id)
        return events, latest, json.loads(ack) if ack else None

    events, alert, ack = _run(namespace, work)
    if alert is None:
        fail(f"no alert {alert_id!r} on the alerts stream of namespace {namespace!r}")
    assert alert is not None
    history = [{"entry": eid, "event": ev, "at": _entry_time(eid)} for eid, ev in reversed(events)]
    if as_json:
        typer.echo(json.dumps({**_alert_obj(alert), "events": history, "acked": ack}, ensure_ascii=False))
        return
    typer.echo(email_text(alert), nl=False)
    typer.echo("events: " + ", ".join(f"{h['event']} {h['at']}" for h in history))
    if ack:
        typer.echo(f"acked by {ack.get('by') or '?'} at {ack.get('at')}" + (f": {ack['note']}" if ack.get("note")
                                                                          else ""))


@alerts_app.command("ack")
def alerts_ack(alert_id: Annotated[str, typer.Argument()],
               by: Annotated[str, typer.Option("--by", help="who")] = "",
               note: Annotated[str, typer.Option("--note", help="a line for the others")] = "",
               namespace: Namespace = "monitor") -> None:
    """Mark an alert as handled (``alerts list --unacked`` hides it)."""

    async def work(r: aioredis.Redis, keys: Keys) -> dict[str, str] | None:
        found = False
        async for _, fields in _revrange(r, keys.alerts):
            if fields.get("alert_id") == alert_id:
                found = True
                break
        if not found:
            return None
        ack = {"by": by, "note": note, "at": iso(datetime.now(UTC))}
        await r.hset(keys.acked, alert_id, json.dumps(ack, ensure_ascii=False))
        return ack

    ack = _run(namespace, work)
    if ack is None:
        fail(f"no alert {alert_id!r} on the alerts stream of namespace {namespace!r}")
    assert ack is not None
    typer.echo(f"acked {alert_id}" + (f" by {by}" if by else "") + f" at {ack['at']}")
