"""The classify stage: read posts from the posts stream through a consumer group, classify them in
batches, run the story stage, and commit alert events, story state and the ack in one transaction.

The same worker serves live (``monitor run``) and replay (burst mode: drain, then return)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import redis.asyncio as aioredis
from redis.exceptions import ResponseError, WatchError

from classifiers.base import Classifier
from classifiers.events import extract_event
from monitor import metrics
from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Alert, Classification, Post
from monitor.queue import Consumer, dead_letter_fields, entry_seconds
from monitor.stories import StoryIndex, StoryLockLost, alert_fields

log = logging.getLogger(__name__)


class ModelError(Exception):
    """The classifier failed on a batch (whatever it raised, OSError included: not a Redis outage)."""


def consumer_name(role: str) -> str:
    return f"{role}-{socket.gethostname()}-{os.getpid()}"


@dataclass
class StageStats:
    classified: int = 0
    flagged: int = 0
    alerts: int = 0  # stories raised
    merged: int = 0  # posts that joined an existing story
    dead: int = 0
    by_label: dict[str, int] = field(default_factory=dict)
    model_seconds: float = 0.0


def _event_of(post: Post, result: Classification) -> dict | None:
    """The Event of a flagged post (rules over the gazetteer and actor registry, well under 1 ms); quiet
    posts get none. An extraction bug must never cost the alert: it is logged and the post goes on."""
    if not result.labels:
        return None
    try:
        event = extract_event(post.text, result.labels, post.date)
    except Exception:  # the alert matters more than its event record
        log.exception("event extraction failed for %s", post.key)
        return None
    return event.to_dict() if event else None


class ClassifyWorker:
    def __init__(self, r: aioredis.Redis, keys: Keys, classifier: Classifier, *, batch_size: int = 64,
                 block_ms: int = 200, claim_idle_ms: int = 60_000, name: str | None = None,
                 stories: StoryIndex | None = None, max_model_failures: int = 5) -> None:
        self.r = r
        self.keys = keys
        self.classifier = classifier
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.consumer = Consumer(r, keys.posts, CLASSIFY_GROUP, name or consumer_name("classify"))
        self.stories = stories or StoryIndex(r, keys)
        self.stats = StageStats()
        self.redis_down = False  # Redis unreachable: waiting to reconnect (reported by /readyz)
        self.model_failing = False  # the model failed on the last batch: retrying it
        self.max_model_failures = max_model_failures
        self._model_failures = 0
        self._backoff = Backoff(base=0.5, cap=30.0)
        self._last_claim = 0.0

    @property
    def degraded(self) -> bool:
        """For /healthz and /readyz: Redis is out, or the model fails."""
        return self.redis_down or self.model_failing

    async def setup(self) -> None:
        await self.consumer.setup()

    async def run(self, *, burst: bool = False, intake_done: Callable[[], bool] = lambda: True,
                  stop: asyncio.Event | None = None) -> StageStats:
        """Process batches until ``stop`` is set, or (burst) until intake is done and nothing is left.

        A Redis outage does not end the loop: it waits with capped backoff, then first re-reads the
        entries this consumer holds unacked (a batch whose commit failed), then carries on. So does a
        story lock lost while held (the batch is redone at once) and a failing model (retried with
        backoff; ``max_model_failures`` failures in a row end the loop with ``ModelError``). Any other
        error ends it: a bug, for the service to report and restart. A (re)start begins with the entries
        this consumer holds unacked."""
        await self.setup()
        stop = stop or asyncio.Event()
        self._last_claim = 0.0
        recover = True
        while not stop.is_set():
            try:
                if recover:
                    await self.setup()  # the group may be gone if Redis restarted without persistence
                    entries = await self.consumer.read_own_pending(self.batch_size)
                    recover = bool(entries)
                    if entries:
                        await self.process(entries)
                        continue
                    self._recovered()
                if await self._step(burst, intake_done):
                    break
            except REDIS_DOWN as exc:
                await self._outage(exc, stop)
                recover = True
            except (WatchError, StoryLockLost) as exc:
                log.warning("story lock taken over while this worker held it (%s); batch not committed, "
                            "redone", exc or "the fence moved")
                recover = True
            except ModelError as exc:
                await self._model_failed(exc, stop)
                recover = True
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                await self._outage(exc, stop)
                recover = True
        return self.stats

    async def _step(self, burst: bool, intake_done: Callable[[], bool]) -> bool:
        """One read-and-process step; True when a burst run has drained the stream."""
        entries: list[tuple[str, dict[str, str]]] = []
        if time.monotonic() - self._last_claim > self.claim_idle_ms / 1000:
            self._last_claim = time.monotonic()
            entries = await self.consumer.claim_stale(self.claim_idle_ms, self.batch_size)
            if entries:
                log.info("reclaimed %d stale entries of a dead consumer", len(entries))
        if not entries:
            entries = await self.consumer.read(self.batch_size, self.block_ms)
        if entries:
            await self.process(entries)
            return False
        if burst and intake_done() and await self.consumer.pending() == 0:
            # intake has finished: one last non-blocking look, then the stream is drained
            entries = await self.consumer.read(self.batch_size, None)
            if not entries:
                return True
            await self.process(entries)
        return False

    async def _outage(self, exc: Exception, stop: asyncio.Event) -> None:
        delay = self._backoff.delay()
        if not self.redis_down:
            log.warning("redis unavailable (%s: %s); classify worker retrying with backoff", type(exc).__name__, exc)
        self.redis_down = True
        await sleep_unless(stop, delay)

    async def _model_failed(self, exc: ModelError, stop: asyncio.Event) -> None:
        self._model_failures += 1
        self.model_failing = True
        if self._model_failures >= self.max_model_failures:
            log.error("model failed on %d batches in a row (%s): classify worker stops", self._model_failures, exc)
            raise exc
        delay = self._backoff.delay()
        log.warning("model failed on a batch (%s), %d in a row; retrying it in %.1fs", exc, self._model_failures,
                    delay)
        await sleep_unless(stop, delay)

    def _recovered(self) -> None:
        if self.redis_down:
            log.info("redis reachable again; classify worker resumed")
        if self.model_failing and not self._model_failures:
            log.info("model working again; classify worker resumed")
            self.model_failing = False
        self.redis_down = False
        self._backoff.reset()

    async def process(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        posts: list[tuple[str, Post]] = []
        dead: list[tuple[str, dict[str, str], str]] = []
        for entry_id, fields in entries:
            try:
                posts.append((entry_id, Post.from_json(fields["post"])))
            except (KeyError, ValueError, TypeError) as exc:
                dead.append((entry_id, fields, f"malformed post entry: {exc}"))
        if dead:
            await self._dead_letter(dead)
        if not posts:
            return
        t0 = time.perf_counter()
        try:
            prediction = await asyncio.to_thread(self.classifier.predict, [p.text for _, p in posts])
        except Exception as exc:  # classified here: an OSError of the model is no Redis outage
            raise ModelError(f"{type(exc).__name__}: {exc}") from exc
        self.stats.model_seconds += time.perf_counter() - t0
        self._model_failures = 0
        for (_, post), result in zip(posts, prediction.results, strict=True):
            post.event = _event_of(post, result)
            if result.lang and result.lang != post.lang and not (post.lang or "").startswith(result.lang):
                post.lang = result.lang  # the classifier's language identification is what its labels rest on
        embeddings = prediction.embeddings
        batch = [(post, result, embeddings[i] if embeddings is not None else None)
                 for i, ((_, post), result) in enumerate(zip(posts, prediction.results, strict=True))]
        async with self.stories.lock() as lock, self.r.pipeline(transaction=True) as pipe:
            await lock.begin(pipe)  # fenced: a lock lost meanwhile makes the commit fail, not overwrite
            events: list[Alert] = []
            for (post, _, _), alert in zip(batch, await self.stories.assign_batch(batch, pipe), strict=True):
                if alert is not None:
                    events.append(alert)
                    log.debug("alert %s %s for %s", alert.event, alert.alert_id, post.key)
            for alert in events:
                pipe.xadd(self.keys.alerts, alert_fields(alert))
            pipe.xack(self.keys.posts, CLASSIFY_GROUP, *[eid for eid, _ in posts])
            await pipe.execute()
        self._count(prediction.results)
        self.stats.alerts += sum(1 for a in events if a.event == "new")
        self.stats.merged += sum(1 for a in events if a.event == "update")
        self._observe(posts, events)

    def _count(self, results: list[Classification]) -> None:
        self.stats.classified += len(results)
        for result in results:
            if result.labels:
                self.stats.flagged += 1
                for lb in result.labels:
                    self.stats.by_label[lb] = self.stats.by_label.get(lb, 0) + 1

    def _observe(self, posts: list[tuple[str, Post]], events: list[Alert]) -> None:
        now = time.time()
        metrics.POSTS_CLASSIFIED.inc(len(posts))
        for entry_id, _ in posts:
            metrics.CLASSIFY_SECONDS.observe(max(0.0, now - entry_seconds(entry_id)))
        for alert in events:
            if alert.event == "new":
                for label in alert.labels:
                    metrics.ALERTS.labels(label).inc()
            else:
                metrics.ALERT_UPDATES.inc()

    async def _dead_letter(self, dead: list[tuple[str, dict[str, str], str]]) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            for entry_id, fields, reason in dead:
                log.warning("dead-lettering %s %s: %s", self.keys.posts, entry_id, reason)
                pipe.xadd(self.keys.dead, dead_letter_fields(self.keys.posts, entry_id, reason, fields))
            pipe.xack(self.keys.posts, CLASSIFY_GROUP, *[eid for eid, _, _ in dead])
            await pipe.execute()
        self.stats.dead += len(dead)
        metrics.DEAD_LETTERED.labels("classify").inc(len(dead))

