"""Telegram Desktop "Export chat history" (``result.json``), single-chat and full-account shapes.

The file is one JSON document that can run to gigabytes, so it is streamed with ijson: chat metadata
(``name``, ``type``, ``id``, which Telegram Desktop writes before ``messages``) is tracked from parse events
and each message object is built on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import ijson

from monitor.dumps.base import (
    EMPTY_TEXT,
    INVALID_RECORD,
    SERVICE,
    UNSUPPORTED,
    DumpFormatError,
    Skip,
    guess_lang,
)
from monitor.models import Post, post_url

# Prefixes of message arrays in the two shapes.
_CHAT_PREFIXES = ("", "chats.list.item", "left_chats.list.item")
_MESSAGE_PREFIXES = {f"{p}.messages.item" if p else "messages.item": p for p in _CHAT_PREFIXES}
_META_KEYS = ("name", "type", "id")


def flatten_text(text: Any) -> str:
    """``text`` is a plain string, or a list mixing strings and entity objects ``{"type", "text"}``."""
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, list):
        parts: list[str] = []
        for part in text:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                parts.append(str(part.get("text", "")))
        return "".join(parts)
    return str(text)


def entity_links(msg: dict[str, Any]) -> list[str]:
    """URLs carried by link / text_link entities (``text_entities``, else the list form of ``text``)."""
    entities = msg.get("text_entities")
    if not isinstance(entities, list):
        entities = [p for p in msg.get("text", []) if isinstance(p, dict)] if isinstance(
            msg.get("text"), list) else []
    links: list[str] = []
    for ent in entities:
        if not isinstance(ent, dict):
            continue
        if ent.get("type") == "text_link" and ent.get("href"):
            links.append(str(ent["href"]))
        elif ent.get("type") == "link" and ent.get("text"):
            links.append(str(ent["text"]))
    return links


def message_date(msg: dict[str, Any]) -> datetime:
    """UTC time of a message: ``date_unixtime`` (a string of epoch seconds); ``date`` is local wall-clock."""
    unix = msg.get("date_unixtime")
    if unix not in (None, ""):
        return datetime.fromtimestamp(int(str(unix)), tz=UTC)
    local = msg.get("date")
    if isinstance(local, str) and local:
        # Old exports without date_unixtime: the exporting machine's local time, zone unknown. Taken as
        # UTC; the replay summary counts these so the analyst knows times may be off by the local offset.
        return datetime.fromisoformat(local).replace(tzinfo=UTC)
    raise ValueError("no date_unixtime or date")


def _post_text(msg: dict[str, Any]) -> str:
    text = flatten_text(msg.get("text")).strip()
    poll = msg.get("poll")
    if not text and isinstance(poll, dict):
        text = flatten_text(poll.get("question")).strip()  # a poll is a post whose text is its question
    return text


def convert(msg: dict[str, Any], chat: dict[str, Any], where: str) -> Post | Skip:
    """One export message to a Post, or the reason it is skipped."""
    kind = msg.get("type", "message")
    if kind == "service":
        return Skip(SERVICE, where, str(msg.get("action", "")))
    if kind == "unsupported":
        return Skip(UNSUPPORTED, where)
    if kind != "message":
        return Skip(UNSUPPORTED, where, f"message type {kind!r}")
    if "id" not in msg:
        return Skip(INVALID_RECORD, where, "message without id")
    try:
        date = message_date(msg)
    except (ValueError, TypeError, OverflowError) as exc:
        return Skip(INVALID_RECORD, where, f"bad date: {exc}")
    text = _post_text(msg)
    if not text:
        return Skip(EMPTY_TEXT, where, str(msg.get("media_type") or ("photo" if "photo" in msg else "")))
    channel = str(chat.get("id", "unknown"))
    message_id = str(msg["id"])
    reactions = msg.get("reactions")
    metrics: dict[str, int] = {}
    if isinstance(reactions, list):
        metrics["reactions"] = sum(int(r.get("count", 0)) for r in reactions if isinstance(r, dict))
    reply = msg.get("reply_to_message_id")
    return Post(
        platform="telegram",
        channel=channel,
        message_id=message_id,
        date=date,
        text=text,
        url=post_url("telegram", channel, message_id, numeric_channel=True),
        lang=guess_lang(text),
        author=msg.get("author") or msg.get("from"),
        forwarded_from=msg.get("forwarded_from") or msg.get("saved_from"),
        reply_to=str(reply) if reply is not None else None,
        metrics=metrics,
        edited=bool(msg.get("edited")),
        channel_title=chat.get("name"),
        links=entity_links(msg),
        source_ref=where,
    )


def looks_like_export(head: dict[str, Any]) -> bool:
    """Shape test on the top-level keys seen so far."""
    return ("messages" in head and "type" in head) or "chats" in head


def read(path: Path) -> Iterator[Post | Skip]:
    """Stream the messages of every chat in the export, with the chat's name/type/id attached."""
    chats: dict[str, dict[str, Any]] = {p: {} for p in _CHAT_PREFIXES}
    builder: ijson.ObjectBuilder | None = None
    building: str | None = None
    top_keys: set[str] = set()
    with path.open("rb") as fh:
        for prefix, event, value in ijson.parse(fh, use_float=True):
            if prefix == "" and event == "map_key":
                top_keys.add(value)
            if builder is not None:
                if prefix == building and event in ("end_map", "end_array"):
                    builder.event(event, value)
                    msg = builder.value
                    chat_prefix = _MESSAGE_PREFIXES[building]
                    chat = chats[chat_prefix]
                    msg_id = msg.get("id", "?") if isinstance(msg, dict) else "?"
                    where = f"{path}#{chat.get('id', '?')}/{msg_id}"
                    builder, building = None, None
                    if isinstance(msg, dict):
                        yield convert(msg, chat, where)
                    else:
                        yield Skip(INVALID_RECORD, where, "message is not an object")
                    continue
                builder.event(event, value)
                continue
            if prefix in _MESSAGE_PREFIXES and event in ("start_map", "string", "number", "null",
                                                           "boolean", "start_array"):
                if event in ("start_map", "start_array"):
                    builder = ijson.ObjectBuilder()
                    builder.event(event, value)
                    building = prefix
                else:
                    yield Skip(INVALID_RECORD, f"{path}", "message is not an object")
                continue
            for chat_prefix in _CHAT_PREFIXES:
                if chat_prefix and event == "start_map" and prefix == chat_prefix:
                    chats[chat_prefix] = {}  # a new chat of the list begins
                for key in _META_KEYS:
                    full = f"{chat_prefix}.{key}" if chat_prefix else key
                    if prefix == full and event in ("string", "number"):
                        chats[chat_prefix][key] = value
    if not looks_like_export(dict.fromkeys(top_keys)):
        # Valid JSON of another shape (format forced by the caller): refuse it rather than yield 0 posts.
        detail = f"no messages or chats (top-level keys {sorted(top_keys)[:8]})"
        raise DumpFormatError(path, ("telegram-export",), detail)
