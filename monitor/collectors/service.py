"""The collectors' lifecycle: one APScheduler job per source, backoff per source, live Telegram updates.

``start`` checks credentials (a source that cannot run is disabled with one log line saying why; the rest
run), builds the platform clients it was not handed, and schedules one interval job per enabled source with
``coalesce``, ``max_instances=1``, a generous misfire grace time and jitter; the first poll comes soon.
Resolving handles and registering live handlers happen in each source's first poll, so ``start`` never
waits on the network and never raises because of one source.

Each poll is ``prepare -> read cursor -> fetch -> commit`` (``base.commit``: intake, then cursor). A
failure never reaches the scheduler: it is counted (``monitor_collector_errors{source,kind}``), logged, and
pushes that source's next run back (capped exponential ``Backoff``; a platform-named wait -- Telegram flood
wait, X rate-limit reset -- is honoured as given, up to ``max_retry_after``). A Redis outage is just such a
failure: the cursor is untouched, the next poll retries from it.

``stop`` stops scheduling, cuts short any rate-limit wait, lets running polls finish their enqueue and
cursor write, removes live handlers and disconnects the clients it built.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import redis.asyncio as aioredis
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from redis.exceptions import RedisError

from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.collectors import telegram, x
from monitor.collectors.base import Collector, RetryAfter, SourceDisabled, Stopping, commit, enqueue
from monitor.collectors.config import SourceConfig, source_problem
from monitor.collectors.cursors import CursorStore, EntityCache
from monitor.collectors.files import FileCollector
from monitor.keys import Keys
from monitor.metrics import COLLECTOR_ERRORS
from monitor.models import Post, iso
from monitor.queue import Intake
from monitor.settings import Settings
from monitor.tasks import cancel_and_wait

log = logging.getLogger(__name__)

JOB_PREFIX = "collector:"


def _now() -> datetime:
    return datetime.now(UTC)


def error_kind(exc: BaseException) -> str:
    """The ``kind`` label of ``monitor_collector_errors``."""
    if isinstance(exc, RedisError):
        return "redis"
    if isinstance(exc, SourceDisabled):
        return "disabled"
    if isinstance(exc, RetryAfter):
        return "rate_limit"
    if isinstance(exc, OSError | ConnectionError | asyncio.TimeoutError):
        return "network"
    return "error"


@dataclass
class SourceRuntime:
    """Everything the service tracks for one source (``status()`` reports it)."""

    source: SourceConfig
    collector: Collector | None = None
    enabled: bool = True
    disabled_reason: str | None = None
    last_poll: datetime | None = None
    last_ok: datetime | None = None
    last_error: str | None = None
    backoff_until: datetime | None = None
    collected: int = 0
    polls: int = 0
    failures_in_a_row: int = 0
    backoff: Backoff = field(default_factory=Backoff)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def status(self) -> dict[str, Any]:
        def fmt(dt: datetime | None) -> str | None:
            return iso(dt) if dt else None

        return {"platform": self.source.platform, "enabled": self.enabled, "disabled_reason": self.disabled_reason,
                "last_poll": fmt(self.last_poll), "last_ok": fmt(self.last_ok), "last_error": self.last_error,
                "backoff_until": fmt(self.backoff_until), "collected": self.collected, "polls": self.polls,
                "failures_in_a_row": self.failures_in_a_row}


class CollectorService:
    """Runs every configured source until ``stop``; see the module docstring."""

    def __init__(self, r: aioredis.Redis, keys: Keys, sources: list[SourceConfig], settings: Settings, *,
                 telegram_client: Any | None = None, x_client: Any | None = None,
                 scheduler: AsyncIOScheduler | None = None, intake: Intake | None = None,
                 first_poll_delay: float = 1.0, max_jitter: float = 30.0, backoff_cap: float = 1800.0,
                 max_retry_after: float = 12 * 3600.0, max_rate_wait: float = 960.0) -> None:
        self.r = r
        self.keys = keys
        self.settings = settings
        self.intake = intake or Intake(r, keys)
        self.cursors = CursorStore(r, keys)
        self.entities = EntityCache(r, keys)
        self.first_poll_delay = first_poll_delay
        self.max_jitter = max_jitter
        self.max_retry_after = max_retry_after
        self.max_rate_wait = max_rate_wait
        self._own_scheduler = scheduler is None
        self.scheduler = scheduler or AsyncIOScheduler(timezone=UTC)
        self._telegram_client = telegram_client
        self._own_telegram = telegram_client is None
        self._telegram: telegram.TelegramConnection | None = None
        self._x_client = x_client
        self._own_x = x_client is None
        self._stop = asyncio.Event()
        self._started = False
        self._stopped = False
        self._inflight: set[asyncio.Task[Any]] = set()
        self.runtimes: dict[str, SourceRuntime] = {}
        for source in sources:
            interval = source.poll_interval
            rt = SourceRuntime(source, backoff=Backoff(base=interval, cap=max(interval, backoff_cap)))
            self.runtimes[source.id] = rt
            reason = self._cannot_run(source)
            if reason:
                rt.enabled, rt.disabled_reason = False, reason

    # --- set-up ---------------------------------------------------------------------------------------

    def _cannot_run(self, source: SourceConfig) -> str | None:
        if not source.enabled:
            return "enabled: false in the config"
        if source.platform == "telegram" and self._telegram_client is not None:
            return None  # a client handed in needs no credentials from the settings
        if source.platform == "x" and self._x_client is not None:
            return None
        return source_problem(source, self.settings)

    def _build_collectors(self) -> None:
        for rt in self.runtimes.values():
            if not rt.enabled or rt.collector is not None:
                continue
            source = rt.source
            if source.platform == "file":
                rt.collector = FileCollector(source)
            elif source.platform == "telegram":
                if self._telegram is None:
                    client = self._telegram_client or telegram.build_client(self.settings)
                    self._telegram = telegram.TelegramConnection(client, owned=self._own_telegram)
                rt.collector = telegram.TelegramCollector(source, self._telegram, self.entities,
                                                          live_sink=self._live_sink(rt))
            elif source.platform == "x":
                if self._x_client is None:
                    self._x_client = x.build_client(self.settings)
                rt.collector = x.XCollector(source, self._x_client, self.entities, sleep=self._sleep,
                                            max_rate_wait=self.max_rate_wait)

    def _live_sink(self, rt: SourceRuntime) -> Any:
        async def sink(posts: list[Post]) -> int:
            """Live posts go straight to the intake; the cursor is left to the polls (see telegram.py)."""
            if self._stop.is_set():
                return 0
            try:
                added = await enqueue(posts, rt.source, self.intake)
            except Exception as exc:  # the next reconciliation poll picks the message up
                COLLECTOR_ERRORS.labels(source=rt.source.id, kind=error_kind(exc)).inc()
                log.warning("source %s: live update not enqueued (%s: %s); the next poll will fetch it",
                            rt.source.id, type(exc).__name__, exc)
                return 0
            rt.collected += added
            return added

        return sink

    async def start(self) -> None:
        """Log each source's state, build clients, schedule the polls. Never raises for one source."""
        if self._started:
            return
        self._started, self._stopped = True, False
        self._stop.clear()
        try:
            self._build_collectors()
        except Exception as exc:  # e.g. a client that cannot be built: disable that platform, run the rest
            log.exception("collectors: building clients failed: %s", exc)
            for rt in self.runtimes.values():
                if rt.enabled and rt.collector is None:
                    rt.enabled, rt.disabled_reason = False, f"client could not be built: {exc}"
        if not self.scheduler.running:
            self.scheduler.start()
        enabled = 0
        for rt in self.runtimes.values():
            src = rt.source
            where = src.handle or str(src.path)
            if not rt.enabled:
                log.warning("source %s (%s %s): disabled: %s", src.id, src.platform, where, rt.disabled_reason)
                await self._save_state(rt)
                continue
            enabled += 1
            jitter = min(self.max_jitter, src.poll_interval * 0.1)
            first = _now() + timedelta(seconds=self.first_poll_delay + random.uniform(0, jitter))
            self.scheduler.add_job(self._scheduled_poll, IntervalTrigger(seconds=src.poll_interval, jitter=jitter),
                                   args=[src.id], id=JOB_PREFIX + src.id, name=f"poll {src.id}",
                                   next_run_time=first, coalesce=True, max_instances=1,
                                   misfire_grace_time=max(60, int(src.poll_interval)), replace_existing=True)
            log.info("source %s (%s %s): enabled, polling every %gs%s", src.id, src.platform, where,
                     src.poll_interval, " + live updates" if src.platform == "telegram" and src.live else "")
            await self._save_state(rt)
        log.info("collectors: %d of %d sources enabled", enabled, len(self.runtimes))

    # --- polling --------------------------------------------------------------------------------------

    async def _scheduled_poll(self, source_id: str) -> None:
        rt = self.runtimes[source_id]
        if rt.backoff_until is not None and _now() < rt.backoff_until - timedelta(seconds=0.05):
            return  # a direct poll() pushed this source back after the job's time was computed
        await self.poll(source_id)

    async def poll(self, source_id: str) -> int:
        """One poll of one source, now: returns the number of new posts taken in. Never raises for source
        or platform failures (they are recorded in ``status()``); raises KeyError for an unknown id."""
        rt = self.runtimes[source_id]
        if not rt.enabled or self._stopped:
            return 0
        if rt.collector is None:
            self._build_collectors()
        task = asyncio.current_task()
        if task is not None:
            self._inflight.add(task)
        try:
            async with rt.lock:
                return await self._poll_locked(rt)
        finally:
            if task is not None:
                self._inflight.discard(task)

    async def _poll_locked(self, rt: SourceRuntime) -> int:
        src = rt.source
        collector = rt.collector
        assert collector is not None
        rt.last_poll = _now()
        rt.polls += 1
        partial = 0
        try:
            await collector.prepare()
            cursor = await self.cursors.get(src.id)
            try:
                fetched = await collector.fetch(cursor)
            except RetryAfter as exc:
                if exc.partial is not None and (exc.partial.posts or exc.partial.next_cursor):
                    partial = await asyncio.shield(commit(src, exc.partial, cursor, self.intake, self.cursors))
                    rt.collected += partial
                    log.info("source %s: %d new posts before the pause, cursor %s", src.id, partial,
                             "advanced" if exc.partial.next_cursor not in (None, cursor) else "unchanged")
                raise
            added = await asyncio.shield(commit(src, fetched, cursor, self.intake, self.cursors))
        except Stopping:
            log.info("source %s: poll cut short by shutdown (cursor unchanged)", src.id)
            return 0
        except SourceDisabled as exc:
            await self._disable(rt, exc.reason)
            return 0
        except RetryAfter as exc:
            delay = min(exc.seconds, self.max_retry_after)
            capped = " (capped)" if delay < exc.seconds else ""
            self._fail(rt, exc, f"{exc.reason}; next poll in {delay:.3g}s{capped}", delay)
            return partial
        except Exception as exc:
            delay = max(src.poll_interval, rt.backoff.delay())
            self._fail(rt, exc, f"{type(exc).__name__}: {exc}; retry in {delay:.3g}s", delay)
            return 0
        else:
            if rt.failures_in_a_row:
                log.info("source %s: poll ok again after %d failed poll(s)", src.id, rt.failures_in_a_row)
            rt.failures_in_a_row = 0
            rt.collected += added
            rt.last_ok = _now()
            rt.last_error = None
            rt.backoff_until = None
            rt.backoff.reset()
            level = logging.INFO if added else logging.DEBUG
            log.log(level, "source %s: %d new posts (%d fetched, %d skipped), cursor %s", src.id, added,
                    len(fetched.posts), fetched.skipped, "advanced" if fetched.next_cursor not in (None, cursor)
                    else "unchanged")
            return added
        finally:
            await self._save_state(rt)

    def _fail(self, rt: SourceRuntime, exc: BaseException, message: str, delay: float) -> None:
        kind = error_kind(exc)
        COLLECTOR_ERRORS.labels(source=rt.source.id, kind=kind).inc()
        rt.failures_in_a_row += 1
        rt.last_error = message
        rt.backoff_until = _now() + timedelta(seconds=delay)
        log.warning("source %s: poll failed [%s]: %s", rt.source.id, kind, message)
        self._reschedule(rt)

    def _reschedule(self, rt: SourceRuntime) -> None:
        if rt.backoff_until is None or not self.scheduler.running:
            return
        with contextlib.suppress(JobLookupError):
            self.scheduler.modify_job(JOB_PREFIX + rt.source.id, next_run_time=rt.backoff_until)

    def _remove_job(self, source_id: str) -> None:
        if self.scheduler.running:
            with contextlib.suppress(JobLookupError):
                self.scheduler.remove_job(JOB_PREFIX + source_id)

    async def _disable(self, rt: SourceRuntime, reason: str) -> None:
        COLLECTOR_ERRORS.labels(source=rt.source.id, kind="disabled").inc()
        rt.enabled, rt.disabled_reason = False, reason
        log.error("source %s (%s %s): disabled: %s", rt.source.id, rt.source.platform,
                  rt.source.handle or rt.source.path, reason)
        self._remove_job(rt.source.id)
        if rt.collector is not None:
            try:
                await rt.collector.close()
            except Exception:  # pragma: no cover - closing must not mask the reason
                log.debug("source %s: close failed", rt.source.id, exc_info=True)

    async def _sleep(self, seconds: float) -> None:
        """A wait that ``stop()`` cuts short (raises Stopping), for rate-limit waits inside a poll."""
        if await sleep_unless(self._stop, seconds):
            raise Stopping()

    async def _save_state(self, rt: SourceRuntime) -> None:
        """Best effort: the source's health in Redis (``keys.source_state``) for other processes to read."""
        data = {k: ("" if v is None else str(v)) for k, v in rt.status().items()}
        try:
            await self.r.hset(self.keys.source_state(rt.source.id), mapping=data)
        except (RedisError, *REDIS_DOWN):
            pass

    # --- shutdown and health --------------------------------------------------------------------------

    async def stop(self, timeout: float = 30.0) -> None:
        """Stop new polls, cut waits short, let running polls finish enqueue + cursor write, then close."""
        self._stopped = True
        self._stop.set()
        for source_id in self.runtimes:
            self._remove_job(source_id)
        current = asyncio.current_task()
        pending = [t for t in self._inflight if t is not current and not t.done()]
        if pending:
            log.info("collectors: waiting for %d running poll(s) to finish", len(pending))
            _, late = await asyncio.wait(pending, timeout=timeout)
            if late:
                await cancel_and_wait(late, 2.0, what="poll")
        if self._own_scheduler and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        for rt in self.runtimes.values():
            if rt.collector is not None:
                try:
                    await rt.collector.close()
                except Exception:
                    log.debug("source %s: close failed", rt.source.id, exc_info=True)
        if self._telegram is not None:
            try:
                await self._telegram.close()
            except Exception as exc:
                log.warning("collectors: Telegram disconnect failed: %s", exc)
        if self._own_x and self._x_client is not None:
            session = getattr(self._x_client, "session", None)
            close = getattr(session, "close", None)
            if close is not None:
                result = close()
                if asyncio.iscoroutine(result):
                    await result
        self._started = False
        log.info("collectors: stopped")

    def problems(self, limit: int) -> list[str]:
        """Enabled sources whose last ``limit`` polls or more all failed (a health problem of the service)."""
        return [f"source {source_id}: {rt.failures_in_a_row} polls failed in a row (last: {rt.last_error})"
                for source_id, rt in self.runtimes.items() if rt.enabled and rt.failures_in_a_row >= limit]

    def status(self) -> dict[str, dict[str, Any]]:
        """Per source id: enabled, disabled_reason, last_poll, last_error, backoff_until, collected, ..."""
        return {source_id: rt.status() for source_id, rt in self.runtimes.items()}
