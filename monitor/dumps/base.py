"""Shared pieces of the dump readers: the Skip record, the format error, line-oriented JSON reading
within bounds (``monitor.bounded_json``), and the guard that turns a conversion's surprise into a Skip."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from classifiers import langid
from monitor.bounded_json import JSONInputError, loads, read_lines
from monitor.models import Post

FORMATS = ("telegram-export", "telethon-jsonl", "twarc2", "jsonl")

# Skip reasons, counted in the replay summary.
SERVICE = "service"
UNSUPPORTED = "unsupported"
EMPTY_TEXT = "empty_text"
API_ERROR = "api_error"
INVALID_JSON = "invalid_json"
INVALID_RECORD = "invalid_record"
INVALID_UTF8 = "invalid_utf8"
TOO_DEEP = "too_deep"  # JSON nested deeper than bounded_json.MAX_DEPTH
TOO_LARGE = "too_large"  # a line over bounded_json.MAX_LINE_BYTES, an export message over MAX_RECORD_BYTES
TRUNCATED = "truncated"  # a JSON document that ends before it closes: its complete messages are kept
UNREADABLE = "unreadable"  # a whole file: no known format (found in a folder), or an error reading it
DUPLICATE = "duplicate"
# a record that is broken (not merely uninteresting): logged loudly; a live source dead-letters it
MALFORMED = frozenset({INVALID_JSON, INVALID_RECORD, INVALID_UTF8, TOO_DEEP, TOO_LARGE, TRUNCATED, UNREADABLE})



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


def decode_json_line(raw: bytes | None, where: str) -> dict[str, Any] | Skip:
    """One line of a JSON-lines dump as an object, or a Skip saying why it is not one (``raw`` None: the
    line was over the size limit and was not kept)."""
    if raw is None:
        return Skip(TOO_LARGE, where, "line longer than the limit")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Skip(INVALID_UTF8, where, str(exc))
    try:
        obj = loads(text.removeprefix("\ufeff"))  # a BOM (some Windows tools write one)
    except JSONInputError as exc:
        return Skip(exc.reason, where, exc.detail)
    if not isinstance(obj, dict):
        return Skip(INVALID_RECORD, where, f"a JSON {type(obj).__name__}, not an object")
    return obj


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | Skip]]:
    """Yield ``(line_no, object)`` for each non-blank line, or a Skip for lines that are not a JSON object.

    Reads in binary and decodes per line, so one bad byte costs one line, not the file; a line over the size
    limit is passed over without being held in memory.
    """
    with path.open("rb") as fh:
        for line_no, line in enumerate(read_lines(fh), start=1):
            if line.raw is None or line.raw.strip():
                yield line_no, decode_json_line(line.raw, f"{path}:{line_no}")


def convert_safely(convert: Callable[..., Post | Skip], *args: Any, where: str) -> Post | Skip:
    """``convert(*args)``, with any error it raises on a record of unexpected shape (a number where a list
    was expected, a date out of range, ...) turned into an ``invalid_record`` Skip: one odd record never
    stops a file."""
    try:
        return convert(*args)
    except Exception as exc:  # the record's fault, whatever the error: counted, never raised
        return Skip(INVALID_RECORD, where, f"{type(exc).__name__}: {str(exc)[:200]}")


def opt_str(value: Any) -> str | None:
    """An optional text field of a record: strings and numbers as text; None, lists and objects as None."""
    if value is None or isinstance(value, dict | list) or value == "":
        return None
    return str(value)


def first_json_objects(path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` JSON objects from the first lines of a JSONL file (for format detection)."""
    found: list[dict[str, Any]] = []
    for checked, (_, obj) in enumerate(iter_json_lines(path), start=1):
        if isinstance(obj, dict):
            found.append(obj)
        if len(found) >= limit or checked >= limit * 5:
            break
    return found
