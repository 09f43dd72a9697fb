"""Shared pieces of the dump readers: the Skip record, the format error, line-oriented JSON reading."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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

_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z]")


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
    """Arabic or English by script, for sources that do not say; None for text with neither script."""
    arabic = len(_ARABIC.findall(text))
    latin = len(_LATIN.findall(text))
    if arabic == 0 and latin == 0:
        return None
    return "ar" if arabic >= latin else "en"


def iter_json_lines(path: Path) -> Iterator[tuple[int, dict[str, Any] | Skip]]:
    """Yield ``(line_no, object)`` for each non-blank line, or a Skip for lines that are not a JSON object.

    Reads in binary and decodes per line, so one bad byte costs one line, not the file.
    """
    with path.open("rb") as fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{line_no}"
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield line_no, Skip(INVALID_UTF8, where, str(exc))
                continue
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as exc:
                yield line_no, Skip(INVALID_JSON, where, exc.msg)
                continue
            if not isinstance(obj, dict):
                yield line_no, Skip(INVALID_RECORD, where, f"a JSON {type(obj).__name__}, not an object")
                continue
            yield line_no, obj


def first_json_objects(path: Path, limit: int = 20) -> list[dict[str, Any]]:
    """Up to ``limit`` JSON objects from the first lines of a JSONL file (for format detection)."""
    found: list[dict[str, Any]] = []
    for checked, (_, obj) in enumerate(iter_json_lines(path), start=1):
        if isinstance(obj, dict):
            found.append(obj)
        if len(found) >= limit or checked >= limit * 5:
            break
    return found
