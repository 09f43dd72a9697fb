"""``monitor replay``: stored dumps through the live pipeline in burst mode, in a namespace of its own.

Readers stream each file; their posts are merged by post date across files (``dumps.merge``: bounded
memory, a file out of order beyond the window is counted, not sorted); intake puts posts on the posts
stream (exact-duplicate guard) with backpressure; the classify worker and one dispatcher per sink run
concurrently and return once drained. Reading runs in a thread, so progress is logged and the pipeline
keeps moving while a file of junk is read. A file that cannot be read, or stops early, costs only itself
(a counted skip). The namespace is deleted at the end unless ``keep``.

A run is partial (``ReplayStats.partial``: the CLI exits 1) when a record or a file was malformed, or an
alert or a post was dead-lettered."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from classifiers.base import Classifier
from monitor.dumps import DumpFormatError, Skip, detect_format, iter_files, read_file
from monitor.dumps.base import API_ERROR, DUPLICATE, MALFORMED, UNREADABLE
from monitor.dumps.merge import Ordered
from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Post
from monitor.pipeline import ClassifyWorker
from monitor.queue import Intake, ensure_group
from monitor.repeats import RepeatedWarnings
from monitor.signatures import MatchConfig
from monitor.sinks.base import Dispatcher, Sink
from monitor.stories import StoryIndex
from monitor.tasks import cancel_and_wait

log = logging.getLogger(__name__)
_LOUD = MALFORMED | {API_ERROR}


@dataclass
class ReplayStats:
    files: int = 0
    posts_read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    classified: int = 0
    flagged: int = 0
    alerts: int = 0
    merged: int = 0
    dead: int = 0  # dead letters of the classify stage and of every sink
    delivered: dict[str, int] = field(default_factory=dict)  # alert events per sink
    out_of_order: int = 0  # posts read after a later-dated one (a file out of order beyond the merge window)
    not_alerted: Counter[str] = field(default_factory=Counter)  # flagged posts that raised no alert, by reason
    model_seconds: float = 0.0
    seconds: float = 0.0
    namespace: str = ""

    @property
    def partial(self) -> bool:
        """Something was lost on the way: a malformed record or file, or a dead letter."""
        return self.dead > 0 or any(self.skipped[reason] for reason in MALFORMED)

    def summary(self) -> dict[str, Any]:
        return {"files": self.files, "posts_read": self.posts_read, "skipped": dict(self.skipped),
                "out_of_order": self.out_of_order, "classified": self.classified, "flagged": self.flagged,
                "not_alerted": dict(self.not_alerted), "alerts": self.alerts, "merged": self.merged,
                "delivered": dict(self.delivered), "dead_lettered": self.dead,
                "model_seconds": round(self.model_seconds, 2), "seconds": round(self.seconds, 2)}


def plan_files(paths: Iterable[Path], fmt: str) -> list[tuple[Path, str]]:
    """Every file with its format, decided before anything is read: a file named on the command line that
    is no dump fails the run up front (DumpFormatError); one found in a folder is planned as ``auto`` and,
    failing detection again when read, becomes an ``unreadable`` skip while the others are read."""
    planned: list[tuple[Path, str]] = []
    for path in paths:
        for found in iter_files([path]):
            if fmt != "auto":
                planned.append((found, fmt))
                continue
            try:
                planned.append((found, detect_format(found)))
            except (DumpFormatError, OSError):
                if found == path:
                    raise
                planned.append((found, "auto"))
    return planned


async def delete_namespace(r: aioredis.Redis, keys: Keys) -> int:
    deleted = 0
    batch: list[str] = []
    async for key in r.scan_iter(match=keys.pattern, count=1000):
        batch.append(key)
        if len(batch) >= 500:
            deleted += await r.delete(*batch)
            batch.clear()
    if batch:
        deleted += await r.delete(*batch)
    return deleted


class Replay:
    def __init__(self, r: aioredis.Redis, classifier: Classifier, sinks: list[Sink], *,
                 namespace: str | None = None, batch_size: int = 64, max_backlog: int = 2048,
                 intake_chunk: int = 256, progress_every: float = 5.0,
                 match: MatchConfig | None = None) -> None:
        self.r = r
        self.classifier = classifier
        self.sinks = sinks
        self.keys = Keys(namespace or f"replay:{uuid.uuid4().hex[:10]}")
        self.batch_size = batch_size
        self.max_backlog = max_backlog
        self.intake_chunk = intake_chunk
        self.progress_every = progress_every
        self.match = match or MatchConfig.for_classifier(classifier)
        self.stats = ReplayStats(namespace=self.keys.ns)
        self.warnings = RepeatedWarnings(log)
        self._files_total = 0
        self._intake_done = False
        self._classify_done = False

    async def run(self, files: list[tuple[Path, str]], *, keep: bool = False) -> ReplayStats:
        t0 = time.perf_counter()
        await ensure_group(self.r, self.keys.posts, CLASSIFY_GROUP)
        stories = StoryIndex(self.r, self.keys, self.match)
        worker = ClassifyWorker(self.r, self.keys, self.classifier, batch_size=self.batch_size, stories=stories)
        dispatchers = [Dispatcher(self.r, self.keys, sink) for sink in self.sinks]
        for d in dispatchers:
            await d.setup()
        try:
            tasks = [asyncio.create_task(self._intake(files), name="intake"),
                     asyncio.create_task(self._classify(worker), name="classify"),
                     *[asyncio.create_task(d.run(burst=True, upstream_done=lambda: self._classify_done),
                                           name=f"sink-{d.sink.name}") for d in dispatchers],
                     asyncio.create_task(self._progress(worker), name="progress")]
            try:
                await asyncio.gather(*tasks[:-1])
            finally:
                await cancel_and_wait(tasks, 10.0, what="replay stage")
            for sink in self.sinks:
                await sink.close()
        finally:
            s = worker.stats
            self.stats.classified, self.stats.flagged = s.classified, s.flagged
            self.stats.alerts, self.stats.merged = s.alerts, s.merged
            self.stats.dead = s.dead + sum(d.stats.dead for d in dispatchers)
            self.stats.delivered = {d.sink.name: d.stats.delivered for d in dispatchers}
            self.stats.not_alerted = Counter(stories.not_alerted)
            self.stats.model_seconds = s.model_seconds
            self.warnings.summarise()
            self.stats.seconds = time.perf_counter() - t0
            if not keep:
                await delete_namespace(self.r, self.keys)
        return self.stats

    async def _classify(self, worker: ClassifyWorker) -> None:
        try:
            await worker.run(burst=True, intake_done=lambda: self._intake_done)
        finally:
            self._classify_done = True

    async def _intake(self, files: list[tuple[Path, str]]) -> None:
        intake = Intake(self.r, self.keys)
        self._files_total = len(files)
        try:
            ordered = Ordered(self._file_posts(path, fmt) for path, fmt in files)
            posts = iter(ordered)
            while True:
                chunk, done = await asyncio.to_thread(self._pull, posts)
                self.stats.out_of_order = ordered.late
                await self._enqueue(intake, chunk)
                if done:
                    break
        finally:
            self._intake_done = True

    def _pull(self, posts: Iterator[Post], max_seconds: float = 0.25) -> tuple[list[Post], bool]:
        """Up to ``intake_chunk`` posts (fewer once ``max_seconds`` passed: a file of junk yields none for a
        while); True when the files are exhausted. Runs in a thread."""
        chunk: list[Post] = []
        deadline = time.perf_counter() + max_seconds
        for post in posts:
            self.stats.posts_read += 1
            chunk.append(post)
            if len(chunk) >= self.intake_chunk or time.perf_counter() > deadline:
                return chunk, False
        return chunk, True

    def _file_posts(self, path: Path, fmt: str) -> Iterator[Post]:
        """The posts of one file; its skips are counted as they come. An error that stops the file (not a
        dump after all, unreadable) is one ``unreadable`` skip: the other files go on."""
        self.stats.files += 1
        log.info("reading %s (%s)", path, fmt)
        try:
            for item in read_file(path, fmt):
                if isinstance(item, Skip):
                    self._skip(item)
                else:
                    yield item
        except Exception as exc:  # whatever stops one file must not stop the others: counted and logged
            self._skip(Skip(UNREADABLE, str(path), f"{type(exc).__name__}: {exc}"))

    async def _enqueue(self, intake: Intake, chunk: list[Post]) -> None:
        while await intake.backlog(CLASSIFY_GROUP) > self.max_backlog:
            await asyncio.sleep(0.05)
        for post, new in zip(chunk, await intake.add(chunk), strict=True):
            if not new:
                self.stats.skipped[DUPLICATE] += 1
                log.debug("duplicate post %s (%s)", post.key, post.source_ref)

    def _skip(self, item: Skip) -> None:
        self.stats.skipped[item.reason] += 1
        if item.reason in _LOUD:
            self.warnings.warn(item.reason, "skipped %s: %s %s", item.where, item.reason, item.detail)
        else:
            log.debug("skipped %s: %s %s", item.where, item.reason, item.detail)

    async def _progress(self, worker: ClassifyWorker) -> None:
        start = time.perf_counter()
        while True:
            await asyncio.sleep(self.progress_every)
            elapsed = time.perf_counter() - start
            log.info("progress: %d files, read %d posts, skipped %d, classified %d (%.0f/s), alerts %d",
                     self._files_total, self.stats.posts_read, sum(self.stats.skipped.values()),
                     worker.stats.classified, worker.stats.classified / elapsed, worker.stats.alerts)
