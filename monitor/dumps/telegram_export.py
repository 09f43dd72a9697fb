"""Telegram Desktop "Export chat history" (``result.json``), single-chat and full-account shapes.

The file is one JSON document that can run to gigabytes, so it is streamed (``json_stream``): chat metadata
(``name``, ``type``, ``id``, which Telegram Desktop writes before ``messages``) is tracked from parse events
and each message object is built on its own, within bounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.dumps.base import (
    EMPTY_TEXT,
    INVALID_RECORD,
    INVALID_UTF8,
    SERVICE,
    UNSUPPORTED,
    DumpFormatError,
    Skip,
    convert_safely,
    guess_lang,
    opt_str,
)
from monitor.dumps.json_stream import DocumentEnded, Utf8Repair, stream_items
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
        return Skip(SERVICE, where, str(msg.get("action", ""))[:200])
    if kind == "unsupported":
        return Skip(UNSUPPORTED, where)
    if kind != "message":
        return Skip(UNSUPPORTED, where, f"message type {str(kind)[:40]!r}")
    if opt_str(msg.get("id")) is None:
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
        metrics["reactions"] = sum(r["count"] for r in reactions
                                   if isinstance(r, dict) and isinstance(r.get("count"), int))
    reply = msg.get("reply_to_message_id")
    return Post(
        platform="telegram",
        channel=channel,
        message_id=message_id,
        date=date,
        text=text,
        url=post_url("telegram", channel, message_id, numeric_channel=True),
        lang=guess_lang(text),
        author=opt_str(msg.get("author")) or opt_str(msg.get("from")),
        forwarded_from=opt_str(msg.get("forwarded_from")) or opt_str(msg.get("saved_from")),
        reply_to=opt_str(reply),
        metrics=metrics,
        edited=bool(msg.get("edited")),
        channel_title=opt_str(chat.get("name")),
        links=entity_links(msg),
        source_ref=where,
    )


def looks_like_export(head: dict[str, Any]) -> bool:
    """Shape test on the top-level keys seen so far."""
    return ("messages" in head and "type" in head) or "chats" in head


def read(path: Path) -> Iterator[Post | Skip]:
    """Stream the messages of every chat in the export, with the chat's name/type/id attached.

    A message too deep or too large is skipped; an export cut short (or broken mid-way) yields every
    complete message before the break, then one ``truncated`` (or ``invalid_json``) Skip; invalid UTF-8 is
    replaced (the messages are kept) and reported as one ``invalid_utf8`` Skip naming the count."""
    chats: dict[str, dict[str, Any]] = {p: {} for p in _CHAT_PREFIXES}
    top_keys: set[str] = set()
    last = "the first message"

    def on_event(prefix: str, event: str, value: Any) -> None:
        if prefix == "" and event == "map_key":
            top_keys.add(value)
        elif event == "start_map" and prefix in chats:
            chats[prefix] = {}  # a new chat of the list begins
        elif event in ("string", "number"):
            chat_prefix, _, key = prefix.rpartition(".")
            if key in _META_KEYS and chat_prefix in chats:
                chats[chat_prefix][key] = value

    with path.open("rb") as raw:
        fh = Utf8Repair(raw)
        try:
            for item in stream_items(fh, frozenset(_MESSAGE_PREFIXES), on_event):
                chat = chats[_MESSAGE_PREFIXES[item.prefix]]
                msg = item.value
                ident = msg.get("id", "?") if isinstance(msg, dict) else item.ident
                where = f"{path}#{chat.get('id', '?')}/{str(ident)[:40]}"
                last = where
                if item.problem is not None:
                    yield Skip(item.problem, where, "message passed over")
                elif isinstance(msg, dict):
                    yield convert_safely(convert, msg, chat, where, where=where)
                else:
                    yield Skip(INVALID_RECORD, where, "message is not an object")
        except DocumentEnded as end:
            if not looks_like_export(dict.fromkeys(top_keys)):
                raise DumpFormatError(path, ("telegram-export",), end.detail) from None
            yield Skip(end.reason, str(path), f"{end.detail} (after {last})")
        if fh.replaced:
            yield Skip(INVALID_UTF8, str(path), f"{fh.replaced} invalid UTF-8 sequence(s) replaced with U+FFFD; "
                       "the messages holding them were kept")
    if not looks_like_export(dict.fromkeys(top_keys)):
        # Valid JSON of another shape (format forced by the caller): refuse it rather than yield 0 posts.
        detail = f"no messages or chats (top-level keys {sorted(top_keys)[:8]})"
        raise DumpFormatError(path, ("telegram-export",), detail)
