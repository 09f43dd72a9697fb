"""What every collector is, and the one step that makes collection safe: fetch -> intake -> cursor.

A collector turns "everything after this cursor" into ``Fetched(posts, next_cursor)``. It never touches
the posts stream or the cursor itself: ``commit`` does both, in that order, so a crash (or a Redis outage)
between fetching and enqueueing costs at most a re-fetch from the old cursor, never a lost post; the
intake's exactly-once guard absorbs what is fetched twice.

Collectors signal three outcomes besides success with exceptions, so the service treats them alike:
``SourceDisabled`` (this source cannot work: bad credentials, unknown channel), ``RetryAfter`` (the
platform named a wait: Telegram flood wait, X 429), ``Stopping`` (the service is shutting down during a wait).
Anything else is a transient failure: the source is backed off.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from monitor.collectors.config import SourceConfig
from monitor.collectors.cursors import CursorStore
from monitor.dumps.base import Skip
from monitor.metrics import COLLECTOR_ERRORS, POSTS_COLLECTED
from monitor.models import Post
from monitor.queue import DeadLetter, Intake, dead_letter
from monitor.repeats import RepeatedWarnings

log = logging.getLogger(__name__)

INTAKE_CHUNK = 500  # posts per intake round trip (a big catch-up is enqueued in pieces)

Sleep = Callable[[float], Awaitable[None]]
LiveSink = Callable[[list[Post]], Awaitable[int]]


@dataclass(slots=True)
class Fetched:
    """What one fetch found: posts oldest-first where the platform allows, and the cursor to store once
    they are on the stream (None: keep the stored cursor)."""

    posts: list[Post]
    next_cursor: str | None
    skipped: int = 0  # service messages, media without text, ... (not errors)
    api_errors: list[str] = field(default_factory=list)  # partial errors the platform reported
    rejected: list[Skip] = field(default_factory=list)  # malformed records: dead-lettered, never dropped silently


class SourceDisabled(Exception):
    """This source cannot work until someone acts (credentials, a private or unknown channel)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(Exception):
    """The platform asked for a pause (``seconds``). ``partial`` holds what was fetched safely before it:
    it is committed (posts enqueued, and the cursor moved only if ``partial.next_cursor`` is set)."""

    def __init__(self, seconds: float, reason: str, partial: Fetched | None = None) -> None:
        super().__init__(f"{reason}: wait {seconds:.0f}s")
        self.seconds = max(0.0, float(seconds))
        self.reason = reason
        self.partial = partial


class Stopping(Exception):
    """A wait was cut short because the service is stopping; the poll ends without touching the cursor."""


class Collector(Protocol):
    """One source on one platform.

    ``prepare`` resolves handles and starts live updates; it is called before every fetch, so it must be
    cheap once done (may raise SourceDisabled). ``fetch`` reads after ``cursor`` (None: first run, bounded
    by the source's backfill). ``close`` stops live updates."""

    source: SourceConfig

    async def prepare(self) -> None: ...

    async def fetch(self, cursor: str | None) -> Fetched: ...

    async def close(self) -> None: ...


def stamp(post: Post, source: SourceConfig) -> Post:
    """Attach what the config knows about the source: its id, its tags, its language hint."""
    post.source_id = source.id
    post.tags = list(source.tags)
    if not post.lang and source.lang:
        post.lang = source.lang
    return post


async def enqueue(posts: list[Post], source: SourceConfig, intake: Intake) -> int:
    """Stamp and take posts in (exactly once each); returns how many were new. Raises on Redis errors."""
    added = 0
    for start in range(0, len(posts), INTAKE_CHUNK):
        chunk = [stamp(p, source) for p in posts[start : start + INTAKE_CHUNK]]
        added += sum(await intake.add(chunk))
    if added:
        POSTS_COLLECTED.labels(source=source.id).inc(added)
    return added


async def commit(source: SourceConfig, fetched: Fetched, old_cursor: str | None, intake: Intake,
                 cursors: CursorStore) -> int:
    """Put fetched posts on the stream, then (only then) store the new cursor. Returns the new posts."""
    for detail in fetched.api_errors:
        COLLECTOR_ERRORS.labels(source=source.id, kind="api_error").inc()
        log.warning("source %s: the API reported an error (not fatal): %s", source.id, detail)
    added = await enqueue(fetched.posts, source, intake)
    if fetched.rejected:
        await dead_letter_rejects(source, fetched.rejected, intake)
    if fetched.next_cursor is not None and fetched.next_cursor != old_cursor:
        await cursors.set(source.id, fetched.next_cursor)
    return added


async def dead_letter_rejects(source: SourceConfig, rejected: list[Skip], intake: Intake) -> None:
    """A malformed record in a source (bad JSON, a record missing its fields) gets a log line and a
    dead-letter entry naming the file and line, so nothing disappears without a trace."""
    warnings = RepeatedWarnings(log)  # a file of junk: a few lines and a count, not one line per record
    for skip in rejected:
        warnings.warn(skip.reason, "source %s: malformed record at %s (%s: %s); dead-lettered", source.id,
                      skip.where, skip.reason, skip.detail)
    await dead_letter(intake.r, intake.keys, [DeadLetter(f"source:{source.id}", skip.where,
                                                         f"{skip.reason}: {skip.detail}", {"where": skip.where})
                                              for skip in rejected], stage="collect")
    warnings.summarise()
