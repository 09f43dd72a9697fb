"""A dump file or folder as a source: polled for appended posts, so the daemon runs with no credentials.

Any format the dump readers know is accepted, detected per file (or forced with ``format:``). The cursor is
JSON with one entry per file, so a restart neither re-reads big files nor misses what was appended while
the daemon was down:

- JSON-lines formats (telethon-jsonl, twarc2, jsonl): the byte offset after the last complete line read
  (plus the line number, for ``source_ref``). A last line without its newline is left for the next poll,
  unless the file has not grown since the previous poll (a writer that ended without a newline). A file
  that shrank or was replaced (new inode) is read again from the start.
- Whole-document formats (Telegram Desktop ``result.json``, rewritten on every export): size and mtime
  (unchanged: not re-read) and the highest message id per chat taken so far (re-read: only newer ids).
  A document that ends early is taken as caught mid-rewrite and read again next poll; if it has not
  changed by then, its complete messages are taken and the break is dead-lettered.

Hostile content costs only itself: a line over the size limit, nested too deep or of the wrong shape is a
malformed record (dead-lettered with file and line) and the cursor moves past it, so it is never read again;
a file that raises anyway is logged and keeps its old state while the other files are read.

Re-reading is harmless anyway (the intake drops post keys it has seen); the cursor is about cost.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any

from monitor.bounded_json import read_lines
from monitor.collectors.base import Fetched
from monitor.collectors.config import SourceConfig
from monitor.dumps import plain_jsonl, telethon_jsonl, twarc2
from monitor.dumps.base import (
    INVALID_JSON,
    MALFORMED,
    TRUNCATED,
    DumpFormatError,
    Skip,
    convert_safely,
    decode_json_line,
)
from monitor.dumps.detect import detect_format, iter_files, read_file
from monitor.models import Post

log = logging.getLogger(__name__)


def _line_items(fmt: str, obj: dict[str, Any], where: str) -> Iterator[Post | Skip]:
    if fmt == "twarc2":
        yield from twarc2.safe_line_items(obj, where)
    elif fmt == "telethon-jsonl":
        yield convert_safely(telethon_jsonl.convert, obj, where, where=where)
    else:
        yield convert_safely(plain_jsonl.convert, obj, where, where=where)


LINE_FORMATS = ("telethon-jsonl", "twarc2", "jsonl")


class FileCollector:
    """Dump files under ``source.path``; each poll reads what was added since the cursor."""

    def __init__(self, source: SourceConfig) -> None:
        assert source.path is not None
        self.source = source
        self.path = Path(source.path)

    async def prepare(self) -> None:
        if not self.path.exists():
            raise FileNotFoundError(f"{self.path}: no such file or directory (will look again)")

    async def close(self) -> None:
        return None

    async def fetch(self, cursor: str | None) -> Fetched:
        return await asyncio.to_thread(self._scan, cursor)

    def _scan(self, cursor: str | None) -> Fetched:
        files: dict[str, dict[str, Any]] = {}
        if cursor:
            try:
                files = dict(json.loads(cursor).get("files", {}))
            except (ValueError, AttributeError):
                log.warning("source %s: unreadable cursor, reading the files from the start", self.source.id)
        items: list[Post | Skip] = []
        for path in iter_files([self.path]):
            key = str(path)
            found: list[Post | Skip] = []
            try:
                files[key] = self._scan_file(path, files.get(key, {}), found)
            except Exception as exc:  # one file must not stop the others: its old state is kept
                log.warning("source %s: cannot read %s (%s: %s); trying again next poll", self.source.id, path,
                            type(exc).__name__, exc)
                continue
            items.extend(found)
        posts = [i for i in items if isinstance(i, Post)]
        rejected = [i for i in items if isinstance(i, Skip) and i.reason in MALFORMED]
        skipped = len(items) - len(posts) - len(rejected)
        if cursor is None:
            posts = self._backfill(posts)
        return Fetched(posts, json.dumps({"files": files}, ensure_ascii=False, sort_keys=True), skipped,
                       rejected=rejected)

    def _backfill(self, posts: list[Post]) -> list[Post]:
        backfill = self.source.backfill
        posts = sorted(posts, key=lambda p: p.date)
        if backfill.since is not None:
            since = datetime.combine(backfill.since, time.min, tzinfo=UTC)
            posts = [p for p in posts if p.date >= since]
        if backfill.last is not None:
            posts = posts[len(posts) - backfill.last:] if backfill.last else []
        log.info("source %s: first run, backfill took %d posts (%s)", self.source.id, len(posts),
                 backfill.model_dump(exclude_none=True, mode="json"))
        return posts

    def _scan_file(self, path: Path, prev: dict[str, Any], out: list[Post | Skip]) -> dict[str, Any]:
        stat = path.stat()
        fmt = prev.get("format")
        if fmt is None:
            if prev.get("error") and prev.get("size") == stat.st_size:
                return prev  # not a dump, unchanged since we last looked
            try:
                fmt = self.source.format if self.source.format != "auto" else detect_format(path)
            except DumpFormatError as exc:
                if stat.st_size and prev.get("error") is None:
                    log.warning("source %s: %s (skipped until it changes)", self.source.id, exc)
                return {"error": str(exc), "size": stat.st_size} if stat.st_size else {}
        if fmt in LINE_FORMATS:
            return self._read_lines(path, fmt, stat, prev, out)
        return self._read_document(path, fmt, stat, prev, out)

    def _read_lines(self, path: Path, fmt: str, stat: Any, prev: dict[str, Any],
                    out: list[Post | Skip]) -> dict[str, Any]:
        offset, line_no = int(prev.get("offset", 0)), int(prev.get("line", 0))
        if prev.get("ino") not in (None, stat.st_ino) or stat.st_size < offset:
            log.info("source %s: %s was truncated or replaced; reading it from the start", self.source.id, path)
            offset, line_no = 0, 0
        state = {"format": fmt, "ino": stat.st_ino, "offset": offset, "line": line_no, "size": stat.st_size}
        if stat.st_size == offset:
            return state
        with path.open("rb") as fh:
            fh.seek(offset)
            for line in read_lines(fh):
                if not line.complete and prev.get("tail_size") != stat.st_size:
                    state["tail_size"] = stat.st_size  # maybe still being written: take it next time
                    break
                offset += line.size
                line_no += 1
                raw = line.raw
                if raw is None or raw.strip():
                    obj = decode_json_line(raw, f"{path}:{line_no}")
                    if isinstance(obj, Skip):
                        out.append(obj)
                    else:
                        out.extend(_line_items(fmt, obj, f"{path}:{line_no}"))
        state["offset"], state["line"] = offset, line_no
        return state

    def _read_document(self, path: Path, fmt: str, stat: Any, prev: dict[str, Any],
                       out: list[Post | Skip]) -> dict[str, Any]:
        if prev.get("size") == stat.st_size and prev.get("mtime_ns") == stat.st_mtime_ns:
            return prev
        max_ids: dict[str, int] = dict(prev.get("max_ids", {}))
        found: list[Post | Skip] = []
        seen = dict(max_ids)
        ended_early = False
        try:
            for item in read_file(path, fmt):
                if isinstance(item, Post) and item.message_id.isdigit():
                    mid = int(item.message_id)
                    if mid <= max_ids.get(item.channel, 0):
                        continue
                    seen[item.channel] = max(seen.get(item.channel, 0), mid)
                ended_early = ended_early or (isinstance(item, Skip) and item.reason in (TRUNCATED, INVALID_JSON))
                found.append(item)
        except (DumpFormatError, OSError, ValueError) as exc:
            # most likely caught mid-rewrite: keep the old state, try again next poll
            log.warning("source %s: cannot read %s yet: %s", self.source.id, path, exc)
            return prev
        stamp = [stat.st_size, stat.st_mtime_ns]
        if ended_early and prev.get("ended_early") != stamp:
            # maybe caught mid-rewrite: look again next poll; the same break then is the file's own
            log.info("source %s: %s ends early; reading it again next poll", self.source.id, path)
            return {**prev, "ended_early": stamp}
        out.extend(found)
        return {"format": fmt, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "max_ids": seen}
