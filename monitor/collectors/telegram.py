"""Telegram channels through a Telethon user session: scheduled ``min_id`` polls plus live updates.

Why both: live ``NewMessage`` updates arrive at once but are known to stop or skip for some channels over
long runs (and only come for channels the account has joined), while a poll with
``iter_messages(min_id=cursor, reverse=True)`` sees every message after the cursor, oldest first. Live posts
are enqueued without moving the cursor (a live message says nothing about the ones before it); the next
poll re-reads them and the intake guard drops the copies. The cursor is the newest message id that a poll
put on the stream, so it only ever advances over a contiguous run of messages.

Conversion is the Telethon dump reader's (``monitor.dumps.telethon_jsonl.convert`` on ``Message.to_dict()``),
so a message has the same ``Post.key`` from a dump, a poll or a live update.
"""

from __future__ import annotations

import logging
import re
import struct
from datetime import UTC, datetime, time
from typing import Any

from telethon import TelegramClient, errors, events, utils
from telethon.sessions import StringSession
from telethon.tl import types

from monitor.collectors.base import Fetched, LiveSink, RetryAfter, SourceDisabled
from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import EntityCache
from monitor.dumps.base import Skip
from monitor.dumps.telethon_jsonl import convert
from monitor.models import Post, post_url
from monitor.settings import Settings

log = logging.getLogger(__name__)

PLATFORM = "telegram"
ENV_VARS = ("TELEGRAM_API_ID", "TELEGRAM_API_HASH", "TELEGRAM_SESSION")
LOGIN_HINT = "run `monitor telegram-login` to create one"

# The session itself is unusable: every Telegram source fails the same way until someone logs in again.
AUTH_ERRORS = (errors.UnauthorizedError, errors.AuthKeyError)
# This one channel cannot be read by this account (private, banned, renamed away, never existed).
SOURCE_ERRORS = (errors.ChannelPrivateError, errors.UsernameNotOccupiedError, errors.UsernameInvalidError,
                 errors.ChannelPublicGroupNaError, errors.ChatAdminRequiredError)
# A cached peer no longer works (e.g. the session now belongs to another account): resolve again.
STALE_PEER_ERRORS = (errors.ChannelInvalidError, errors.PeerIdInvalidError)

_LINK = re.compile(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/(?:s/)?([A-Za-z0-9_]+)/?$", re.I)


def credential_problem(settings: Settings) -> str | None:
    """Why Telegram sources cannot run with these settings (names variables, never shows values)."""
    missing = [name for name, value in zip(ENV_VARS, (settings.telegram_api_id, settings.telegram_api_hash,
                                                      settings.telegram_session), strict=True) if not value]
    if missing:
        extra = f" ({LOGIN_HINT})" if "TELEGRAM_SESSION" in missing else ""
        return f"missing {', '.join(missing)}{extra}"
    if not str(settings.telegram_api_id).strip().isdigit():
        return "TELEGRAM_API_ID must be the integer api_id from my.telegram.org"
    try:
        StringSession(settings.telegram_session)
    except (ValueError, struct.error):
        return f"TELEGRAM_SESSION is not a valid Telethon StringSession string ({LOGIN_HINT})"
    return None


def build_client(settings: Settings) -> TelegramClient:
    """A (not yet connected) client for the user session in the settings; check ``credential_problem`` first."""
    assert settings.telegram_api_id and settings.telegram_api_hash
    return TelegramClient(StringSession(settings.telegram_session), int(settings.telegram_api_id),
                          settings.telegram_api_hash, flood_sleep_threshold=60, auto_reconnect=True)


def normalize_handle(handle: str) -> str:
    """``@name``, ``t.me/name``, ``https://t.me/s/name`` -> ``name``; numeric ids keep their digits."""
    text = handle.strip()
    m = _LINK.match(text)
    if m:
        return m.group(1)
    return text.removeprefix("@")


def _lookup_arg(handle: str) -> Any:
    """What to hand ``get_entity``: a username, or a PeerChannel for a numeric (``-100``-marked) id."""
    if handle.lstrip("-").isdigit():
        digits = handle.lstrip("-")
        if handle.startswith("-100"):
            digits = digits[3:]
        return types.PeerChannel(int(digits))
    return handle


def _entity_info(entity: Any) -> dict[str, Any]:
    if isinstance(entity, types.Channel):
        kind = "channel"
    elif isinstance(entity, types.Chat):
        kind = "chat"
    elif isinstance(entity, types.User):
        kind = "user"
    else:
        raise SourceDisabled(f"resolved to a {type(entity).__name__}, not a channel, group or user")
    title = getattr(entity, "title", None) or " ".join(
        p for p in (getattr(entity, "first_name", None), getattr(entity, "last_name", None)) if p) or None
    return {"type": kind, "id": int(entity.id), "access_hash": getattr(entity, "access_hash", None),
            "title": title, "username": getattr(entity, "username", None)}


def input_peer(info: dict[str, Any]) -> Any:
    """The InputPeer to call the API with, built from the cache (no resolution round trip)."""
    if info["type"] == "channel":
        return types.InputPeerChannel(channel_id=int(info["id"]), access_hash=int(info["access_hash"] or 0))
    if info["type"] == "chat":
        return types.InputPeerChat(chat_id=int(info["id"]))
    return types.InputPeerUser(user_id=int(info["id"]), access_hash=int(info["access_hash"] or 0))


def message_post(message: Any, where: str, info: dict[str, Any] | None = None) -> Post | Skip:
    """A Telethon Message as a Post (the dump reader's conversion), with the public link and title when the
    channel has a username."""
    item = convert(message.to_dict(), where)
    if isinstance(item, Post) and info:
        if info.get("username"):
            item.url = post_url(PLATFORM, str(info["username"]), item.message_id)
        item.channel_title = info.get("title") or item.channel_title
    return item


def edited_post(message: Any, where: str, info: dict[str, Any] | None = None) -> Post | Skip:
    """An edit as its own post: the key carries the edit time so the exactly-once guard lets each edit in
    once (the original message id stays in the link)."""
    item = message_post(message, where, info)
    edit_date = getattr(message, "edit_date", None)
    if isinstance(item, Post) and edit_date is not None:
        item.message_id = f"{item.message_id}.edit{int(edit_date.timestamp())}"
        item.edited = True
    return item


class TelegramConnection:
    """The one Telethon client all Telegram sources share; connects (and checks the login) on first use
    when the service built it from the settings. A client handed in is used as it is."""

    def __init__(self, client: Any, *, owned: bool) -> None:
        self.client = client
        self.owned = owned
        self._checked = False

    async def ensure(self) -> None:
        if not self.owned:
            return
        if not self.client.is_connected():
            await self.client.connect()
        if not self._checked:
            if not await self.client.is_user_authorized():
                raise SourceDisabled(f"TELEGRAM_SESSION is not a logged-in session (revoked or expired?); "
                                     f"{LOGIN_HINT}")
            self._checked = True

    async def close(self) -> None:
        if self.owned and self.client.is_connected():
            await self.client.disconnect()


class TelegramCollector:
    """One channel (or group) of one Telegram account."""

    def __init__(self, source: SourceConfig, conn: TelegramConnection, entities: EntityCache, *,
                 live_sink: LiveSink | None = None) -> None:
        assert source.handle
        self.source = source
        self.conn = conn
        self.entities = entities
        self.live_sink = live_sink
        self.handle = normalize_handle(source.handle)
        self.info: dict[str, Any] | None = None
        self._handlers: list[Any] = []

    @property
    def client(self) -> Any:
        return self.conn.client

    def _where(self, message_id: Any) -> str:
        return f"telegram:{self.handle}#{message_id}"

    async def prepare(self) -> None:
        """Idempotent (called before every poll): connect, resolve once, start live updates once."""
        try:
            await self.conn.ensure()
            await self._resolve()
        except AUTH_ERRORS as exc:
            raise SourceDisabled(f"Telegram rejected the session ({type(exc).__name__}); {LOGIN_HINT}") from exc
        if self.source.live and not self._handlers:
            self._start_live()

    async def _resolve(self) -> None:
        """channel id + access hash from the cache, else one ``get_entity`` call whose result is cached."""
        if self.info is not None:
            return
        cached = await self.entities.get(PLATFORM, self.handle)
        if cached and cached.get("type") in ("channel", "chat", "user") and cached.get("id") is not None:
            self.info = cached
            return
        try:
            entity = await self.client.get_entity(_lookup_arg(self.handle))
        except errors.FloodWaitError as exc:
            raise RetryAfter(exc.seconds, "Telegram flood wait while resolving the handle") from exc
        except SOURCE_ERRORS as exc:
            raise SourceDisabled(f"Telegram cannot read {self.source.handle!r}: {type(exc).__name__} "
                                 "(private, banned or no such channel)") from exc
        except ValueError as exc:  # Telethon: "No user has X as username" / unknown numeric id
            hint = (" (a numeric id only works for channels this account has joined; use the @username)"
                    if self.handle.lstrip("-").isdigit() else "")
            raise SourceDisabled(f"Telegram cannot resolve {self.source.handle!r}: {exc}{hint}") from exc
        self.info = _entity_info(entity)
        await self.entities.set(PLATFORM, self.handle, self.info)
        log.info("source %s: resolved %s to %s id %s (%s), cached", self.source.id, self.source.handle,
                 self.info["type"], self.info["id"], self.info.get("title") or "untitled")

    def _marked_id(self) -> int:
        assert self.info is not None
        return int(utils.get_peer_id(input_peer(self.info)))

    def _start_live(self) -> None:
        chats = [self._marked_id()]
        self.client.add_event_handler(self._on_new_message, events.NewMessage(chats=chats))
        self._handlers.append(self._on_new_message)
        if self.source.reclassify_edits:
            self.client.add_event_handler(self._on_edit, events.MessageEdited(chats=chats))
            self._handlers.append(self._on_edit)

    async def _on_new_message(self, event: Any) -> None:
        await self._deliver(message_post(event.message, self._where(event.message.id), self.info), "new")

    async def _on_edit(self, event: Any) -> None:
        await self._deliver(edited_post(event.message, self._where(event.message.id), self.info), "edit")

    async def _deliver(self, item: Post | Skip, kind: str) -> None:
        if isinstance(item, Skip) or self.live_sink is None:
            return
        await self.live_sink([item])
        log.debug("source %s: live %s message %s", self.source.id, kind, item.message_id)

    async def close(self) -> None:
        for handler in self._handlers:
            self.client.remove_event_handler(handler)
        self._handlers.clear()

    async def fetch(self, cursor: str | None) -> Fetched:
        assert self.info is not None, "prepare() first"
        peer = input_peer(self.info)
        try:
            if cursor is None:
                return await self._backfill(peer)
            return await self._after(peer, int(cursor))
        except AUTH_ERRORS as exc:
            raise SourceDisabled(f"Telegram rejected the session ({type(exc).__name__}); {LOGIN_HINT}") from exc
        except SOURCE_ERRORS as exc:
            raise SourceDisabled(f"Telegram cannot read {self.source.handle!r}: {type(exc).__name__}") from exc
        except STALE_PEER_ERRORS as exc:
            # the cached access hash does not work for this session: resolve afresh on the next poll
            await self.entities.drop(PLATFORM, self.handle)
            self.info = None
            await self.close()
            raise RuntimeError(f"cached peer rejected ({type(exc).__name__}); resolving again") from exc

    async def _after(self, peer: Any, min_id: int) -> Fetched:
        """Every message after ``min_id``, oldest first. On a flood wait the run so far is contiguous, so it
        is committed with its newest id as the cursor."""
        posts: list[Post] = []
        skipped = 0
        newest = min_id
        try:
            async for message in self.client.iter_messages(peer, min_id=min_id, reverse=True):
                item = message_post(message, self._where(message.id), self.info)
                if isinstance(item, Post):
                    posts.append(item)
                else:
                    skipped += 1
                newest = max(newest, int(message.id))
        except errors.FloodError as exc:
            seconds = getattr(exc, "seconds", 60)
            partial = Fetched(posts, str(newest) if newest > min_id else None, skipped)
            raise RetryAfter(seconds, "Telegram flood wait", partial) from exc
        return Fetched(posts, str(newest) if newest > min_id else None, skipped)

    async def _backfill(self, peer: Any) -> Fetched:
        """First run: the newest ``last`` messages and/or those since ``since``, read newest-first and
        returned oldest-first. The cursor becomes the newest message id even when it is not taken
        (``last: 0``), so later polls start from now."""
        backfill = self.source.backfill
        since = datetime.combine(backfill.since, time.min, tzinfo=UTC) if backfill.since else None
        limit = backfill.last if backfill.last is None or backfill.last > 0 else 1
        taken: list[Any] = []
        newest: int | None = None
        try:
            async for message in self.client.iter_messages(peer, limit=limit):
                newest = max(newest or 0, int(message.id))
                date = getattr(message, "date", None)  # MessageEmpty has none
                if backfill.last == 0 or (since is not None and date is not None and date < since):
                    break
                taken.append(message)
        except errors.FloodError as exc:  # nothing committed: a partial backfill is not contiguous
            raise RetryAfter(getattr(exc, "seconds", 60), "Telegram flood wait during backfill") from exc
        posts: list[Post] = []
        skipped = 0
        for message in reversed(taken):
            item = message_post(message, self._where(message.id), self.info)
            if isinstance(item, Post):
                posts.append(item)
            else:
                skipped += 1
        log.info("source %s: first run, backfill took %d of the newest messages (%s)", self.source.id,
                 len(posts), backfill.model_dump(exclude_none=True, mode="json"))
        return Fetched(posts, str(newest) if newest is not None else None, skipped)
