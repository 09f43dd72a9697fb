"""The plain interchange JSONL: ``{platform, channel, message_id, date, text}`` per line (other Post
fields optional). What ``monitor`` users write by hand or export from other tools."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from monitor.dumps.base import EMPTY_TEXT, INVALID_RECORD, Skip, convert_safely, guess_lang, iter_json_lines, opt_str
from monitor.models import PLATFORMS, Post, parse_iso, post_url

REQUIRED = ("platform", "channel", "message_id", "date", "text")
_OPTIONAL = ("url", "lang", "author", "forwarded_from", "reply_to", "channel_title")


def looks_like(obj: dict[str, Any]) -> bool:
    return all(k in obj for k in ("platform", "channel", "message_id"))


def convert(obj: dict[str, Any], where: str) -> Post | Skip:
    missing = [k for k in REQUIRED if obj.get(k) in (None, "") and k != "text"]
    if missing or "text" not in obj:
        return Skip(INVALID_RECORD, where, f"missing {', '.join(missing or ['text'])}")
    if not isinstance(obj["platform"], str) or obj["platform"] not in PLATFORMS:
        return Skip(INVALID_RECORD, where, f"platform {obj['platform']!r} not one of {PLATFORMS}")
    if not isinstance(obj["text"], str):
        return Skip(INVALID_RECORD, where, "text is not a string")
    try:
        date = parse_iso(str(obj["date"]))
    except ValueError as exc:
        return Skip(INVALID_RECORD, where, f"bad date: {exc}")
    text = obj["text"].strip()
    if not text:
        return Skip(EMPTY_TEXT, where)
    if isinstance(obj["channel"], dict | list) or isinstance(obj["message_id"], dict | list):
        return Skip(INVALID_RECORD, where, "channel or message_id is not a string or number")
    extra = {k: opt_str(obj.get(k)) for k in _OPTIONAL}
    channel, message_id = str(obj["channel"]), str(obj["message_id"])
    return Post(
        platform=obj["platform"],
        channel=channel,
        message_id=message_id,
        date=date,
        text=text,
        url=extra["url"] or post_url(obj["platform"], channel, message_id),
        lang=extra["lang"] or guess_lang(text),
        author=extra["author"],
        forwarded_from=extra["forwarded_from"],
        reply_to=extra["reply_to"],
        channel_title=extra["channel_title"],
        is_repost=obj.get("is_repost") is True,
        source_ref=where,
    )


def read(path: Path) -> Iterator[Post | Skip]:
    for line_no, obj in iter_json_lines(path):
        where = f"{path}:{line_no}"
        yield obj if isinstance(obj, Skip) else convert_safely(convert, obj, where, where=where)
