"""``monitor replay``: stored dumps through the live pipeline in burst mode, in a namespace of its own.

Readers stream each file; intake puts posts on the posts stream (exact-duplicate guard) with
backpressure; the classify worker and one dispatcher per sink run concurrently and return once drained.
The namespace is deleted at the end unless ``keep``."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis

from classifiers.base import Classifier
from monitor.dumps import Skip, detect_format, iter_files, read_file
from monitor.dumps.base import API_ERROR, DUPLICATE, MALFORMED
from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Post
from monitor.pipeline import ClassifyWorker
from monitor.queue import Intake, ensure_group
from monitor.signatures import MatchConfig
from monitor.sinks.base import Dispatcher, Sink
from monitor.stories import StoryIndex

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
    dead: int = 0
    model_seconds: float = 0.0
    seconds: float = 0.0
    namespace: str = ""

    def summary(self) -> dict[str, Any]:
        return {"files": self.files, "posts_read": self.posts_read, "skipped": dict(self.skipped),
                "classified": self.classified, "flagged": self.flagged, "alerts": self.alerts,
                "merged": self.merged, "dead_lettered": self.dead, "model_seconds": round(self.model_seconds, 2),
                "seconds": round(self.seconds, 2)}


def plan_files(paths: Iterable[Path], fmt: str) -> list[tuple[Path, str]]:
    """Every file with its format, decided before anything is read (a bad file fails the run up front)."""
    return [(path, detect_format(path) if fmt == "auto" else fmt) for path in iter_files(paths)]


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
        self._intake_done = False
        self._classify_done = False

    async def run(self, files: list[tuple[Path, str]], *, keep: bool = False) -> ReplayStats:
        t0 = time.perf_counter()
        await ensure_group(self.r, self.keys.posts, CLASSIFY_GROUP)
        worker = ClassifyWorker(self.r, self.keys, self.classifier, batch_size=self.batch_size,
                                stories=StoryIndex(self.r, self.keys, self.match))
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
                for task in tasks:
                    if not task.done():
                        task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
            for sink in self.sinks:
                await sink.close()
        finally:
            s = worker.stats
            self.stats.classified, self.stats.flagged = s.classified, s.flagged
            self.stats.alerts, self.stats.merged, self.stats.dead = s.alerts, s.merged, s.dead
            self.stats.model_seconds = s.model_seconds
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
        try:
            for path, fmt in files:
                self.stats.files += 1
                log.info("reading %s (%s)", path, fmt)
                chunk: list[Post] = []
                for item in read_file(path, fmt):
                    if isinstance(item, Skip):
                        self._skip(item)
                        continue
                    self.stats.posts_read += 1
                    chunk.append(item)
                    if len(chunk) >= self.intake_chunk:
                        await self._enqueue(intake, chunk)
                        chunk = []
                await self._enqueue(intake, chunk)
        finally:
            self._intake_done = True

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
            log.warning("skipped %s: %s %s", item.where, item.reason, item.detail)
        else:
            log.debug("skipped %s: %s %s", item.where, item.reason, item.detail)

    async def _progress(self, worker: ClassifyWorker) -> None:
        start = time.perf_counter()
        while True:
            await asyncio.sleep(self.progress_every)
            elapsed = time.perf_counter() - start
            log.info("progress: read %d posts, classified %d (%.0f/s), alerts %d",
                     self.stats.posts_read, worker.stats.classified, worker.stats.classified / elapsed,
                     worker.stats.alerts)
