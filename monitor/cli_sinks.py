"""Command groups for analysts and operators of the delivery side: ``monitor silence``, ``monitor dead``,
``monitor alerts``. They talk to the monitor's Redis (``--redis-url``, ``REDIS_URL`` or the config's
``redis_url``: see cli_context) under ``--namespace`` (default: ``MONITOR_NAMESPACE``, else the config's
``service.namespace``, else ``monitor``; a kept replay's ``replay:<id>`` works too). User errors print one
line and exit 2."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, TypeVar

import redis.asyncio as aioredis
import typer

from monitor.backoff import REDIS_DOWN
from monitor.cli_context import cli_context, fail
from monitor.keys import Keys
from monitor.silences import SilenceStore, check_silence, parse_duration, resolve_channel
from monitor.sinks.base import TARGET_FIELD, parse_raw
from monitor.sinks.render import email_text, labels_line, one_line, source_name
from monitor.triage import (
    LABELS,
    MAX_LIMIT,
    VERDICTS,
    AlertFilter,
    AlertRow,
    Triage,
    TriageError,
    check_limit,
    check_sink,
    check_verdict,
    default_user,
    entry_time,
    make_filter,
    revrange,
)

__all__ = ["alerts_app", "dead_app", "replays_app", "silence_app"]

T = TypeVar("T")

silence_app = typer.Typer(no_args_is_help=True, help="Mute alerts matching label/channel/platform/tag/text "
                          "until an expiry.")
dead_app = typer.Typer(no_args_is_help=True, help="Alert events a sink gave up on: list them, deliver again.")
alerts_app = typer.Typer(no_args_is_help=True, help="The analyst queue: alerts (latest state), details, acks, "
                         "assignments, history.")
replays_app = typer.Typer(no_args_is_help=True, help="Replay namespaces kept with `monitor replay --keep`.")

def _namespace(value: str | None) -> str:
    return value or cli_context().namespace()


# typed str | None for typer; the callback makes it a str before the command runs
Namespace = Annotated[str | None, typer.Option(
    "--namespace", callback=_namespace, show_default="MONITOR_NAMESPACE, else the config's service.namespace, "
    "else monitor", help="Redis key prefix of the monitor (or replay:<id>)")]
AsJson = Annotated[bool, typer.Option("--json", help="one JSON object per line")]


def _run(namespace: str, work: Callable[[aioredis.Redis, Keys], Awaitable[T]]) -> T:
    """Run ``work`` against the monitor's Redis; connection problems are one line and exit 2."""
    from monitor.queue import client
    from monitor.settings import mask_url

    async def go(url: str) -> T:
        r = client(url)
        try:
            return await work(r, Keys(namespace))
        finally:
            await r.aclose()

    with cli_context().redis(embedded=False) as url:
        try:
            return asyncio.run(go(url))
        except REDIS_DOWN as exc:
            fail(f"redis at {mask_url(url)}: {exc}")
        except TriageError as exc:
            fail(str(exc))


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
    by: Annotated[str | None, typer.Option("--by", help="who (default: the OS user)")] = None,
    namespace: Namespace = None,
) -> None:
    """Add a silence: alerts matching EVERY given matcher are acked without delivery until it expires (at
    most 90 days). A channel given by @handle, link or name is resolved to the id alerts carry."""
    matchers = {k: v for k, v in {"label": label, "channel": channel, "platform": platform, "tag": tag,
                                  "text": text, "governorate": governorate, "actor": actor,
                                  "type": type_}.items() if v}
    try:
        span = parse_duration(duration)
        check_silence(matchers, span)
    except ValueError as exc:
        fail(str(exc))

    async def work(r: aioredis.Redis, keys: Keys) -> tuple[Any, str | None]:
        await Triage(r, keys).check_namespace()
        resolved = None
        if channel:
            try:
                resolved = await resolve_channel(r, keys, channel, platform)
            except ValueError as exc:
                raise TriageError(str(exc)) from None
            matchers["channel"] = resolved
        return await SilenceStore(r, keys).add(matchers, span, comment=comment, created_by=by or default_user()), \
            resolved

    silence, resolved = _run(namespace, work)
    if channel and resolved != channel:
        typer.echo(f"channel {channel!r} is {resolved!r} on the alerts", err=True)
    typer.echo(f"silence {silence.id} until {silence.expires}: {_matchers(silence.matchers)}")


def _matchers(matchers: dict[str, str]) -> str:
    return " ".join(f"{k}={v!r}" for k, v in matchers.items())


@silence_app.command("list")
def silence_list(
    include_expired: Annotated[bool, typer.Option("--all", help="also expired ones (not yet removed)")] = False,
    as_json: AsJson = False,
    namespace: Namespace = None,
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
                   namespace: Namespace = None) -> None:
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
    namespace: Namespace = None,
) -> None:
    """Entries on the dead-letter stream, newest first."""
    try:
        check_sink(sink)
        check_limit(limit)
    except TriageError as exc:
        fail(str(exc))

    async def work(r: aioredis.Redis, keys: Keys) -> list[tuple[str, dict[str, str]]]:
        await Triage(r, keys).check_namespace()
        out: list[tuple[str, dict[str, str]]] = []
        async for entry in revrange(r, keys.dead):
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
    namespace: Namespace = None,
) -> None:
    """Put dead alert events back on the alerts stream for the sink that failed them only (a ``target``
    field: the other sinks skip it), and remove them from the dead list."""
    if (dead_id is None) == (not retry_all):
        fail("give a dead entry id or --all")
    try:
        check_sink(sink)
    except TriageError as exc:
        fail(str(exc))

    async def work(r: aioredis.Redis, keys: Keys) -> tuple[int, list[str]]:
        await Triage(r, keys).check_namespace()
        if dead_id is not None:
            found = await r.xrange(keys.dead, min=dead_id, max=dead_id)
            if not found:
                return 0, [f"no dead entry {dead_id!r}"]
            entries = found
        else:
            entries = [e async for e in revrange(r, keys.dead) if sink is None or e[1].get("sink") == sink]
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


# --- alerts ------------------------------------------------------------------------------------------------
# The queue operations live in monitor.triage (one module for the CLI and a future web console); these
# commands parse, call it, and print.

LabelOpt = Annotated[list[str] | None, typer.Option("--label", help="has this label (repeatable: any): "
                                                    + ", ".join(LABELS))]
SinceOpt = Annotated[str | None, typer.Option("--since", help="first seen after: 2h, 1d, or ISO time")]
UntilOpt = Annotated[str | None, typer.Option("--until", help="first seen before: 30m or ISO time")]
UnackedOpt = Annotated[bool, typer.Option("--unacked", help="only alerts nobody acked")]
AssigneeOpt = Annotated[str | None, typer.Option("--assigned-to", help="only alerts assigned to this user")]
ByOpt = Annotated[str | None, typer.Option("--by", help="who (default: the OS user)")]
NoteOpt = Annotated[str, typer.Option("--note", help="a line for the others")]


def _filter(label: list[str] | None, since: str | None, until: str | None, unacked: bool,
            assignee: str | None, governorate: list[str] | None = None, actor: list[str] | None = None,
            type_: list[str] | None = None, **more: Any) -> AlertFilter:
    try:
        return make_filter(label, since, until, unacked, assignee, governorate, actor, type_, **more)
    except TriageError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def _triage(namespace: str, work: Callable[[Triage], Awaitable[T]]) -> T:
    """Run ``work`` on the namespace's queue (checked first: an unknown namespace names the known ones)."""

    async def go(r: aioredis.Redis, keys: Keys) -> T:
        triage = Triage(r, keys)
        await triage.check_namespace()
        return await work(triage)

    try:
        return _run(namespace, go)
    except TriageError as exc:
        fail(str(exc))
    raise AssertionError("unreachable")


def _mark(row: AlertRow) -> str:
    return "ACK" if row.ack else "   "


@alerts_app.command("list")
def alerts_list(
    label: LabelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    limit: Annotated[int, typer.Option("--limit", help=f"rows per page (1-{MAX_LIMIT})")] = 20,
    offset: Annotated[int, typer.Option("--offset", help="skip this many matching alerts (next page)")] = 0,
    unacked: UnackedOpt = False,
    assignee: AssigneeOpt = None,
    governorate: Annotated[list[str] | None, typer.Option("--governorate", help="the event's (repeatable)")] = None,
    actor: Annotated[list[str] | None, typer.Option("--actor", help="actor1/actor2 of the event (repeatable)")] = None,
    type_: Annotated[list[str] | None, typer.Option("--type", help="(sub-)event type (repeatable)")] = None,
    platform: Annotated[list[str] | None, typer.Option("--platform", help="telegram or x (repeatable)")] = None,
    channel: Annotated[list[str] | None, typer.Option(
        "--channel", help="a source's channel id, handle or title (repeatable)")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="a route's tag (repeatable)")] = None,
    status: Annotated[str | None, typer.Option(
        "--status", help="open, acked, assigned, judged, unjudged or merged")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", help="the best label score at least")] = None,
    min_sources: Annotated[int | None, typer.Option("--min-sources", help="at least this many posts")] = None,
    as_json: AsJson = False,
    namespace: Namespace = None,
) -> None:
    """Alerts (latest state per alert id), most recently changed first. Times are the story's first post.
    The filters are the console's. When more match, a last line (stderr) gives the ``--offset`` of the
    next page."""
    flt = _filter(label, since, until, unacked, assignee, governorate, actor, type_, platforms=platform,
                  channels=channel, tags=tag, status=status, min_score=min_score, min_sources=min_sources)
    try:
        check_limit(limit, offset)
    except TriageError as exc:
        fail(str(exc))
    page = _triage(namespace, lambda t: t.list(flt, limit=limit, offset=offset))
    for row in page.rows:
        if as_json:
            typer.echo(json.dumps(row.to_dict(), ensure_ascii=False))
        else:
            alert = row.alert
            who = f"  @{row.assignment['to']}" if row.assignment else ""
            typer.echo(f"{_mark(row)} {alert.alert_id}  {alert.first_seen or '?'}  [{labels_line(alert)}]  "
                       f"sources={alert.sources}  {source_name(alert.post)}{who}  "
                       f"{one_line(str(alert.post.get('text', '')), 60)}")
    if not page.rows and not as_json:
        typer.echo("no alerts")
    if page.next_offset is not None:
        typer.echo(f"more: --offset {page.next_offset}", err=True)


@alerts_app.command("show")
def alerts_show(alert_id: Annotated[str, typer.Argument()], as_json: AsJson = False,
                namespace: Namespace = None) -> None:
    """One alert: its latest state, every event it had on the stream, its ack, assignment and history."""
    detail = _triage(namespace, lambda t: t.get(alert_id))
    if detail is None:
        fail(f"no alert {alert_id!r} on the alerts stream of namespace {namespace!r}")
    assert detail is not None
    row = detail.row
    if as_json:
        typer.echo(json.dumps({**row.to_dict(), "events": detail.events, "history": detail.history,
                              "verdict": detail.verdict, "merged": [m.alert.alert_id for m in detail.merged],
                              "removed": list(detail.removed)},
                              ensure_ascii=False))
        return
    typer.echo(email_text(row.alert), nl=False)
    typer.echo("events: " + ", ".join(f"{h['event']} {h['at']}" for h in detail.events))
    if row.assignment:
        typer.echo(f"assigned to {row.assignment.get('to')} by {row.assignment.get('by') or '?'}")
    verdict = detail.verdict
    if verdict:
        typer.echo(f"verdict: {_verdict_text(verdict)} by {verdict.get('by') or '?'} at {verdict.get('at')}"
                   + (f": {verdict['note']}" if verdict.get("note") else ""))
    if row.ack:
        typer.echo(f"acked by {row.ack.get('by') or '?'} at {row.ack.get('at')}"
                   + (f" ({row.ack['verdict']})" if row.ack.get("verdict") else "")
                   + (f": {row.ack['note']}" if row.ack.get("note") else ""))
    if row.merged_into:
        typer.echo(f"merged into {row.merged_into}")
    for other in detail.merged:
        typer.echo(f"merged in: {other.alert.alert_id} ({other.alert.sources} source(s))")
    for key, entry in detail.removed.items():
        typer.echo(f"removed post: {key} (split by {entry.get('by') or '?'} at {entry.get('at')})")
    if detail.merged or detail.removed:
        typer.echo("posts: " + ", ".join(m["key"] for m in detail.members()))
    for item in detail.history:
        typer.echo(f"history: {_history_line(item)}")


def _verdict_text(item: dict[str, Any]) -> str:
    text = str(item.get("verdict"))
    if text == "wrong_label":
        text += f" -> {','.join(item.get('labels') or []) or '(none of ours)'}"
    if item.get("duplicate_of"):
        text += f" of {item['duplicate_of']}"
    return text


def _history_line(item: dict[str, Any]) -> str:
    what = item.get("action", "?")
    if what == "assign":
        what = f"assigned to {item.get('to')}"
    elif what == "verdict":
        what = f"verdict {_verdict_text(item)}"
    elif what == "merge":
        what = f"merged in {', '.join(item.get('merged') or [])}"
    elif what == "merged_into":
        what = f"merged into {item.get('into')}"
    elif what == "split":
        what = f"split out {item.get('post')}"
    elif what == "silence":
        what = f"silence {item.get('silence')} until {item.get('until')}: {_matchers(item.get('matchers') or {})}"
    elif item.get("verdict"):
        what = f"ack ({item['verdict']})"
    return f"{item.get('at')}  {item.get('by') or '?'}  {what}" + (f": {item['note']}" if item.get("note") else "")


@alerts_app.command("ack")
def alerts_ack(
    alert_ids: Annotated[list[str] | None, typer.Argument(help="alert ids (or --all-matching with filters)")]
    = None,
    all_matching: Annotated[bool, typer.Option("--all-matching", help="every alert the filters match")] = False,
    label: LabelOpt = None,
    since: SinceOpt = None,
    until: UntilOpt = None,
    unacked: UnackedOpt = False,
    assignee: AssigneeOpt = None,
    verdict: Annotated[str | None, typer.Option("--verdict", help=", ".join(VERDICTS) + " (also: confirmed, "
                                                "not_relevant)")] = None,
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Mark alerts as handled (``alerts list --unacked`` hides them); each ack is kept in the alert's
    history (``alerts history``), a later one does not erase an earlier one."""
    filtered = bool(label or since or until or unacked or assignee)
    if bool(alert_ids) == all_matching:
        fail("give alert ids, or --all-matching with filters")
    if filtered and not all_matching:
        fail("filters (--label, --since, ...) go with --all-matching")
    try:
        verdict = check_verdict(verdict)
    except TriageError as exc:
        fail(str(exc))
    who = by or default_user()
    if all_matching:
        flt = _filter(label, since, until, unacked, assignee)
        try:
            ids = _triage(namespace, lambda t: t.ack_matching(flt, by=who, note=note, verdict=verdict))
        except TriageError as exc:
            fail(str(exc))
        typer.echo(f"acked {len(ids)} alert{'' if len(ids) == 1 else 's'} by {who}"
                   + (f": {' '.join(ids)}" if ids else ""))
        return
    assert alert_ids is not None
    ack, missing = _triage(namespace, lambda t: t.ack(alert_ids, by=who, note=note, verdict=verdict))
    for alert_id in missing:
        typer.echo(f"monitor: error: no alert {alert_id!r} on the alerts stream of namespace {namespace!r}",
                   err=True)
    if ack is not None:
        done = [i for i in dict.fromkeys(alert_ids) if i not in missing]
        typer.echo(f"acked {' '.join(done)} by {who} at {ack['at']}" + (f" ({verdict})" if verdict else ""))
    if missing:
        raise typer.Exit(2)


@alerts_app.command("verdict")
def alerts_verdict(
    alert_ids: Annotated[list[str], typer.Argument(help="alert ids")],
    verdict: Annotated[str, typer.Option("--verdict", help=", ".join(VERDICTS))],
    labels: Annotated[str | None, typer.Option(
        "--labels", help="wrong_label: the right labels, comma-separated (empty string: none of ours)")] = None,
    duplicate_of: Annotated[str | None, typer.Option("--duplicate-of", help="duplicate: the alert it repeats")]
    = None,
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Judge alerts (the feedback ``monitor train --feedback`` learns from); the latest verdict counts, the
    history keeps every one."""
    who = by or default_user()
    wanted = None if labels is None else [x.strip() for x in labels.split(",") if x.strip()]
    entry, missing = _triage(namespace, lambda t: t.set_verdict(alert_ids, verdict, labels=wanted,
                                                                 duplicate_of=duplicate_of, by=who, note=note))
    _missing(missing, namespace)
    if entry is not None:
        done = [i for i in dict.fromkeys(alert_ids) if i not in missing]
        typer.echo(f"verdict {_verdict_text(entry)} on {' '.join(done)} by {who} at {entry['at']}")
    if missing:
        raise typer.Exit(2)


def _missing(missing: list[str], namespace: str) -> None:
    for alert_id in missing:
        typer.echo(f"monitor: error: no alert {alert_id!r} on the alerts stream of namespace {namespace!r}",
                   err=True)


@alerts_app.command("merge")
def alerts_merge(
    into: Annotated[str, typer.Argument(help="the alert that stays")],
    others: Annotated[list[str], typer.Argument(help="alerts of the same event, merged into it")],
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Merge alerts raised for one event: their posts show under INTO, they leave the queue (``alerts list
    --status merged`` shows them), both histories say so."""
    who = by or default_user()
    _triage(namespace, lambda t: t.merge(into, others, by=who, note=note))
    typer.echo(f"merged {' '.join(o for o in dict.fromkeys(others) if o != into)} into {into} by {who}")


@alerts_app.command("split")
def alerts_split(
    alert_id: Annotated[str, typer.Argument()],
    post: Annotated[str, typer.Option("--post", help="the post's key platform:channel:message_id (alerts show)")],
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Take a post that is not about this alert's event out of its story (listed as removed from then on)."""
    who = by or default_user()
    _triage(namespace, lambda t: t.split(alert_id, post, by=who, note=note))
    typer.echo(f"split {post} out of {alert_id} by {who}")


@alerts_app.command("silence-like")
def alerts_silence_like(
    alert_id: Annotated[str, typer.Argument()],
    by_field: Annotated[list[str], typer.Option(
        "--on", help="the alert's value to match (repeatable): label, channel, platform, tag, governorate, actor, "
        "type")],
    duration: Annotated[str, typer.Option("--duration", help="90s, 30m, 2h, 1d")] = "1d",
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Silence alerts like this one (a ``monitor silence`` with this alert's values), recorded in its history."""
    who = by or default_user()
    entry = _triage(namespace, lambda t: t.silence_like(alert_id, by_field, duration, by=who, note=note))
    typer.echo(f"silence {entry['silence']} until {entry['until']}: {_matchers(entry['matchers'])}")


@alerts_app.command("assign")
def alerts_assign(
    alert_id: Annotated[str, typer.Argument()],
    to: Annotated[str, typer.Option("--to", help="the analyst who takes it")],
    by: ByOpt = None,
    note: NoteOpt = "",
    namespace: Namespace = None,
) -> None:
    """Assign an alert to an analyst (``alerts list --assigned-to USER``); the history keeps every one."""
    who = by or default_user()
    try:
        done = _triage(namespace, lambda t: t.assign(alert_id, to, by=who, note=note))
    except TriageError as exc:
        fail(str(exc))
    if done is None:
        fail(f"no alert {alert_id!r} on the alerts stream of namespace {namespace!r}")
    typer.echo(f"assigned {alert_id} to {to.strip()} by {who}")


@alerts_app.command("history")
def alerts_history(alert_id: Annotated[str, typer.Argument()], as_json: AsJson = False,
                   namespace: Namespace = None) -> None:
    """Every ack, verdict and assignment of an alert, oldest first."""

    async def work(t: Triage) -> list[dict[str, Any]] | None:
        if not await t.known([alert_id]):
            return None
        return await t.history(alert_id)

    items = _triage(namespace, work)
    if items is None:
        fail(f"no alert {alert_id!r} on the alerts stream of namespace {namespace!r}")
    assert items is not None
    for item in items:
        typer.echo(json.dumps(item, ensure_ascii=False) if as_json else _history_line(item))
    if not items and not as_json:
        typer.echo("no acks or assignments yet")


# --- replays -----------------------------------------------------------------------------------------------

@replays_app.command("list")
def replays_list(as_json: AsJson = False) -> None:
    """Replay namespaces kept with ``monitor replay --keep``: id, posts, alert events, first post time."""

    async def work(r: aioredis.Redis, keys: Keys) -> list[dict[str, Any]]:
        rows = []
        for ns in await Triage(r, keys).namespaces():
            if not ns.startswith("replay:"):
                continue
            k = Keys(ns)
            posts, alerts = await r.xlen(k.posts), await r.xlen(k.alerts)
            first = await r.xrange(k.posts, count=1)
            rows.append({"namespace": ns, "id": ns.removeprefix("replay:"), "posts": posts, "alert_events": alerts,
                         "created": entry_time(first[0][0]) if first else None})
        return rows

    rows = _run("monitor", work)
    for row in rows:
        typer.echo(json.dumps(row) if as_json else
                   f"{row['namespace']}  posts={row['posts']}  alert_events={row['alert_events']}  "
                   f"created={row['created'] or '?'}")
    if not rows and not as_json:
        typer.echo("no kept replays")


@replays_app.command("delete")
def replays_delete(
    replay_ids: Annotated[list[str] | None, typer.Argument(help="replay ids or replay:<id> namespaces")] = None,
    delete_all: Annotated[bool, typer.Option("--all", help="every kept replay")] = False,
) -> None:
    """Delete kept replay namespaces (every key under ``replay:<id>:``)."""
    from monitor.replay import delete_namespace

    if bool(replay_ids) == delete_all:
        fail("give replay ids, or --all")

    async def work(r: aioredis.Redis, keys: Keys) -> tuple[list[tuple[str, int]], list[str]]:
        kept = [ns for ns in await Triage(r, keys).namespaces() if ns.startswith("replay:")]
        wanted = kept if delete_all else [i if i.startswith("replay:") else f"replay:{i}" for i in replay_ids or []]
        unknown = [ns for ns in wanted if ns not in kept]
        done = [(ns, await delete_namespace(r, Keys(ns))) for ns in wanted if ns in kept]
        return done, unknown

    done, unknown = _run("monitor", work)
    for ns, n in done:
        typer.echo(f"deleted {ns} ({n} keys)")
    if unknown:
        fail(f"no kept replay {unknown[0]!r}; see `monitor replays list`")
    if not done:
        typer.echo("no kept replays")
