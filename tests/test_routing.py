"""Routing rules and silences (the store runs on the real Redis)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from monitor.keys import Keys
from monitor.models import Alert
from monitor.queue import client
from monitor.routing import Router, route_matches
from monitor.silences import SilenceStore, parse_duration, parse_when
from monitor.sinks.config import RouteConfig
from tests.fixtures.sinks.peers import make_alert


def test_route_conditions_all_must_hold() -> None:
    claim = make_alert(1, labels=["attack_claim"], score=0.9, tags=["militia"], platform="telegram")
    weak = make_alert(2, labels=["attack_claim"], score=0.4, tags=["militia"], platform="telegram")
    protest = make_alert(3, labels=["protest"], score=0.95, tags=["civil"], platform="x")
    route = RouteConfig(sinks=["slack"], labels=["attack_claim", "threat"], min_score=0.6, tags=["militia"],
                        platforms=["telegram"])
    assert route_matches(route, claim)
    assert not route_matches(route, weak)  # below min_score
    assert not route_matches(route, protest)  # wrong label, tag and platform
    assert not route_matches(route.model_copy(update={"platforms": ["x"]}), claim)
    assert not route_matches(route.model_copy(update={"tags": ["government"]}), claim)
    # min_score is read on the route's labels: a strong protest score does not lift a weak threat
    mixed = make_alert(4, labels=["threat", "protest"], score=0.3)
    mixed.scores["protest"] = 0.99
    assert not route_matches(RouteConfig(sinks=["email"], labels=["threat"], min_score=0.5), mixed)
    assert route_matches(RouteConfig(sinks=["email"], min_score=0.5), mixed)  # no labels: best own label


def sinks_for(router: Router, alert: Alert) -> set[str]:
    """The sinks whose dispatchers deliver ``alert`` (each asks the router for itself)."""
    return {name for name in ("console", "slack", "email") if router.accepts(name, alert)}


def test_router_unions_routes_and_defaults_to_every_enabled_sink() -> None:
    routes = [RouteConfig(sinks=["slack", "email"], labels=["attack_claim"], min_score=0.6),
              RouteConfig(sinks=["email"], labels=["protest"]),
              RouteConfig(sinks=["console"])]
    router = Router(routes, enabled={"slack", "email"})
    claim = make_alert(1, labels=["attack_claim"], score=0.9)
    protest = make_alert(2, labels=["protest"], score=0.7)
    assert sinks_for(router, claim) == {"slack", "email"}  # console matched but is not enabled
    assert sinks_for(router, protest) == {"email"}
    everything = Router([], enabled={"slack", "email"})
    assert sinks_for(everything, protest) == {"slack", "email"}
    assert Router().accepts("anything", protest)


def test_durations_and_times() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("1h 30m") == timedelta(minutes=90)
    assert parse_duration("90s") == timedelta(seconds=90)
    for bad in ("", "2", "h", "2x", "-1h", "0m", "2h junk"):
        with pytest.raises(ValueError):
            parse_duration(bad)
    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert parse_when("2h", now) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    assert parse_when("2026-11-20T08:00:00Z", now) == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    assert parse_when("2026-11-20T08:00:00", now) == datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
    with pytest.raises(ValueError):
        parse_when("yesterday", now)


def test_silence_store_matches_expires_and_removes(redis_url: str, keys: Keys) -> None:
    async def go() -> None:
        r = client(redis_url)
        try:
            store = SilenceStore(r, keys, refresh_seconds=0)
            a = make_alert(1, labels=["threat"], channel="Sabereen_News", text="تهديد باستهداف القاعدة")
            b = make_alert(2, labels=["threat"], channel="other", text="threat to the base")
            c = make_alert(3, labels=["protest"], channel="sabereen_news", platform="x", tags=["civil"])
            s1 = await store.add({"label": "threat", "channel": "@sabereen_news"}, timedelta(hours=2),
                                 comment="known bluster", created_by="lena")
            assert (await store.match(a)) is not None and (await store.match(a)).id == s1.id
            assert await store.match(b) is None  # every matcher must hold
            assert await store.match(c) is None
            await store.add({"text": "BASE"}, timedelta(hours=1))
            assert await store.match(b) is not None  # case-insensitive substring
            await store.add({"tag": "civil", "platform": "X"}, timedelta(minutes=5))
            assert await store.match(c) is not None
            listed = await store.list()
            assert len(listed) == 3 and listed[0].expires <= listed[-1].expires
            # an expired silence stops matching at once and is pruned from the hash on list
            await store.add({"label": "protest"}, timedelta(milliseconds=200))
            await asyncio.sleep(0.3)
            assert await r.hlen(keys.silences) == 4
            assert len(await store.list()) == 3
            assert await r.hlen(keys.silences) == 3
            assert await store.remove(s1.id)
            assert not await store.remove(s1.id)
            assert await store.match(a) is None
            with pytest.raises(ValueError, match="matcher"):
                await store.add({}, timedelta(hours=1))
            with pytest.raises(ValueError, match="unknown matcher"):
                await store.add({"colour": "red"}, timedelta(hours=1))
        finally:
            await r.aclose()

    asyncio.run(go())
