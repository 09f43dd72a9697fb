"""The console at the HTTP level (starlette's TestClient, a real Redis): every route's login requirement,
CSRF on every POST, roles, login limits, the session key, actions that land in the triage history, filters,
saved filters, the cached view of the stream against a scan, the shipped map."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Iterator

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from monitor.alert_cache import AlertCache
from monitor.cli_web import web_secret
from monitor.keys import Keys
from monitor.models import Alert
from monitor.queue import client
from monitor.stories import alert_fields
from monitor.triage import Triage
from monitor.web.app import create_app
from monitor.web.iraq_map import load_map, make_map
from monitor.web.users import UserStore
from tests.fixtures.sinks.peers import make_alert

SECRET = "s" * 40
PASSWORD = "correct horse battery"
GOVS = ["Basra", "Anbar", "Baghdad", "Basra", "Nineveh", "Anbar"]


def _alert(i: int, **kw: object) -> Alert:
    a = make_alert(i, **kw)  # type: ignore[arg-type]
    gov = GOVS[(i - 1) % len(GOVS)]
    a.event_record = {"event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
                      "plover": "FIGHT", "label": "attack_claim", "event_time": a.first_seen,
                      "actor1": "Islamic Resistance in Iraq", "actor2": "US Forces",
                      "location": {"name": gov, "place": gov.lower(), "governorate": gov, "country": "Iraq",
                                   "precision": "governorate"}}
    return a


def _run(redis_url: str, work):  # type: ignore[no-untyped-def]
    async def go():  # type: ignore[no-untyped-def]
        r = client(redis_url)
        try:
            return await work(r)
        finally:
            await r.aclose()

    return asyncio.run(go())


@pytest.fixture()
def seeded(redis_url: str, keys: Keys) -> Keys:
    async def work(r):  # type: ignore[no-untyped-def]
        for i in range(1, 7):
            await r.xadd(keys.alerts, alert_fields(_alert(i, related=1 if i == 2 else 0)))
        users = UserStore(r, keys)
        for name, role in (("vera", "viewer"), ("ana", "analyst"), ("adam", "admin")):
            await users.add(name, PASSWORD, role)

    _run(redis_url, work)
    return keys


@pytest.fixture()
def app_client(redis_url: str, seeded: Keys) -> Iterator[TestClient]:
    r = client(redis_url)
    app = create_app(r, seeded, SECRET)
    with TestClient(app, base_url="http://127.0.0.1", follow_redirects=False) as tc:
        yield tc


def _csrf(tc: TestClient, path: str = "/login") -> str:
    page = tc.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def login(tc: TestClient, name: str, password: str = PASSWORD) -> str:
    token = _csrf(tc)
    got = tc.post("/login", data={"username": name, "password": password, "csrf_token": token, "next": "/"})
    assert got.status_code == 303, got.text
    return _csrf(tc, "/")  # a new session: a new token


def _paths(tc: TestClient) -> list[tuple[str, str]]:
    out = []
    for route in tc.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route):
            path = route.path.replace("{alert_id}", "a0001")
            out.extend((m, path) for m in sorted(route.methods or ()) if m != "HEAD")
    return out


def test_every_route_needs_a_login_except_health_and_login(app_client: TestClient) -> None:
    paths = _paths(app_client)
    assert len(paths) >= 12
    for method, path in paths:
        got = app_client.request(method, path)
        if path in ("/healthz", "/login"):
            assert got.status_code in (200, 403), (method, path)  # the login POST without a token: 403
            continue
        if method == "GET" and not path.startswith("/api/") and path != "/events":
            assert got.status_code == 303 and got.headers["location"].startswith("/login"), (method, path)
        else:
            assert got.status_code == 401, (method, path, got.status_code)
        assert "a0001" not in got.text
    assert app_client.get("/rows", headers={"HX-Request": "true"}).status_code == 401  # htmx: 401, no redirect
    assert app_client.get("/healthz").json()["status"] == "ok"


def test_every_post_needs_the_csrf_token(app_client: TestClient) -> None:
    anonymous = app_client.post("/login", data={"username": "adam", "password": PASSWORD})
    assert anonymous.status_code == 403  # the login form too
    token = login(app_client, "adam")
    posts = [path for method, path in _paths(app_client) if method == "POST" and path != "/login"]
    assert set(posts) == {"/logout", "/actions", "/filters"}
    for path in posts:
        for headers, data in (({}, {"action": "ack", "ids": "a0001", "name": "x"}),
                              ({"X-CSRF-Token": "forged"}, {"action": "ack", "ids": "a0001"}),
                              ({}, {"action": "ack", "ids": "a0001", "csrf_token": token[:-2] + "xx"})):
            got = app_client.post(path, data=data, headers=headers)
            assert got.status_code == 403, (path, headers, data)
    assert not _run_history(app_client, "a0001")  # nothing happened
    ok = app_client.post("/actions", data={"action": "ack", "ids": "a0001"},
                         headers={"X-CSRF-Token": token, "HX-Request": "true"})  # what htmx sends
    assert ok.status_code == 200 and "acked 1" in ok.json()["message"]


def _run_history(tc: TestClient, alert_id: str) -> list[dict]:
    got = tc.get(f"/api/alerts/{alert_id}")
    return list(got.json()["history"]) if got.status_code == 200 else []


def test_roles_and_a_deleted_user(app_client: TestClient, redis_url: str, seeded: Keys) -> None:
    token = login(app_client, "vera")
    assert app_client.get("/").status_code == 200 and app_client.get("/stats").status_code == 200
    denied = app_client.post("/actions", data={"action": "ack", "ids": "a0001", "csrf_token": token})
    assert denied.status_code == 403 and "analyst" in denied.text
    token = login(app_client, "ana")
    silence = app_client.post("/actions", data={"action": "silence", "ids": "a0001", "fields": "channel",
                                                "csrf_token": token}, headers={"Accept": "application/json"})
    assert silence.status_code == 403 and "admin" in silence.json()["message"]
    token = login(app_client, "adam")
    silence = app_client.post("/actions", data={"action": "silence", "ids": "a0001", "fields": "channel",
                                                "duration": "2h", "csrf_token": token},
                              headers={"Accept": "application/json"})
    assert silence.status_code == 200 and "silence" in silence.json()["message"]
    _run(redis_url, lambda r: UserStore(r, seeded).delete("adam"))
    assert app_client.get("/").status_code == 303  # the session ends with the user


def test_login_is_limited_and_nothing_secret_is_logged(app_client: TestClient,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for _ in range(5):
        token = _csrf(app_client)
        bad = app_client.post("/login", data={"username": "ana", "password": "wrong password!", "csrf_token": token})
        assert bad.status_code == 401
    token = _csrf(app_client)
    blocked = app_client.post("/login", data={"username": "ana", "password": PASSWORD, "csrf_token": token})
    assert blocked.status_code == 429  # even the right password, until the window ends
    assert login(app_client, "vera")  # another user still logs in
    text = caplog.text
    assert PASSWORD not in text and "wrong password!" not in text and SECRET not in text
    tampered = app_client.cookies.get("monitor_session")
    assert tampered
    app_client.cookies.clear()
    app_client.cookies.set("monitor_session", tampered[:-4] + ("AAAA" if not tampered.endswith("AAAA") else "BBBB"))
    assert app_client.get("/").status_code == 303  # a cookie not signed with the key is no session


def test_the_session_key_is_required() -> None:
    with pytest.raises(ValueError, match="MONITOR_WEB_SECRET is not set"):
        web_secret(False, {})
    with pytest.raises(ValueError, match="at least 32"):
        web_secret(False, {"MONITOR_WEB_SECRET": "short"})
    assert len(web_secret(True, {})) >= 32 and web_secret(True, {}) != web_secret(True, {})
    assert web_secret(False, {"MONITOR_WEB_SECRET": SECRET}) == SECRET
    with pytest.raises(ValueError):
        create_app(None, Keys("x"), "short")  # type: ignore[arg-type]


def test_queue_filters_pages_and_saved_filters(app_client: TestClient) -> None:
    token = login(app_client, "vera")
    page = app_client.get("/", params={"governorate": "Basra"})
    ids = re.findall(r'data-alert-id="([^"]+)"', page.text)
    assert ids == ["a0004", "a0001"]
    assert 'dir="auto"' in page.text
    rows = app_client.get("/rows", params={"governorate": "Anbar", "min_sources": "1", "platform": "telegram"},
                          headers={"HX-Request": "true"})
    assert re.findall(r'data-alert-id="([^"]+)"', rows.text) == ["a0006", "a0002"]
    api = app_client.get("/api/alerts", params={"channel": "@Sabereen_News", "status": "open"}).json()
    assert [a["alert_id"] for a in api["alerts"]] == ["a0006", "a0005", "a0004", "a0003", "a0002", "a0001"]
    assert app_client.get("/api/alerts", params={"label": "riot"}).json()["error"].startswith("unknown label")
    assert app_client.get("/api/alerts", params={"min_sources": "2"}).json()["alerts"][0]["alert_id"] == "a0002"
    saved = app_client.post("/filters", data={"name": "basra", "query": "governorate=Basra", "csrf_token": token})
    assert saved.status_code == 303
    assert 'href="/?governorate=Basra">basra</a>' in app_client.get("/").text


def test_actions_land_in_the_history_and_the_cli_view(app_client: TestClient, redis_url: str, seeded: Keys) -> None:
    token = login(app_client, "ana")
    bulk = app_client.post("/actions", data={"action": "ack", "ids": ["a0001", "a0003"], "comment": "seen",
                                             "csrf_token": token, "back": "/?governorate=Basra"})
    assert bulk.status_code == 303 and bulk.headers["location"] == "/?governorate=Basra"
    assert "acked 2 alert(s)" in app_client.get("/").text  # the flash
    verdict = app_client.post("/actions", data={"action": "verdict", "verdict": "wrong_label", "labels": "protest",
                                                "ids": "a0001", "csrf_token": token, "comment": "a march"})
    assert verdict.status_code == 303
    bad = app_client.post("/actions", data={"action": "verdict", "verdict": "wrong_label", "ids": "a0001",
                                            "csrf_token": token}, headers={"Accept": "application/json"})
    assert bad.status_code == 400 and "right labels" in bad.json()["message"]
    merge = app_client.post("/actions", data={"action": "merge", "into": "a0004", "ids": ["a0004", "a0001"],
                                              "csrf_token": token}, headers={"Accept": "application/json"})
    assert merge.status_code == 200, merge.text
    split = app_client.post("/actions", data={"action": "split", "ids": "a0002", "post": "x:echo0:20",
                                              "csrf_token": token}, headers={"Accept": "application/json"})
    assert split.status_code == 200, split.text

    async def check(r):  # type: ignore[no-untyped-def]
        t = Triage(r, seeded)
        one = await t.get("a0001")
        four = await t.get("a0004")
        two = await t.get("a0002")
        return one, four, two, await t.verdicts()

    one, four, two, verdicts = _run(redis_url, check)
    assert [(h["action"], h["by"]) for h in one.history] == [("ack", "ana"), ("verdict", "ana"),
                                                             ("merged_into", "ana")]
    assert verdicts["a0001"]["labels"] == ["protest"] and verdicts["a0001"]["note"] == "a march"
    assert one.row.merged_into == "a0004" and [m.alert.alert_id for m in four.merged] == ["a0001"]
    assert {m["key"] for m in four.members()} == {"telegram:sabereen_news:1004", "telegram:sabereen_news:1001"}
    assert list(two.removed) == ["x:echo0:20"] and [m["key"] for m in two.members()] == ["telegram:sabereen_news:1002"]
    queue = re.findall(r'data-alert-id="([^"]+)"', app_client.get("/").text)
    assert "a0001" not in queue and "a0004" in queue  # a merged alert leaves the queue
    detail = app_client.get("/alerts/a0004").text
    assert "from merged alert" in detail and "merged_into" not in detail and "a0001" in detail
    assert "x:echo0:20 taken out of the story" in app_client.get("/alerts/a0002").text
    assert app_client.get("/alerts/nope").status_code == 404


def test_stats_page_counts_governorates_and_precision(app_client: TestClient) -> None:
    token = login(app_client, "ana")
    for alert_id, verdict in (("a0001", "true_positive"), ("a0002", "false_positive")):
        app_client.post("/actions", data={"action": "verdict", "verdict": verdict, "ids": alert_id,
                                          "csrf_token": token})
    page = app_client.get("/stats").text
    assert 'data-governorate="Basra" data-count="2"' in page and 'data-governorate="Anbar" data-count="2"' in page
    assert re.search(r'<td>attack_claim</td><td class="num">1</td><td class="num">1</td><td class="num">0.50', page)


def test_the_cache_agrees_with_a_scan(redis_url: str, keys: Keys) -> None:
    async def work(r):  # type: ignore[no-untyped-def]
        for i in range(1, 5):
            await r.xadd(keys.alerts, alert_fields(_alert(i)))
        cache = AlertCache(r, keys, page=2)
        cached, scanned = Triage(r, keys, cache=cache), Triage(r, keys)
        first = [row.alert.alert_id for row in await cached.rows()]
        await r.xadd(keys.alerts, alert_fields(_alert(2, event="update", related=1)))
        await r.xadd(keys.alerts, {**alert_fields(_alert(3)), "target": "slack"})  # a re-queued copy: no new state
        await r.xadd(keys.alerts, alert_fields(_alert(5)))
        after = [(row.alert.alert_id, row.alert.sources) for row in await cached.rows()]
        assert after == [(row.alert.alert_id, row.alert.sources) for row in await scanned.rows()]
        got = await cached.get("a0002")
        assert got is not None and [e["event"] for e in got.events] == ["new", "update"]
        await r.delete(keys.alerts)
        return first, after, len(await cached.rows())

    first, after, left = _run(redis_url, work)
    assert first == ["a0004", "a0003", "a0002", "a0001"]
    assert after == [("a0005", 1), ("a0002", 2), ("a0004", 1), ("a0003", 1), ("a0001", 1)] and left == 0


def test_the_shipped_map_is_the_generated_one() -> None:
    shipped = load_map()
    assert json.loads(json.dumps(make_map())) == shipped
    assert len(shipped["governorates"]) == 19 and shipped["governorates"]["Basra"]["path"].startswith("M")
