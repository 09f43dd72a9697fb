"""Format detection per file, directory walking, and the single entry point ``read_paths``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import ijson

from monitor.dumps import plain_jsonl, telegram_export, telethon_jsonl, twarc2
from monitor.dumps.base import FORMATS, DumpFormatError, Skip, first_json_objects
from monitor.dumps.json_stream import Utf8Repair
from monitor.models import Post

DUMP_SUFFIXES = (".json", ".jsonl", ".ndjson", ".jsonlines")

Reader = Callable[[Path], Iterator[Post | Skip]]
READERS: dict[str, Reader] = {
    "telegram-export": telegram_export.read,
    "telethon-jsonl": telethon_jsonl.read,
    "twarc2": twarc2.read,
    "jsonl": plain_jsonl.read,
}
# Line formats, most specific test first.
_LINE_TESTS = (
    ("telethon-jsonl", telethon_jsonl.looks_like),
    ("twarc2", twarc2.looks_like),
    ("jsonl", plain_jsonl.looks_like),
)


def _top_level_keys(path: Path, max_events: int = 5000) -> set[str]:
    """Top-level keys of a JSON document, read from the first parse events only (no full load; the depth is
    counted rather than a prefix built, so a deeply nested value costs nothing)."""
    keys: set[str] = set()
    depth = 0
    with path.open("rb") as raw:
        try:
            for n, (event, value) in enumerate(ijson.basic_parse(Utf8Repair(raw))):
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                elif depth == 1 and event == "map_key":
                    keys.add(value)
                    if value in ("messages", "chats"):
                        break
                if n >= max_events:
                    break
        except (ijson.JSONError, ValueError, OverflowError):
            pass
    return keys


def detect_format(path: Path) -> str:
    """Name of the format of ``path`` (one of ``FORMATS``), or DumpFormatError naming what was tried."""
    if path.stat().st_size == 0:
        raise DumpFormatError(path, FORMATS, "empty file")
    objects = first_json_objects(path)
    if objects:
        if telegram_export.looks_like_export(objects[0]):
            return "telegram-export"
        votes = Counter()
        for obj in objects:
            for name, test in _LINE_TESTS:
                if test(obj):
                    votes[name] += 1
                    break
        if votes:
            return votes.most_common(1)[0][0]
    keys = _top_level_keys(path)
    if ("messages" in keys and "type" in keys) or "chats" in keys:
        return "telegram-export"
    detail = f"top-level keys {sorted(keys)[:8]}" if keys else "no JSON object found"
    raise DumpFormatError(path, FORMATS, detail)


def iter_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and the dump files (by suffix) under named directories, sorted."""
    for path in paths:
        if path.is_dir():
            yield from sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in DUMP_SUFFIXES)
        elif path.exists():
            yield path
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")


def read_file(path: Path, fmt: str = "auto") -> Iterator[Post | Skip]:
    """Posts and skips of one file; the format is detected unless given."""
    name = detect_format(path) if fmt == "auto" else fmt
    if name not in READERS:
        raise ValueError(f"unknown format {fmt!r}; expected auto or one of {', '.join(FORMATS)}")
    yield from READERS[name](path)


def read_paths(paths: Iterable[Path], fmt: str = "auto") -> Iterator[tuple[Path, Post | Skip]]:
    for path in iter_files(paths):
        for item in read_file(path, fmt):
            yield path, item
