"""The analysts' console: one Starlette app over the monitor's Redis (``create_app``). Pages are Jinja2
templates; htmx (vendored in ``static/``) refreshes the queue's rows, and a server-sent event per new alert
event (``/events``, read from the alerts stream) tells an open queue page to do so.

Every page and API needs a session (a signed cookie: ``SessionMiddleware`` with the key from
``MONITOR_WEB_SECRET``) except ``/healthz``, ``/login`` and the static assets (no data in them). Every POST
carries the session's CSRF token (a form field, or the ``X-CSRF-Token`` header that htmx sends). Queries and
actions go through ``monitor.triage`` (the same code as ``monitor alerts``); this module parses, checks
roles, calls it and renders."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis.asyncio as aioredis
from sse_starlette.sse import EventSourceResponse
from starlette.applications import Starlette
from starlette.datastructures import FormData, QueryParams
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from classifiers.base import LABELS
from monitor import insights
from monitor.alert_cache import AlertCache
from monitor.keys import Keys
from monitor.models import PLATFORMS, event_headline
from monitor.silences import MATCHERS
from monitor.sinks.base import TARGET_FIELD
from monitor.triage import STATUSES, VERDICTS, AlertFilter, AlertRow, Triage, TriageError, make_filter
from monitor.web.iraq_map import load_map
from monitor.web.users import ROLES, LoginLimiter, SavedFilters, User, UserStore, allowed

__all__ = ["PAGE_SIZE", "create_app"]

log = logging.getLogger(__name__)
HERE = Path(__file__).parent
PAGE_SIZE = 50
SESSION_HOURS = 12
FILTER_FIELDS = ("label", "type", "governorate", "actor", "platform", "channel", "tag", "status", "assignee",
                 "since", "until", "min_score", "min_sources")
ACTIONS = {"ack": "analyst", "assign": "analyst", "verdict": "analyst", "merge": "analyst", "split": "analyst",
           "silence": "admin"}
SILENCE_FIELDS = tuple(m for m in MATCHERS if m != "text")


class Console:
    """What the routes share: the Redis client, the namespace's keys, the cache of alerts, the stores."""

    def __init__(self, r: aioredis.Redis, keys: Keys, sse_redis: aioredis.Redis | None = None) -> None:
        self.r = r
        self.keys = keys
        self.sse_redis = sse_redis or r  # blocking XREADs: a client of their own in production
        self.cache = AlertCache(r, keys)
        self.triage = Triage(r, keys, cache=self.cache)
        self.users = UserStore(r, keys)
        self.limiter = LoginLimiter(r, keys)
        self.filters = SavedFilters(r, keys)
        self.map = load_map()


# --- helpers -----------------------------------------------------------------------------------------------

def _csrf(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return str(token)


def _csrf_ok(request: Request, form: FormData | None) -> bool:
    expected = request.session.get("csrf")
    given = request.headers.get("x-csrf-token") or (str(form.get("csrf_token") or "") if form else "")
    return bool(expected) and secrets.compare_digest(str(expected), given)


def _wants_redirect(request: Request) -> bool:
    """A person's browser asking for a page (redirect to the login page) rather than htmx, SSE or the API
    (401)."""
    return (request.method == "GET" and "hx-request" not in request.headers
            and "text/event-stream" not in request.headers.get("accept", "")
            and not request.url.path.startswith("/api/") and request.url.path != "/events")


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


Endpoint = Callable[[Request], Awaitable[Response]]


def guarded(role: str = "viewer") -> Callable[[Endpoint], Endpoint]:
    """A route for users with ``role`` or more; POSTs need the CSRF token. The user is read from Redis on
    every request: a deleted user's or a changed role's session ends at once."""

    def wrap(fn: Endpoint) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            console: Console = request.app.state.console
            name = request.session.get("user")
            user = await console.users.get(name) if name else None
            if user is None:
                request.session.pop("user", None)
                if _wants_redirect(request):
                    return RedirectResponse("/login?" + urlencode({"next": request.url.path}), 303)
                return PlainTextResponse("login required", 401)
            if request.method == "POST":
                form = await request.form()
                if not _csrf_ok(request, form):
                    return PlainTextResponse("missing or wrong CSRF token", 403)
            if not allowed(user.role, role):
                return PlainTextResponse(f"needs the {role} role (you are {user.role})", 403)
            request.state.user = user
            return await fn(request)

        endpoint.__name__ = fn.__name__
        endpoint.__doc__ = fn.__doc__
        return endpoint

    return wrap


def _render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    templates: Jinja2Templates = request.app.state.templates
    user: User | None = getattr(request.state, "user", None)
    flash = request.session.pop("flash", None)
    return templates.TemplateResponse(request, name, {"user": user, "csrf": _csrf(request), "labels": LABELS,
                                                      "flash": flash, **context}, status_code=status)


def _many(params: QueryParams | FormData, name: str) -> list[str]:
    out: list[str] = []
    for value in params.getlist(name):
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return out


def _filter(params: QueryParams) -> AlertFilter:
    def number(name: str, kind: type) -> Any:
        raw = params.get(name, "").strip()
        if not raw:
            return None
        try:
            return kind(raw)
        except ValueError:
            raise TriageError(f"{name} must be a number, not {raw!r}") from None

    return make_filter(_many(params, "label"), params.get("since") or None, params.get("until") or None,
                       False, params.get("assignee") or None, _many(params, "governorate"), _many(params, "actor"),
                       _many(params, "type"), platforms=_many(params, "platform"), channels=_many(params, "channel"),
                       tags=_many(params, "tag"), min_score=number("min_score", float),
                       min_sources=number("min_sources", int), status=params.get("status") or None)


def _query(params: QueryParams, **changes: Any) -> str:
    items = [(k, v) for k, v in params.multi_items() if k in FILTER_FIELDS and v and k not in changes]
    items += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    return urlencode(items)


def _offset(params: QueryParams) -> int:
    try:
        return max(0, int(params.get("offset", "0")))
    except ValueError:
        return 0


async def _page(request: Request) -> dict[str, Any]:
    console: Console = request.app.state.console
    params = request.query_params
    error = None
    try:
        flt = _filter(params)
    except TriageError as exc:
        flt, error = AlertFilter(), str(exc)
    offset = _offset(params)
    t0 = time.perf_counter()
    page = await console.triage.list(flt, limit=PAGE_SIZE, offset=offset)
    return {"page": page, "error": error, "params": params, "offset": offset,
            "next_query": _query(params, offset=page.next_offset) if page.next_offset is not None else None,
            "prev_query": _query(params, offset=max(0, offset - PAGE_SIZE)) if offset else None,
            "filter_query": _query(params), "elapsed_ms": (time.perf_counter() - t0) * 1000}


def _back(request: Request, form: FormData, fallback: str = "/") -> str:
    target = str(form.get("back") or fallback)
    return target if target.startswith("/") and not target.startswith("//") else fallback


# --- routes ------------------------------------------------------------------------------------------------

async def healthz(request: Request) -> Response:
    console: Console = request.app.state.console
    try:
        await console.r.ping()
        return JSONResponse({"status": "ok", "namespace": console.keys.ns})
    except Exception as exc:  # the probe answers whatever Redis does
        return JSONResponse({"status": "degraded", "redis": type(exc).__name__}, status_code=503)


async def login_page(request: Request) -> Response:
    return _render(request, "login.html", {"next": request.query_params.get("next", "/"), "error": None})


async def login(request: Request) -> Response:
    console: Console = request.app.state.console
    form = await request.form()
    target = str(form.get("next") or "/")
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    if not _csrf_ok(request, form):
        return PlainTextResponse("missing or wrong CSRF token (reload the login page)", 403)
    name, password, address = str(form.get("username", "")).strip(), str(form.get("password", "")), _client(request)
    if await console.limiter.blocked(name, address):
        log.warning("console login refused: too many failures (user %r, address %s)", name, address)
        return _render(request, "login.html", {"next": target, "error": "Too many failed logins: wait 15 minutes."},
                       status=429)
    user = await console.users.verify(name, password) if name and password else None
    if user is None:
        await console.limiter.failed(name, address)
        log.info("console login failed (user %r, address %s)", name, address)
        return _render(request, "login.html", {"next": target, "error": "Wrong user name or password."}, status=401)
    await console.limiter.succeeded(name)
    request.session.clear()  # a new session: no fixation
    request.session.update({"user": user.name, "csrf": secrets.token_urlsafe(32), "at": int(time.time())})
    log.info("console login: %s (%s)", user.name, user.role)
    return RedirectResponse(target, 303)


@guarded()
async def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", 303)


@guarded()
async def queue(request: Request) -> Response:
    console: Console = request.app.state.console
    user: User = request.state.user
    return _render(request, "queue.html", {**await _page(request), "saved": await console.filters.list(user.name),
                                           "statuses": STATUSES, "platforms": PLATFORMS, "verdicts": VERDICTS,
                                           "silence_fields": SILENCE_FIELDS})


@guarded()
async def rows(request: Request) -> Response:
    return _render(request, "_rows.html", await _page(request))


@guarded()
async def api_alerts(request: Request) -> Response:
    data = await _page(request)
    page = data["page"]
    return JSONResponse({"alerts": [row.to_dict() for row in page.rows], "offset": page.offset,
                         "next_offset": page.next_offset, "error": data["error"]})


@guarded()
async def detail(request: Request) -> Response:
    console: Console = request.app.state.console
    alert_id = request.path_params["alert_id"]
    found = await console.triage.get(alert_id)
    if found is None:
        return _render(request, "missing.html", {"alert_id": alert_id}, status=404)
    # similar alerts: from the cached states alone (no analysts' marks needed; get() refreshed the cache)
    rows_all = [AlertRow(entry_id, alert) for entry_id, alert in console.cache.newest_first()]
    return _render(request, "detail.html", {
        "d": found, "row": found.row, "alert": found.row.alert, "members": found.members(),
        "timeline": insights.timeline(found), "similar": insights.similar(found.row, rows_all),
        "headline": event_headline(found.row.alert.event_record), "verdicts": VERDICTS,
        "silence_fields": SILENCE_FIELDS,
        "event_json": json.dumps(found.row.alert.event_record, ensure_ascii=False, indent=1)})


@guarded()
async def api_alert(request: Request) -> Response:
    console: Console = request.app.state.console
    found = await console.triage.get(request.path_params["alert_id"])
    if found is None:
        return JSONResponse({"error": "no such alert"}, status_code=404)
    return JSONResponse({**found.row.to_dict(), "events": found.events, "history": found.history,
                         "verdict": found.verdict, "merged": [r.alert.alert_id for r in found.merged],
                         "removed": list(found.removed)})


async def _act(console: Console, user: User, form: FormData) -> str:
    """One action from a form (single or bulk); returns what was done, or raises ``TriageError``."""
    action = str(form.get("action", ""))
    ids = _many(form, "ids")
    note = str(form.get("comment", "")).strip()
    by = user.name
    if action not in ACTIONS:
        raise TriageError(f"unknown action {action!r}; actions: {', '.join(ACTIONS)}")
    if not allowed(user.role, ACTIONS[action]):
        raise PermissionError(f"{action} needs the {ACTIONS[action]} role (you are {user.role})")
    if not ids:
        raise TriageError("select at least one alert")
    t = console.triage
    if action == "ack":
        done, missing = await t.ack(ids, by=by, note=note)
        return f"acked {len(ids) - len(missing)} alert(s)" if done else "no such alert"
    if action == "assign":
        to = str(form.get("to", "")).strip() or by
        results = [await t.assign(i, to, by=by, note=note) for i in ids]
        return f"assigned {sum(1 for x in results if x)} alert(s) to {to}"
    if action == "verdict":
        verdict = str(form.get("verdict", ""))
        labels = _many(form, "labels") or None  # none ticked: not said; "none": none of ours applies
        if labels and "none" in labels:
            labels = [x for x in labels if x != "none"]
        dup = str(form.get("duplicate_of", "")).strip() or None
        entry, missing = await t.set_verdict(ids, verdict, labels=labels, duplicate_of=dup, by=by, note=note)
        return f"verdict {entry['verdict']} on {len(ids) - len(missing)} alert(s)" if entry else "no such alert"
    if action == "merge":
        into = str(form.get("into", "")).strip() or ids[0]
        await t.merge(into, [i for i in ids if i != into], by=by, note=note)
        return f"merged {', '.join(i for i in ids if i != into)} into {into}"
    if action == "split":
        post = str(form.get("post", ""))
        await t.split(ids[0], post, by=by, note=note)
        return f"split {post} out of {ids[0]}"
    fields = _many(form, "fields")
    entry = await t.silence_like(ids[0], fields, str(form.get("duration", "") or "1d"), by=by, note=note)
    return f"silence {entry['silence']} until {entry['until']}"


@guarded("analyst")
async def act(request: Request) -> Response:
    """Single and bulk actions; a plain form post answers with a redirect back (the result in a flash), an
    htmx or API post with the result as text."""
    console: Console = request.app.state.console
    form = await request.form()
    try:
        message, status = await _act(console, request.state.user, form), 200
    except PermissionError as exc:
        message, status = str(exc), 403
    except TriageError as exc:
        message, status = str(exc), 400
    if "hx-request" in request.headers or request.headers.get("accept") == "application/json":
        return JSONResponse({"message": message}, status_code=status)
    request.session["flash"] = message
    return RedirectResponse(_back(request, form), 303)


@guarded()
async def save_filter(request: Request) -> Response:
    console: Console = request.app.state.console
    form = await request.form()
    user: User = request.state.user
    try:
        if form.get("delete"):
            await console.filters.delete(user.name, str(form.get("name", "")))
        else:
            await console.filters.save(user.name, str(form.get("name", "")), str(form.get("query", "")))
    except ValueError as exc:
        request.session["flash"] = str(exc)
    return RedirectResponse("/?" + str(form.get("query", "")) if not form.get("delete") else "/", 303)


@guarded()
async def stats(request: Request) -> Response:
    console: Console = request.app.state.console
    params = request.query_params
    try:
        flt, error = _filter(params), None
    except TriageError as exc:
        flt, error = AlertFilter(), str(exc)
    all_rows = await console.triage.rows(flt)
    counts = insights.by_governorate(all_rows)
    top = max(counts.values(), default=0)
    slots, hourly = insights.hourly_by_label(all_rows)
    peak = max((max(v) for v in hourly.values()), default=0)
    return _render(request, "stats.html", {
        "map": console.map, "counts": counts, "top": top, "total": len(all_rows), "slots": slots, "hourly": hourly,
        "peak": peak, "precision": insights.precision(all_rows, await console.triage.verdicts()),
        "filter_query": _query(params), "error": error, "unplaced": len(all_rows) - sum(counts.values())})


@guarded()
async def events(request: Request) -> Response:
    """Server-sent events: one ``alert`` event per new alert event on the stream (``data``: alert id and
    new|update), read with a blocking XREAD from the stream's end at connect time."""
    console: Console = request.app.state.console
    r, stream = console.sse_redis, console.keys.alerts

    async def feed() -> AsyncIterator[dict[str, str]]:
        newest = await r.xrevrange(stream, count=1)
        last = newest[0][0] if newest else "0-0"
        while True:
            got = await r.xread({stream: last}, block=5000, count=200)
            for _, entries in got or []:
                for entry_id, fields in entries:
                    last = entry_id
                    if fields.get(TARGET_FIELD):
                        continue
                    yield {"event": "alert", "id": entry_id,
                           "data": json.dumps({"alert_id": fields.get("alert_id"), "event": fields.get("event")})}

    return EventSourceResponse(feed(), ping=15, send_timeout=30)


def create_app(r: aioredis.Redis, keys: Keys, secret: str, *, secure_cookies: bool = False,
               sse_redis: aioredis.Redis | None = None) -> Starlette:
    """The console on ``r`` for namespace ``keys``. ``secret`` signs the session cookies (at least 32
    characters); ``secure_cookies``: send them over HTTPS only (behind a TLS proxy)."""
    if len(secret) < 32:
        raise ValueError("the session secret (MONITOR_WEB_SECRET) needs at least 32 characters")
    console = Console(r, keys, sse_redis)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        try:
            await console.cache.refresh()  # the first page need not read the whole stream
        except Exception as exc:  # Redis down at start: the pages say so, the app still starts
            log.warning("console: alerts not loaded at start: %s", exc)
        yield

    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["age"] = insights.age
    templates.env.filters["headline"] = event_headline
    templates.env.globals.update(roles=ROLES, allowed=allowed)
    app = Starlette(routes=[
        Route("/healthz", healthz),
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", queue),
        Route("/rows", rows),
        Route("/alerts/{alert_id}", detail),
        Route("/actions", act, methods=["POST"]),
        Route("/filters", save_filter, methods=["POST"]),
        Route("/stats", stats),
        Route("/events", events),
        Route("/api/alerts", api_alerts),
        Route("/api/alerts/{alert_id}", api_alert),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ], middleware=[Middleware(SessionMiddleware, secret_key=secret, session_cookie="monitor_session",
                              max_age=SESSION_HOURS * 3600, same_site="strict", https_only=secure_cookies)],
        lifespan=lifespan)
    app.state.console = console
    app.state.templates = templates
    return app
