"""Shared test peers for the collector tests (no tests here).

- ``FakeTelegram``: a stand-in for ``TelegramClient`` over real Telethon objects: ``get_entity`` returns real
  ``Channel`` objects, ``iter_messages`` honours ``min_id`` / ``reverse`` / ``limit`` / ``offset_date`` over a
  list of real ``Message`` objects and can raise real Telethon errors (``FloodWaitError`` with a real request),
  and ``dispatch`` runs real updates through Telethon's own event builders and chat filters.
- ``XServer``: a loopback HTTP server that plays recorded X API v2 payloads and records each request; tweepy
  reaches it through its real HTTP layer (requests), redirected from ``https://api.twitter.com`` by a
  transport adapter.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import redis.asyncio as aioredis
from requests.adapters import HTTPAdapter
from telethon import utils
from telethon._updates import EntityCache as TelethonEntityCache
from telethon.client.updates import EventBuilderDict
from telethon.errors import ChannelInvalidError, FloodWaitError
from telethon.tl import functions, types

from monitor.keys import Keys
from monitor.models import Post, parse_iso
from tests.conftest import FIXTURES

TG = json.loads((FIXTURES / "telegram_live" / "channel.json").read_text(encoding="utf-8"))
X_API = FIXTURES / "x_api"


# --- Telegram ------------------------------------------------------------------------------------------

def channel_entity(spec: dict[str, Any]) -> types.Channel:
    return types.Channel(id=spec["id"], title=spec["title"], photo=types.ChatPhotoEmpty(),
                         date=parse_iso("2019-03-01T00:00:00Z"), access_hash=spec["access_hash"],
                         username=spec["username"], broadcast=True)


def _entity(spec: dict[str, Any]) -> Any:
    kind = spec["type"]
    if kind == "MessageEntityTextUrl":
        return types.MessageEntityTextUrl(offset=spec["offset"], length=spec["length"], url=spec["url"])
    if kind == "MessageEntityUrl":
        return types.MessageEntityUrl(offset=spec["offset"], length=spec["length"])
    if kind == "MessageEntityBold":
        return types.MessageEntityBold(offset=spec["offset"], length=spec["length"])
    raise ValueError(kind)


def build_message(spec: dict[str, Any], channel_id: int, *, edit_date: datetime | None = None,
                  text: str | None = None) -> Any:
    """A real Telethon Message (or MessageService) as Telegram would send it for a broadcast channel."""
    peer = types.PeerChannel(channel_id)
    date = parse_iso(spec["date"])
    if spec.get("service") == "pin":
        return types.MessageService(id=spec["id"], peer_id=peer, date=date, action=types.MessageActionPinMessage(),
                                    post=True, reply_to=types.MessageReplyHeader(reply_to_msg_id=spec["pinned"]))
    fwd = None
    if "fwd" in spec:
        f = spec["fwd"]
        fwd = types.MessageFwdHeader(date=parse_iso(f["date"]),
                                     from_id=types.PeerChannel(f["from_channel"]) if "from_channel" in f else None,
                                     from_name=f.get("from_name"), channel_post=f.get("channel_post"))
    media = types.MessageMediaPhoto(photo=types.PhotoEmpty(id=9001)) if spec.get("media") == "photo" else None
    return types.Message(
        id=spec["id"], peer_id=peer, date=date, message=spec["text"] if text is None else text, post=True,
        fwd_from=fwd, media=media,
        reply_to=types.MessageReplyHeader(reply_to_msg_id=spec["reply_to"]) if spec.get("reply_to") else None,
        entities=[_entity(e) for e in spec.get("entities", [])] or None,
        views=spec.get("views"), forwards=spec.get("forwards"), edit_date=edit_date)


def text_message(channel_id: int, msg_id: int, text: str, date: str = "2026-11-21T10:00:00Z") -> Any:
    return build_message({"id": msg_id, "date": date, "text": text}, channel_id)


def history_request(channel: dict[str, Any]) -> Any:
    """The request a real ``iter_messages`` sends (errors carry it)."""
    peer = types.InputPeerChannel(channel_id=channel["id"], access_hash=channel["access_hash"])
    return functions.messages.GetHistoryRequest(peer=peer, offset_id=0, offset_date=None, add_offset=0,
                                                limit=100, max_id=0, min_id=0, hash=0)


@dataclass
class FakeTelegram:
    """Stand-in for a connected ``TelegramClient``; see the module docstring."""

    channels: dict[str, types.Channel] = field(default_factory=dict)  # username -> entity
    history: dict[int, list[Any]] = field(default_factory=dict)  # channel id -> messages, any order
    entity_errors: dict[str, Exception] = field(default_factory=dict)
    history_errors: list[Exception] = field(default_factory=list)  # raised (once each) at iter start
    flood: tuple[int, int] | None = None  # (after N messages, seconds): one FloodWaitError mid-iteration
    gate: asyncio.Event | None = None  # iter_messages waits for it before yielding
    entered: asyncio.Event = field(default_factory=asyncio.Event)
    entity_calls: list[Any] = field(default_factory=list)
    iter_calls: list[dict[str, Any]] = field(default_factory=list)
    connected: bool = True
    _self_id: int = 777000111
    _mb_entity_cache: TelethonEntityCache = field(default_factory=TelethonEntityCache)
    _event_builders: list[tuple[Any, Callable[..., Any]]] = field(default_factory=list)

    @classmethod
    def from_fixture(cls, upto: int | None = None) -> FakeTelegram:
        ch, other = TG["channel"], TG["other_channel"]
        fake = cls(channels={ch["username"]: channel_entity(ch), other["username"]: channel_entity(other)})
        fake.history[ch["id"]] = [build_message(m, ch["id"]) for m in TG["messages"]
                                  if upto is None or m["id"] <= upto]
        fake.history[other["id"]] = [text_message(other["id"], 5, "رسالة من قناة أخرى")]
        return fake

    def add(self, message: Any) -> None:
        self.history.setdefault(message.peer_id.channel_id, []).append(message)

    def is_connected(self) -> bool:
        return self.connected

    async def disconnect(self) -> None:
        self.connected = False

    async def get_entity(self, arg: Any) -> Any:
        self.entity_calls.append(arg)
        key = str(arg)
        if key in self.entity_errors:
            raise self.entity_errors[key]
        if isinstance(arg, types.PeerChannel):
            for entity in self.channels.values():
                if entity.id == arg.channel_id:
                    return entity
            raise ValueError(f"Could not find the input entity for {arg!r}")
        if arg in self.channels:
            return self.channels[arg]
        raise ValueError(f'No user has "{arg}" as username')

    async def iter_messages(self, entity: Any, limit: int | None = None, *, min_id: int = 0, reverse: bool = False,
                            offset_date: datetime | None = None) -> AsyncIterator[Any]:
        self.iter_calls.append({"entity": entity, "limit": limit, "min_id": min_id, "reverse": reverse,
                                "offset_date": offset_date})
        self.entered.set()
        if self.gate is not None:
            await self.gate.wait()
        if self.history_errors:
            raise self.history_errors.pop(0)
        assert isinstance(entity, types.InputPeerChannel), f"expected an InputPeerChannel, got {entity!r}"
        owner = next(e for e in self.channels.values() if e.id == entity.channel_id)
        if entity.access_hash != owner.access_hash:  # what Telegram answers for a foreign access hash
            raise ChannelInvalidError(request=history_request(TG["channel"]))
        msgs = sorted(self.history.get(entity.channel_id, []), key=lambda m: m.id, reverse=not reverse)
        msgs = [m for m in msgs if m.id > min_id]
        if offset_date is not None:
            msgs = [m for m in msgs if (m.date > offset_date if reverse else m.date < offset_date)]
        if limit is not None:
            msgs = msgs[:limit]
        for n, message in enumerate(msgs):
            if self.flood is not None and n == self.flood[0]:
                seconds = self.flood[1]
                self.flood = None
                raise FloodWaitError(request=history_request(TG["channel"]), capture=seconds)
            yield message

    def add_event_handler(self, callback: Callable[..., Any], event: Any) -> None:
        self._event_builders.append((event, callback))

    def remove_event_handler(self, callback: Callable[..., Any], event: Any = None) -> int:
        before = len(self._event_builders)
        self._event_builders = [(b, c) for b, c in self._event_builders if c != callback]
        return before - len(self._event_builders)

    async def dispatch(self, update: Any) -> int:
        """Telethon's own dispatch steps: build the event, resolve the builder, filter by chat, call."""
        update._entities = {}
        built = EventBuilderDict(self, update, None)
        called = 0
        for builder, callback in list(self._event_builders):
            event = built[type(builder)]
            if not event:
                continue
            if not builder.resolved:
                await builder.resolve(self)
            if not builder.filter(event):
                continue
            await callback(event)
            called += 1
        return called

    async def new_message(self, message: Any) -> int:
        self.add(message)
        return await self.dispatch(types.UpdateNewChannelMessage(message=message, pts=message.id, pts_count=1))

    async def edit_message(self, message: Any) -> int:
        return await self.dispatch(types.UpdateEditChannelMessage(message=message, pts=message.id, pts_count=1))


def marked(channel_id: int) -> int:
    return int(utils.get_peer_id(types.PeerChannel(channel_id)))


# --- X ---------------------------------------------------------------------------------------------------

def x_payload(name: str) -> dict[str, Any]:
    return json.loads((X_API / f"{name}.json").read_text(encoding="utf-8"))


Reply = tuple[int, dict[str, str], dict[str, Any]]


@dataclass
class Recorded:
    at: float
    path: str
    query: dict[str, str]
    auth: str | None


class XServer:
    """Loopback X API v2: ``route(path, query) -> (status, headers, body)`` decides; every request is recorded."""

    def __init__(self, route: Callable[[str, dict[str, str]], Reply]) -> None:
        self.route = route
        self.requests: list[Recorded] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                outer.requests.append(Recorded(time.time(), parts.path, query, self.headers.get("Authorization")))
                status, headers, body = outer.route(parts.path, query)
                raw = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(raw)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(raw)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> XServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


class Loopback(HTTPAdapter):
    """Sends tweepy's ``https://api.twitter.com`` requests to the loopback server (real requests/urllib3)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        request.url = request.url.replace("https://api.twitter.com", self.base, 1)
        return super().send(request, *args, **kwargs)


def point_at(client: Any, server: XServer) -> Any:
    client.session.mount("https://api.twitter.com", Loopback(server.base))
    return client


# --- Redis -----------------------------------------------------------------------------------------------

async def stream_posts(r: aioredis.Redis, keys: Keys) -> list[Post]:
    entries = await r.xrange(keys.posts)
    return [Post.from_json(fields["post"]) for _, fields in entries]


async def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, step: float = 0.02) -> None:
    """Poll an async or sync predicate until true (fails the test on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(step)


def copy_fixture(name: str, dest: Path) -> Path:
    dest.write_bytes((FIXTURES / "dumps" / name).read_bytes())
    return dest
