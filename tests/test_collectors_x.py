"""X collector through tweepy's real HTTP layer (requests/urllib3) against a loopback server that plays recorded
API v2 payloads: username lookup, backfill, ``since_id`` + ``next_token`` paging, an ``errors`` array, 429 with
``x-rate-limit-reset``, auth failures."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
import tweepy

from monitor.collectors import x
from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import CursorStore
from monitor.collectors.service import CollectorService
from monitor.keys import Keys
from monitor.metrics import COLLECTOR_ERRORS
from monitor.queue import client
from monitor.settings import Settings
from tests.test_collectors_helpers import Reply, XServer, point_at, stream_posts, x_payload

UID = "1402837465123450881"
TOKEN = "AAAAAAAAAAAAAAAAAAAAAtest-bearer-token-do-not-log"
USER_PATH = "/2/users/by/username/SpokesmanTest"
TWEETS_PATH = f"/2/users/{UID}/tweets"
SETTINGS = Settings(x_bearer_token=TOKEN)


def source(**overrides: Any) -> SourceConfig:
    data: dict[str, Any] = {"id": "x_spokesman", "platform": "x", "handle": "@SpokesmanTest", "tags": ["spokesman"],
                            "poll_interval": 900, "backfill": {"last": 3}}
    data.update(overrides)
    return SourceConfig.model_validate(data)


def ok(name: str) -> Reply:
    return 200, {}, x_payload(name)


def timeline_route(query: dict[str, str]) -> Reply:
    """The recorded account: 5 older posts, then 5 newer ones over two pages."""
    if "since_id" not in query:
        return ok("timeline_backfill")
    if query["since_id"] == "1859600000000000005":
        return ok("timeline_since_page2") if "pagination_token" in query else ok("timeline_since_page1")
    return ok("timeline_empty")


def default_route(path: str, query: dict[str, str]) -> Reply:
    if path == USER_PATH:
        return ok("user_by_username")
    if path == TWEETS_PATH:
        return timeline_route(query)
    return 404, {}, {"title": "Not Found Error", "detail": path, "type": "about:blank", "status": 404}


def x_client(server: XServer, **kw: Any) -> Any:
    return point_at(x.build_client(SETTINGS) if not kw else tweepy.Client(bearer_token=TOKEN, **kw), server)


def test_backfill_then_since_id_paging(redis_url: str, keys: Keys, caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        r = client(redis_url)
        with XServer(default_route) as server:
            svc = CollectorService(r, keys, [source()], SETTINGS, x_client=x_client(server))
            assert await svc.poll("x_spokesman") == 3
            lookup, first = server.requests[0], server.requests[1]
            assert lookup.path == USER_PATH and lookup.auth == f"Bearer {TOKEN}"
            assert first.path == TWEETS_PATH and "since_id" not in first.query
            assert first.query["max_results"] == "5"  # last: 3, the endpoint's minimum page is 5
            assert "note_tweet" in first.query["tweet.fields"].split(",")
            assert "referenced_tweets.id.author_id" in first.query["expansions"].split(",")
            assert len(server.requests) == 2  # enough posts on page one: no next_token followed
            posts = await stream_posts(r, keys)
            assert [p.message_id for p in posts] == ["1859600000000000003", "1859600000000000004",
                                                     "1859600000000000005"]  # newest 3, oldest first
            assert await CursorStore(r, keys).get("x_spokesman") == "1859600000000000005"  # meta.newest_id

            errors_before = COLLECTOR_ERRORS.labels(source="x_spokesman", kind="api_error")._value.get()
            assert await svc.poll("x_spokesman") == 5
            page1, page2 = server.requests[2], server.requests[3]
            assert page1.query["since_id"] == "1859600000000000005" and page1.query["max_results"] == "100"
            assert "pagination_token" not in page1.query
            assert page2.query["since_id"] == "1859600000000000005"
            assert page2.query["pagination_token"] == "7140dibdnow9c7btw4b2x8i5ygc7m7cc0vzwx1xzn5hpq"
            assert USER_PATH not in server.paths()[2:]  # the user id is cached
            # the newest id is on the first page, and it becomes the cursor once both pages are enqueued
            assert await CursorStore(r, keys).get("x_spokesman") == "1859700000000000303"
            assert COLLECTOR_ERRORS.labels(source="x_spokesman", kind="api_error")._value.get() - errors_before == 1

            posts = {p.message_id: p for p in await stream_posts(r, keys)}
            assert list(posts)[3:] == ["1859700000000000201", "1859700000000000202", "1859700000000000301",
                                       "1859700000000000302", "1859700000000000303"]
            long = posts["1859700000000000302"]
            assert long.text == x_payload("timeline_since_page1")["data"][1]["note_tweet"]["text"]
            assert len(long.text) > 280 and not long.is_repost
            rt = posts["1859700000000000303"]
            assert rt.is_repost and rt.forwarded_from == "shatt_news_x"  # a re-share, not a new statement
            assert rt.channel == UID and rt.url == "https://x.com/SpokesmanTest/status/1859700000000000303"
            assert posts["1859700000000000301"].links == ["https://t.me/sabreen_test"]
            assert posts["1859700000000000201"].lang == "zxx"
            assert all(p.source_id == "x_spokesman" and p.tags == ["spokesman"] for p in posts.values())

            assert await svc.poll("x_spokesman") == 0  # nothing newer: cursor unchanged
            assert server.requests[-1].query["since_id"] == "1859700000000000303"
            assert await CursorStore(r, keys).get("x_spokesman") == "1859700000000000303"
            await svc.stop()
        await r.aclose()

    with caplog.at_level(logging.DEBUG):
        asyncio.run(go())
    assert any("Could not find tweet with referenced_tweets.id" in rec.getMessage() for rec in caplog.records)
    assert TOKEN not in caplog.text


def test_429_waits_until_the_reset_then_retries_the_same_page(redis_url: str, keys: Keys) -> None:
    state = {"limited": 0, "reset": 0}

    def route(path: str, query: dict[str, str]) -> Reply:
        if path == TWEETS_PATH and "pagination_token" in query and not state["limited"]:
            state["limited"] = 1
            state["reset"] = int(time.time()) + 1
            return 429, {"x-rate-limit-reset": str(state["reset"]), "x-rate-limit-remaining": "0"}, \
                x_payload("rate_limited")
        return default_route(path, query)

    async def go() -> None:
        r = client(redis_url)
        await CursorStore(r, keys).set("x_spokesman", "1859600000000000005")
        with XServer(route) as server:
            svc = CollectorService(r, keys, [source()], SETTINGS, x_client=x_client(server))
            assert await svc.poll("x_spokesman") == 5
            tweets = [q for q in server.requests if q.path == TWEETS_PATH]
            assert len(tweets) == 3  # page 1, page 2 (429), page 2 again
            limited, retried = tweets[1], tweets[2]
            assert limited.query == retried.query  # same page, same token
            assert retried.at >= state["reset"]  # not before x-rate-limit-reset
            assert await CursorStore(r, keys).get("x_spokesman") == "1859700000000000303"
            assert svc.status()["x_spokesman"]["last_error"] is None
        await r.aclose()

    asyncio.run(go())


def test_a_long_rate_limit_pushes_the_next_poll_back_and_keeps_the_cursor(redis_url: str, keys: Keys) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == TWEETS_PATH and "pagination_token" in query:
            return 429, {"x-rate-limit-reset": str(int(time.time()) + 600)}, x_payload("rate_limited")
        return default_route(path, query)

    async def go() -> None:
        r = client(redis_url)
        await CursorStore(r, keys).set("x_spokesman", "1859600000000000005")
        with XServer(route) as server:
            svc = CollectorService(r, keys, [source()], SETTINGS, x_client=x_client(server), max_rate_wait=30)
            assert await svc.poll("x_spokesman") == 3  # page one is safe to enqueue ...
            assert await CursorStore(r, keys).get("x_spokesman") == "1859600000000000005"  # ... the cursor stays
            st = svc.status()["x_spokesman"]
            assert st["enabled"] and "429" in st["last_error"] and st["backoff_until"] is not None
        await r.aclose()

    asyncio.run(go())


def test_tweepy_response_objects_work_too(redis_url: str, keys: Keys) -> None:
    """A client built elsewhere may keep tweepy's default return type (Response with Tweet/User models)."""
    async def go() -> None:
        r = client(redis_url)
        await CursorStore(r, keys).set("x_spokesman", "1859600000000000005")
        with XServer(default_route) as server:
            peer = x_client(server, return_type=tweepy.Response)
            svc = CollectorService(r, keys, [source()], SETTINGS, x_client=peer)
            assert await svc.poll("x_spokesman") == 5
            posts = {p.message_id: p for p in await stream_posts(r, keys)}
            assert posts["1859700000000000303"].forwarded_from == "shatt_news_x"
            assert len(posts["1859700000000000302"].text) > 280
        await r.aclose()

    asyncio.run(go())


@pytest.mark.parametrize(("reply", "reason"), [
    ((200, {}, x_payload("user_not_found")), "X user @GhostAccount404 not found: Could not find user"),
    ((401, {}, x_payload("unauthorized")), "X rejected X_BEARER_TOKEN (401 Unauthorized)"),
])
def test_accounts_that_cannot_work_are_disabled(redis_url: str, keys: Keys, reply: Reply, reason: str,
                                                caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> None:
        r = client(redis_url)
        with XServer(lambda path, query: reply) as server:
            svc = CollectorService(r, keys, [source(handle="GhostAccount404")], SETTINGS, x_client=x_client(server))
            assert await svc.poll("x_spokesman") == 0
            st = svc.status()["x_spokesman"]
            assert st["enabled"] is False and st["disabled_reason"].startswith(reason)
            assert await svc.poll("x_spokesman") == 0
            assert len(server.requests) == 1  # disabled: never asked again
        await r.aclose()

    with caplog.at_level(logging.INFO):
        asyncio.run(go())
    assert TOKEN not in caplog.text


def test_server_errors_back_off_and_keep_the_cursor(redis_url: str, keys: Keys) -> None:
    def route(path: str, query: dict[str, str]) -> Reply:
        if path == TWEETS_PATH:
            return 503, {}, {"title": "Service Unavailable", "type": "about:blank", "status": 503,
                             "detail": "Service Unavailable"}
        return default_route(path, query)

    async def go() -> None:
        r = client(redis_url)
        await CursorStore(r, keys).set("x_spokesman", "1859600000000000005")
        with XServer(route) as server:
            svc = CollectorService(r, keys, [source()], SETTINGS, x_client=x_client(server))
            assert await svc.poll("x_spokesman") == 0
            first = svc.status()["x_spokesman"]
            assert first["enabled"] and "TwitterServerError" in first["last_error"]
            assert await svc.poll("x_spokesman") == 0
            second = svc.status()["x_spokesman"]
            assert second["backoff_until"] > first["backoff_until"]  # the delay grows
            assert await CursorStore(r, keys).get("x_spokesman") == "1859600000000000005"
            assert len(server.requests) == 3
        await r.aclose()

    asyncio.run(go())
