"""Telethon ``Message.to_json()`` / ``to_dict()`` dumps, one message per line.

``to_json`` writes dates as ISO strings; ``to_dict`` dumped with ``json.dumps(default=str)`` writes
``"2026-11-20 08:15:00+00:00"``; both parse. Entity offsets and lengths count UTF-16 code units.

``convert`` is also the live collector's conversion: ``monitor.collectors.telegram`` feeds it
``Message.to_dict()`` of live Telethon messages (dates as aware datetimes), so a message gets the same
Post (and the same ``Post.key``) whether it came from a dump, a poll or a live update.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.dumps.base import (
    EMPTY_TEXT,
    INVALID_RECORD,
    SERVICE,
    UNSUPPORTED,
    Skip,
    convert_safely,
    guess_lang,
    iter_json_lines,
    opt_str,
)
from monitor.models import Post, post_url, utc

_PEER_KEYS = ("channel_id", "chat_id", "user_id")


def looks_like(obj: dict[str, Any]) -> bool:
    return obj.get("_") in ("Message", "MessageService", "MessageEmpty") or "peer_id" in obj


def peer_id(peer: Any) -> str | None:
    """``{"_": "PeerChannel", "channel_id": 123}`` -> ``"123"``."""
    if isinstance(peer, dict):
        for key in _PEER_KEYS:
            value = opt_str(peer.get(key))
            if value is not None:
                return value
    if isinstance(peer, int | str) and str(peer):
        return str(peer)
    return None


def utf16_slice(text: str, offset: int, length: int) -> str:
    """The substring at a UTF-16 ``offset``/``length`` (how Telegram counts), as a Python string."""
    encoded = text.encode("utf-16-le")
    return encoded[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def entity_links(text: str, entities: Any) -> list[str]:
    links: list[str] = []
    if not isinstance(entities, list):
        return links
    for ent in entities:
        if not isinstance(ent, dict):
            continue
        kind = ent.get("_")
        if kind == "MessageEntityTextUrl" and ent.get("url"):
            links.append(str(ent["url"]))
        elif kind == "MessageEntityUrl":
            try:
                links.append(utf16_slice(text, int(ent["offset"]), int(ent["length"])))
            except (KeyError, TypeError, ValueError):
                continue
    return links


def parse_date(value: Any) -> datetime:
    if isinstance(value, datetime):  # live ``Message.to_dict()``
        return utc(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return utc(datetime.fromtimestamp(value).astimezone())
    if not isinstance(value, str):
        raise ValueError(f"date is {type(value).__name__}")
    return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))


def convert(obj: dict[str, Any], where: str) -> Post | Skip:
    kind = obj.get("_", "Message")
    if kind == "MessageService":
        action = obj.get("action")
        return Skip(SERVICE, where, action.get("_", "") if isinstance(action, dict) else "")
    if kind != "Message":
        return Skip(UNSUPPORTED, where, str(kind))
    channel = peer_id(obj.get("peer_id"))
    if obj.get("id") is None or channel is None or isinstance(obj.get("id"), dict | list):
        return Skip(INVALID_RECORD, where, "missing id or peer_id")
    try:
        date = parse_date(obj.get("date"))
    except (ValueError, TypeError, OverflowError) as exc:
        return Skip(INVALID_RECORD, where, f"bad date: {exc}")
    text = obj.get("message") or ""
    if not isinstance(text, str):
        return Skip(INVALID_RECORD, where, "message is not a string")
    if not text.strip():
        media = obj.get("media")
        return Skip(EMPTY_TEXT, where, media.get("_", "") if isinstance(media, dict) else "")
    fwd = obj.get("fwd_from")
    forwarded_from = None
    if isinstance(fwd, dict):
        origin = peer_id(fwd.get("from_id"))
        forwarded_from = f"channel:{origin}" if origin else opt_str(fwd.get("from_name"))
    reply = obj.get("reply_to")
    reply_to = None
    if isinstance(reply, dict):
        reply_to = opt_str(reply.get("reply_to_msg_id"))
    metrics = {k: int(obj[k]) for k in ("views", "forwards") if isinstance(obj.get(k), int)}
    replies = obj.get("replies")
    if isinstance(replies, dict) and isinstance(replies.get("replies"), int):
        metrics["replies"] = replies["replies"]
    message_id = str(obj["id"])
    return Post(
        platform="telegram",
        channel=channel,
        message_id=message_id,
        date=date,
        text=text.strip(),
        url=post_url("telegram", channel, message_id, numeric_channel=True),
        lang=guess_lang(text),
        author=opt_str(obj.get("post_author")),
        forwarded_from=forwarded_from,
        reply_to=reply_to,
        metrics=metrics,
        edited=obj.get("edit_date") is not None,
        links=entity_links(text, obj.get("entities")),
        source_ref=where,
    )


def read(path: Path) -> Iterator[Post | Skip]:
    for line_no, obj in iter_json_lines(path):
        where = f"{path}:{line_no}"
        yield obj if isinstance(obj, Skip) else convert_safely(convert, obj, where, where=where)
