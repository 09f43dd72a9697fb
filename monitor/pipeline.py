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

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import WatchError

from classifiers.base import Classifier, Prediction
from classifiers.events import extract_event
from monitor import metrics
from monitor.backoff import Backoff, sleep_unless
from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Alert, Classification, Post
from monitor.queue import ConsumeLoop, Consumer, DeadLetter, Entry, Redo, dead_letter, entry_seconds
from monitor.stories import StoryIndex, StoryLockLost, alert_fields

log = logging.getLogger(__name__)


# Classified when a batch keeps failing: the model answering it means the posts, not the model, are the problem.
CANARY = "canary: the model answers this text when it works"


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
    """The classify stage: a ``queue.Stage`` driven by the one ``ConsumeLoop`` (outages, reclaiming, burst
    mode are the loop's; see ``run``)."""

    def __init__(self, r: aioredis.Redis, keys: Keys, classifier: Classifier, *, batch_size: int = 64,
                 block_ms: int = 200, claim_idle_ms: int = 60_000, name: str | None = None,
                 stories: StoryIndex | None = None, max_model_failures: int = 5,
                 model_backoff: Backoff | None = None, stall_seconds: float = 30.0) -> None:
        self.r = r
        self.keys = keys
        self.classifier = classifier
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.consumer = Consumer(r, keys.posts, CLASSIFY_GROUP, name or consumer_name("classify"))
        self.loop = ConsumeLoop(self.consumer, self, what="classify worker", batch_size=batch_size,
                                claim_idle_ms=claim_idle_ms, logger=log, stall_seconds=stall_seconds)
        self.stories = stories or StoryIndex(r, keys)
        self.stats = StageStats()
        self.model_failing = False  # the model failed on the batch in hand: retrying it
        self.max_model_failures = max_model_failures
        self.model_backoff = model_backoff or Backoff(base=0.5, cap=30.0)
        self._stop = asyncio.Event()

    @property
    def redis_down(self) -> bool:
        """Redis unreachable: waiting to reconnect (reported by /readyz)."""
        return self.loop.redis_down

    @property
    def degraded(self) -> bool:
        """For /healthz and /readyz: Redis is out, or the model fails."""
        return self.redis_down or self.model_failing

    async def run(self, *, burst: bool = False, intake_done: Callable[[], bool] = lambda: True,
                  stop: asyncio.Event | None = None) -> StageStats:
        """Process batches until ``stop`` is set, or (burst) until intake is done and nothing is left.

        The loop (``queue.ConsumeLoop``) waits out Redis outages and redoes a batch whose story lock was
        lost. A failing model is retried here (see ``_predict``): a broken model ends the loop with
        ``ModelError`` (for the service to report and restart), its posts left pending, never acked. Any
        other error ends it too: a bug. A (re)start begins with the entries this consumer holds unacked."""
        self._stop = stop or asyncio.Event()
        await self.loop.run(stop=self._stop, burst=burst, upstream_done=intake_done)
        return self.stats

    # --- queue.Stage ---------------------------------------------------------------------------------------
    async def setup(self) -> None:
        await self.consumer.setup()

    async def handle(self, entries: list[Entry]) -> None:
        await self.process(entries)

    async def tick(self) -> None:
        """Nothing is time-driven here."""

    async def drained(self) -> None:
        """Nothing is held back here."""

    def held(self) -> list[str]:
        return []

    def read_limits(self) -> tuple[int, int]:
        return self.batch_size, self.block_ms

    # --- the model -----------------------------------------------------------------------------------------
    async def _model(self, texts: list[str]) -> Prediction:
        try:
            return await asyncio.to_thread(self.classifier.predict, texts)
        except Exception as exc:  # classified here: an OSError of the model is no Redis outage
            raise ModelError(f"{type(exc).__name__}: {exc}") from exc

    async def _predict(self, posts: list[tuple[str, Post]], raw: dict[str, dict[str, str]]
                       ) -> tuple[Prediction, list[tuple[str, Post]]] | None:
        """The model's answers for ``posts`` and the posts they are for (None: stopping meanwhile; the
        entries stay pending).

        A failure is retried with backoff (``max_model_failures`` tries: memory, a file read). Then a canary
        text tells a broken model from posts it cannot take: the canary failing too, ``ModelError`` ends the
        worker (the role is reported dead and restarted by the service; its posts stay pending, never
        acked or dead-lettered: a broken model must not empty the stream into the dead list). The canary
        passing, each post is tried alone: the ones that still fail are dead-lettered (with their entry's
        fields from ``raw``), the others go on."""
        texts = [p.text for _, p in posts]
        for attempt in range(1, self.max_model_failures + 1):
            try:
                prediction = await self._model(texts)
            except ModelError as exc:
                self.model_failing = True
                if attempt == self.max_model_failures:
                    log.warning("model failed on %d tries of a batch of %d posts (%s); trying a canary text",
                                attempt, len(posts), exc)
                    break
                delay = self.model_backoff.delay()
                log.warning("model failed on a batch of %d posts (%s), try %d of %d; next in %.1fs", len(posts),
                            exc, attempt, self.max_model_failures, delay)
                if await sleep_unless(self._stop, delay):
                    return None
                continue
            self._model_ok()
            return prediction, posts
        try:
            await self._model([CANARY])
        except ModelError as exc:
            log.error("model failed on a canary text too (%s): the model is broken; classify worker stops, "
                      "its %d posts stay pending", exc, len(posts))
            raise
        good: list[tuple[tuple[str, Post], Prediction]] = []
        poison: list[DeadLetter] = []
        for entry_id, post in posts:
            try:
                good.append(((entry_id, post), await self._model([post.text])))
            except ModelError as exc:
                log.warning("dead-lettering %s %s: the model fails on this post (%s)", self.keys.posts, entry_id,
                            exc)
                poison.append(DeadLetter(self.keys.posts, entry_id, f"model failed on this post: {exc}",
                                         raw[entry_id]))
        if poison:
            await self._dead_letter(poison)
        self._model_ok()
        if not good:
            return None
        embeddings = [pred.embeddings for _, pred in good]
        joined = Prediction([pred.results[0] for _, pred in good],
                            None if any(e is None for e in embeddings) else np.concatenate(embeddings))
        return joined, [item for item, _ in good]

    def _model_ok(self) -> None:
        self.model_backoff.reset()
        if self.model_failing:
            log.info("model working again; classify worker resumed")
        self.model_failing = False

    async def process(self, entries: list[tuple[str, dict[str, str]]]) -> None:
        posts: list[tuple[str, Post]] = []
        dead: list[DeadLetter] = []
        for entry_id, fields in entries:
            try:
                posts.append((entry_id, Post.from_json(fields["post"])))
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("dead-lettering %s %s: malformed post entry: %s", self.keys.posts, entry_id, exc)
                dead.append(DeadLetter(self.keys.posts, entry_id, f"malformed post entry: {exc}", fields))
        if dead:
            await self._dead_letter(dead)
        if not posts:
            return
        t0 = time.perf_counter()
        predicted = await self._predict(posts, dict(entries))
        self.stats.model_seconds += time.perf_counter() - t0
        if predicted is None:
            return
        prediction, posts = predicted
        for (_, post), result in zip(posts, prediction.results, strict=True):
            post.event = _event_of(post, result)
            if result.lang and result.lang != post.lang and not (post.lang or "").startswith(result.lang):
                post.lang = result.lang  # the classifier's language identification is what its labels rest on
        embeddings = prediction.embeddings
        batch = [(post, result, embeddings[i] if embeddings is not None else None)
                 for i, ((_, post), result) in enumerate(zip(posts, prediction.results, strict=True))]
        try:
            events = await self._commit(posts, batch)
        except (WatchError, StoryLockLost) as exc:
            raise Redo(f"story lock taken over while this worker held it ({exc or 'the fence moved'}); batch "
                       "not committed") from exc
        self._count(prediction.results)
        metrics.STORIES_HELD.inc(self.stories.batch_held)  # counted once the batch committed
        metrics.STORIES_CONFIRMED.inc(self.stories.batch_confirmed)
        self.stats.alerts += sum(1 for a in events if a.event == "new")
        self.stats.merged += sum(1 for a in events if a.event == "update")
        self._observe(posts, events)

    async def _commit(self, posts: list[tuple[str, Post]],
                      batch: list[tuple[Post, Classification, np.ndarray | None]]) -> list[Alert]:
        """Story state, alert events and the ack in one transaction, fenced by the story lock."""
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
        return events

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

    async def _dead_letter(self, dead: list[DeadLetter]) -> None:
        await dead_letter(self.r, self.keys, dead, stage="classify", consumer=self.consumer)
        self.stats.dead += len(dead)

