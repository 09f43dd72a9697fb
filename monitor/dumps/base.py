"""Shared pieces of the dump readers: the Skip record, the format error, line-oriented JSON reading."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers import langid

FORMATS = ("telegram-export", "telethon-jsonl", "twarc2", "jsonl")

# Skip reasons, counted in the replay summary.
SERVICE = "service"
UNSUPPORTED = "unsupported"
EMPTY_TEXT = "empty_text"
API_ERROR = "api_error"
INVALID_JSON = "invalid_json"
INVALID_RECORD = "invalid_record"
INVALID_UTF8 = "invalid_utf8"
DUPLICATE = "duplicate"
# a record that is broken (not merely uninteresting): logged loudly; a live source dead-letters it
MALFORMED = frozenset({INVALID_JSON, INVALID_RECORD, INVALID_UTF8})



@dataclass(frozen=True, slots=True)
class Skip:
    """An item a reader passed over, and why (``reason`` is one of the constants above)."""

    reason: str
    where: str  # "path:line" or "path#message-id"
    detail: str = ""


class DumpFormatError(Exception):
    """A file matches none of the known dump formats (or not the one that was asked for)."""

    def __init__(self, path: Path, tried: tuple[str, ...], detail: str = "") -> None:
        self.path = path
        self.tried = tried
        msg = f"{path}: not a known dump format (tried: {', '.join(tried)})"
        super().__init__(msg + (f": {detail}" if detail else ""))


def guess_lang(text: str) -> str | None:
    """The language of a post whose source does not say (``classifiers.langid``: Arabic, English, Sorani,
    Kurmanji, Persian, Turkish); None for text too short to tell."""
    lang = langid.detect(text)
    return None if lang == "und" else lang


def decode_json_line(raw: bytes, where: str) -> dict[str, Any] | Skip:
    """One line of a JSON-lines dump as an object, or a Skip saying why it is not one."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skip(INVALID_UTF8, where, str(exc))
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        return Skip(INVALID_JSON, where, exc.msg)
    if not isinstance(obj, dict):
        return Skip(INVALID_RECORD, where, f"a JSON {type(obj).__name__}, not an object")
    return obj


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | Skip]]:
    """Yield ``(line_no, object)`` for each non-blank line, or a Skip for lines that are not a JSON object.

    Reads in binary and decodes per line, so one bad byte costs one line, not the file.
    """
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if raw.strip():
                yield line_no, decode_json_line(raw, f"{path}:{line_no}")


def first_json_objects(path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` JSON objects from the first lines of a JSONL file (for format detection)."""
    found: list[dict[str, Any]] = []
    for checked, (_, obj) in enumerate(iter_json_lines(path), start=1):
        if isinstance(obj, dict):
            found.append(obj)
        if len(found) >= limit or checked >= limit * 5:
            break
    return found
