"""``monitor export``: a namespace's alerts with their events, as CSV, GeoJSON or ACLED-style CSV, streamed
(one alert at a time from the alerts stream, latest state per alert, newest first); or the posts analysts'
verdicts label (``monitor.feedback``), as JSON lines or a Label Studio task list."""

from __future__ import annotations

import csv
import json
import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import redis.asyncio as aioredis
import typer

from monitor.cli_sinks import Namespace
from monitor.keys import Keys
from monitor.models import POLITICAL_VIOLENCE, Alert, event_headline, parse_iso

ACLED_COLUMNS = ("event_date", "event_type", "sub_event_type", "actor1", "assoc_actor_1", "actor2", "assoc_actor_2",
                 "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source", "notes",
                 "fatalities")
CSV_COLUMNS = ("alert_id", "first_seen", "labels", "event_type", "sub_event_type", "plover", "actor1", "actor2",
               "target", "weapon", "fatalities", "injured", "event_time", "location", "district", "governorate",
               "country", "latitude", "longitude", "precision", "sources", "url", "text")
# ACLED's geo_precision: 1 the town itself, 2 near it / part of a region, 3 a larger region only
_GEO_PRECISION = {"point": 1, "town": 1, "district": 2, "governorate": 3, "country": 3}


def _unidentified() -> str:
    """The registry's unidentified armed group ("Unidentified Armed Group (Iraq)"). ACLED codes every act of
    political violence with a first actor, an attacker nobody names as that group; the event record leaves
    actor1 empty when the text names no one (what the extraction read), the ACLED export writes it."""
    from classifiers.events.actors import UNKNOWN_GUNMEN, ActorRegistry

    return ActorRegistry.default().actors[UNKNOWN_GUNMEN].name


class Format(StrEnum):
    csv = "csv"
    geojson = "geojson"
    acled = "acled"
    verdicts = "verdicts"
    label_studio = "label-studio"


def _window(alert: Alert, since: datetime | None, until: datetime | None) -> bool:
    try:
        when = parse_iso(alert.first_seen or str(alert.post.get("date")))
    except ValueError:
        return False
    return (since is None or when >= since) and (until is None or when <= until)


def _in_window(when: str, since: datetime | None, until: datetime | None) -> bool:
    if since is None and until is None:
        return True
    try:
        at = parse_iso(when)
    except ValueError:
        return False
    return (since is None or at >= since) and (until is None or at <= until)


def _loc(alert: Alert) -> dict[str, Any]:
    return ((alert.event_record or {}).get("location")) or {}


def csv_row(alert: Alert) -> dict[str, Any]:
    ev = alert.event_record or {}
    loc = _loc(alert)
    return {"alert_id": alert.alert_id, "first_seen": alert.first_seen, "labels": " ".join(alert.labels),
            **{k: ev.get(k) for k in ("event_type", "sub_event_type", "plover", "actor1", "actor2", "target", "weapon",
                                      "fatalities", "injured", "event_time")},
            "location": loc.get("name_en") or loc.get("name"), "district": loc.get("district"),
            "governorate": loc.get("governorate"), "country": loc.get("country"), "latitude": loc.get("lat"),
            "longitude": loc.get("lon"), "precision": loc.get("precision"), "sources": alert.sources,
            "url": alert.post.get("url"), "text": alert.post.get("text")}


def acled_row(alert: Alert) -> dict[str, Any]:
    ev = alert.event_record or {}
    loc = _loc(alert)
    date = (ev.get("event_time") or alert.first_seen or "")[:10]
    channels = [alert.titles.get(f"{p.get('platform')}:{p.get('channel')}") or str(p.get("channel"))
                for p in [alert.post, *alert.related]]
    actor1 = ev.get("actor1") or (_unidentified() if ev.get("event_type") in POLITICAL_VIOLENCE else None)
    return {"event_date": date, "event_type": ev.get("event_type"), "sub_event_type": ev.get("sub_event_type"),
            "actor1": actor1, "assoc_actor_1": ev.get("assoc_actor_1"), "actor2": ev.get("actor2"),
            "assoc_actor_2": ev.get("assoc_actor_2"), "admin1": loc.get("governorate"), "admin2": loc.get("district"),
            "admin3": None, "location": loc.get("name_en") or loc.get("name"), "latitude": loc.get("lat"),
            "longitude": loc.get("lon"), "geo_precision": _GEO_PRECISION.get(loc.get("precision", "")),
            "source": "; ".join(dict.fromkeys(channels)), "notes": event_headline(ev) or "",
            "fatalities": ev.get("fatalities") or 0}


def feature(alert: Alert) -> dict[str, Any] | None:
    loc = _loc(alert)
    if loc.get("lat") is None or loc.get("lon") is None:
        return None
    props = {k: v for k, v in csv_row(alert).items() if k not in ("latitude", "longitude")}
    props["headline"] = event_headline(alert.event_record)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [loc["lon"], loc["lat"]]},
            "properties": props}


def export(
    fmt: Annotated[Format, typer.Option("--format", help="csv, geojson, acled (ACLED's column names); verdicts "
                                        "(the labelled posts analysts' verdicts give, JSON lines) or label-studio "
                                        "(the same as a Label Studio task list)")] = Format.csv,
    since: Annotated[str | None, typer.Option(help="first post at or after: 2h, 7d or ISO")] = None,
    until: Annotated[str | None, typer.Option(help="first post at or before: 30m or ISO")] = None,
    namespace: Namespace = None,
) -> None:
    """A namespace's alerts and their events, streamed to stdout (latest state per alert, newest first).
    GeoJSON holds the alerts whose event has coordinates; CSV and ACLED hold every alert. With verdicts and
    label-studio, --since/--until select by when the verdict was given."""
    from monitor.cli_context import fail
    from monitor.cli_sinks import _run
    from monitor.silences import parse_when
    from monitor.triage import Triage  # the queue's reader (one place for alert queries)

    try:
        lo = parse_when(since) if since else None
        hi = parse_when(until) if until else None
    except ValueError as exc:
        fail(str(exc))
        return
    out = sys.stdout

    async def verdicts(r: aioredis.Redis, keys: Keys) -> int:
        from monitor.feedback import collect

        posts = [p for p in (await collect(Triage(r, keys))).posts if _in_window(p.at, lo, hi)]
        if fmt is Format.label_studio:
            json.dump([p.label_studio_task() for p in posts], out, ensure_ascii=False, indent=1)
            out.write("\n")
        else:
            for p in posts:
                out.write(json.dumps(p.corpus_row(), ensure_ascii=False) + "\n")
        out.flush()
        return len(posts)

    if fmt in (Format.verdicts, Format.label_studio):
        _run(namespace, verdicts)
        return

    async def work(r: aioredis.Redis, keys: Keys) -> int:
        n = 0
        writer: Any = None
        if fmt is Format.geojson:
            out.write('{"type": "FeatureCollection", "features": [\n')
        else:
            columns = ACLED_COLUMNS if fmt is Format.acled else CSV_COLUMNS
            writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
        async for _, alert in Triage(r, keys).latest():
            if not _window(alert, lo, hi):
                continue
            if fmt is Format.geojson:
                feat = feature(alert)
                if feat is None:
                    continue
                out.write(("," if n else "") + json.dumps(feat, ensure_ascii=False) + "\n")
            else:
                writer.writerow(acled_row(alert) if fmt is Format.acled else csv_row(alert))
            n += 1
        if fmt is Format.geojson:
            out.write("]}\n")
        out.flush()
        return n

    _run(namespace, work)
