"""The sink interface and the dispatcher loop that feeds one sink from the alerts stream.

One ``Dispatcher`` per sink, each through its own consumer group (``sink:<name>``), so a sink that is down
delays no other sink and loses nothing: an entry is acked only once it was delivered, dead-lettered,
or decided against (routed elsewhere, silenced, not wanted by the sink, already delivered).

Per entry, in order: a ``target`` field naming another sink (a ``monitor dead retry`` for that sink) ->
skip; malformed -> dead list; idempotency key ``keys.delivered(sink, entry_id)`` present -> skip (a
reclaimed entry is not delivered twice); router says no -> skip; a silence matches -> skip; the sink does
not want it (e.g. story updates on a webhook) -> skip. Otherwise it is delivered at once, or held for the
grouping window and delivered with the others of its burst as one message.

Delivery: a token bucket (``rate_per_minute``, ``rate_burst``) before every try; a failure is retried with
capped exponential backoff, or after exactly the server's ``Retry-After`` when it gave one; a permanent
failure or ``max_attempts`` failures move the entries to the dead stream (with the sink's name) and ack
them. On success the idempotency keys and the ack commit in one transaction.

Redis outages never end the loop: ``REDIS_DOWN`` errors are logged ("redis unavailable"), waited out with
a capped backoff, and the consumer then re-reads its own unacked entries. Entries a dead consumer left
pending are taken over with XAUTOCLAIM after ``claim_idle_ms``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.keys import Keys, sink_group
from monitor.metrics import DEAD_LETTERED, DELIVERIES, DELIVERY_FAILURES
from monitor.models import Alert
from monitor.queue import Consumer, Entry, dead_letter_fields
from monitor.sinks.config import DeliveryPolicy

if TYPE_CHECKING:  # routing imports the sinks' config: import only for the annotations
    from monitor.routing import Router
    from monitor.silences import SilenceStore

log = logging.getLogger(__name__)

__all__ = ["DeliveryError", "DispatchStats", "Dispatcher", "GroupSink", "Sink", "TokenBucket"]

TARGET_FIELD = "target"  # on a re-queued alert entry: only this sink delivers it


class DeliveryError(Exception):
    """A failed delivery. ``retry_after``: the server said when to try again (429 ``Retry-After``);
    ``permanent``: trying again cannot help (bad credentials, unknown channel, refused recipient)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class Sink(Protocol):
    name: str

    async def deliver(self, alert: Alert) -> None:
        """Deliver one alert event; raise (``DeliveryError`` or any error) to have it retried."""

    async def close(self) -> None: ...


@runtime_checkable
class GroupSink(Protocol):
    """A sink that can send several alerts as one message (grouping window, email digest)."""

    name: str
    max_group: int

    async def deliver_group(self, alerts: list[Alert]) -> None: ...


class TokenBucket:
    """At most ``burst`` messages at once, refilled at ``rate_per_minute``."""

    def __init__(self, rate_per_minute: float, burst: int = 1, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate_per_minute / 60.0
        self.capacity = float(max(1, burst))
        self.tokens = self.capacity
        self.clock = clock
        self.stamp = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self) -> float:
        """Seconds until one token is available (0: now)."""
        self._refill()
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def take(self) -> None:
        self._refill()
        self.tokens -= 1


@dataclass
class DispatchStats:
    delivered: int = 0  # alert events delivered
    messages: int = 0  # sends that succeeded (a group is one)
    failures: int = 0  # failed tries
    dead: int = 0
    silenced: int = 0
    unrouted: int = 0
    unwanted: int = 0  # the sink does not send this kind of event (e.g. updates on a webhook)
    duplicates: int = 0  # already delivered (idempotency key)
    other_target: int = 0  # a retry meant for another sink
    reclaimed: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class _Item:
    entry_id: str
    fields: dict[str, str]
    alert: Alert


class Dispatcher:
    """Reads alert events for one sink and acks each after the sink took it (see the module docstring)."""

    def __init__(self, r: aioredis.Redis, keys: Keys, sink: Sink, *, policy: DeliveryPolicy | None = None,
                 router: Router | None = None, silences: SilenceStore | None = None,
                 group_window: float | None = None, batch_size: int = 50, block_ms: int = 200,
                 claim_idle_ms: int = 60_000, delivered_ttl: int = 7 * 86400, name: str | None = None,
                 redis_backoff: Backoff | None = None) -> None:
        self.r = r
        self.keys = keys
        self.sink = sink
        # a sink built from the config carries its policy; a bare sink (console) gets no rate limit
        self.policy: DeliveryPolicy | None = policy or getattr(sink, "policy", None)
        self.router = router
        self.silences = silences
        window = group_window if group_window is not None else getattr(sink, "group_window", None)
        if window is None:
            window = self.policy.group_window_seconds if self.policy else 0.0
        self.group_window = float(window) if isinstance(sink, GroupSink) else 0.0
        self.max_group = max(1, int(getattr(sink, "max_group", None) or (self.policy.max_group if self.policy
                                                                           else 10)))
        self.bucket = (TokenBucket(self.policy.rate_per_minute, self.policy.rate_burst) if self.policy else None)
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.claim_idle_ms = claim_idle_ms
        self.delivered_ttl = delivered_ttl
        if name is None:
            from monitor.pipeline import consumer_name  # here: the CLI's queue commands need not load the model

            name = consumer_name(f"sink-{sink.name}")
        self.consumer = Consumer(r, keys.alerts, sink_group(sink.name), name)
        self.redis_backoff = redis_backoff or Backoff(base=0.5, cap=30.0)
        self.stats = DispatchStats()
        self._held: list[_Item] = []
        self._held_since = 0.0
        self._touched = 0.0
        self._last_claim = -1e18
        self._reread_own = True  # start with this consumer's own unacked entries (none for a fresh name)
        self._stop = asyncio.Event()
        self.redis_down = False  # Redis unreachable: waiting to reconnect
        self.sink_failing = False  # the last try of the sink failed: retrying

    @property
    def delivered(self) -> int:
        return self.stats.delivered

    @property
    def degraded(self) -> bool:
        """For /readyz: Redis is out, or the sink is failing (its alerts wait, none are lost)."""
        return self.redis_down or self.sink_failing

    async def setup(self) -> None:
        await self.consumer.setup()
        attach = getattr(self.sink, "attach", None)
        if attach is not None:
            await attach(self.r, self.keys)

    # --- the loop ------------------------------------------------------------------------------------------

    async def run(self, *, burst: bool = False, upstream_done: Callable[[], bool] = lambda: True,
                  stop: asyncio.Event | None = None) -> int:
        """Deliver until ``stop`` is set, or (burst) until upstream is done and the stream is drained.
        Returns the number of alert events delivered."""
        self._stop = stop = stop or asyncio.Event()
        ready = False
        self._held, self._reread_own = [], True  # a restart starts from this consumer's unacked entries
        while not stop.is_set():
            try:
                if not ready:
                    await self.setup()
                    ready = True
                finished = await self._step(burst, upstream_done)
                self._redis_back()
                if finished:
                    break
            except REDIS_DOWN as exc:
                self.redis_down = True
                delay = self.redis_backoff.delay()
                log.warning("redis unavailable (%s: %s): sink %s waits %.1fs", type(exc).__name__, exc,
                            self.sink.name, delay)
                self._reread_own = True
                await sleep_unless(stop, delay)
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                log.warning("consumer group of sink %s is gone (redis restarted empty?): recreating it",
                            self.sink.name)
                ready = False
        if stop.is_set() and self._held:
            # warm stop: try the held burst once; what fails stays pending for another consumer
            try:
                await self._flush()
            except REDIS_DOWN as exc:
                log.warning("redis unavailable at stop (%s): %d held alerts stay pending", exc, len(self._held))
        return self.stats.delivered

    def _redis_back(self) -> None:
        """A Redis call went through: no longer degraded by an outage (logged once)."""
        self.redis_backoff.reset()
        if self.redis_down:
            log.info("redis reachable again: sink %s resumed", self.sink.name)
        self.redis_down = False

    async def _step(self, burst: bool, upstream_done: Callable[[], bool]) -> bool:
        entries = await self._fetch()
        self._redis_back()
        if entries:
            await self._handle(entries)
            if self._held and self._window_left() <= 0:
                await self._flush()
            return False
        if self._held and self._window_left() <= 0:
            await self._flush()
            return False
        if burst and upstream_done():
            entries = await self.consumer.read(self.batch_size, None)  # one last look, without blocking
            if entries:
                await self._handle(entries)
                return False
            await self._flush()
            return True
        return False

    async def _fetch(self) -> list[Entry]:
        held = {item.entry_id for item in self._held}
        if self._reread_own:
            # entries this consumer read before an outage and never acked
            mine = await self.consumer.read_own_pending(1000)
            self._reread_own = False
            own = [(eid, f) for eid, f in mine if eid not in held]
            if own:
                return own
        now = time.monotonic()
        if self._held and now - self._touched > self.claim_idle_ms / 3000:
            # keep a long-held burst (digest) from looking abandoned to other consumers' XAUTOCLAIM
            await self.r.xclaim(self.keys.alerts, self.consumer.group, self.consumer.name, 0,
                                [item.entry_id for item in self._held], justid=True)
            self._touched = now
        if now - self._last_claim > self.claim_idle_ms / 1000:
            self._last_claim = now
            claimed = [(eid, f) for eid, f in await self.consumer.claim_stale(self.claim_idle_ms, self.batch_size)
                       if eid not in held]
            if claimed:
                self.stats.reclaimed += len(claimed)
                log.info("sink %s took over %d stale alert entries", self.sink.name, len(claimed))
                return claimed
        block = self.block_ms
        if self._held:
            block = max(1, min(block, int(self._window_left() * 1000)))
        room = self.batch_size if not self._held else max(1, min(self.batch_size, self.max_group - len(self._held)))
        return await self.consumer.read(room, block)

    def _window_left(self) -> float:
        return self._held_since + self.group_window - time.monotonic()

    # --- per entry -----------------------------------------------------------------------------------------

    async def _handle(self, entries: list[Entry]) -> None:
        for entry_id, fields in entries:
            target = fields.get(TARGET_FIELD)
            if target and target != self.sink.name:
                self.stats.other_target += 1
                await self.consumer.ack([entry_id])
                continue
            try:
                alert = Alert.from_json(fields["alert"])
            except (KeyError, ValueError, TypeError) as exc:
                log.warning("dead-lettering malformed alert %s: %s", entry_id, exc)
                await self._dead_letter([(entry_id, fields)], f"malformed alert: {exc}", attempts=0)
                continue
            if await self.r.exists(self.keys.delivered(self.sink.name, entry_id)):
                self.stats.duplicates += 1
                await self.consumer.ack([entry_id])
                continue
            skip = None if target else await self._decide(alert)
            if skip is None and not self._wants(alert):
                skip = "unwanted"
            if skip is not None:
                setattr(self.stats, skip, getattr(self.stats, skip) + 1)
                log.debug("sink %s skips %s (%s): %s", self.sink.name, alert.alert_id, alert.event, skip)
                await self.consumer.ack([entry_id])
                continue
            item = _Item(entry_id, fields, alert)
            if self.group_window > 0:
                if not self._held:
                    self._held_since = self._touched = time.monotonic()
                self._held.append(item)
                if len(self._held) >= self.max_group:
                    await self._flush()
            else:
                await self._deliver([item])

    async def _decide(self, alert: Alert) -> str | None:
        """Why this sink should not deliver ``alert`` (a DispatchStats field name), or None."""
        if self.router is not None and not self.router.accepts(self.sink.name, alert):
            return "unrouted"
        if self.silences is not None:
            silence = await self.silences.match(alert)
            if silence is not None:
                log.info("alert %s silenced by %s (%s)", alert.alert_id, silence.id, silence.comment)
                return "silenced"
        return None

    def _wants(self, alert: Alert) -> bool:
        wants = getattr(self.sink, "wants", None)
        return True if wants is None else bool(wants(alert))

    # --- delivery ------------------------------------------------------------------------------------------

    async def _flush(self) -> None:
        items, self._held = self._held, []
        for start in range(0, len(items), self.max_group):
            await self._deliver(items[start:start + self.max_group])

    async def _deliver(self, items: list[_Item]) -> bool:
        """Send ``items`` as one message, retrying; True when delivered (False: dead-lettered or stopped)."""
        policy = self.policy or DeliveryPolicy()
        backoff = Backoff(base=policy.backoff_seconds, cap=policy.backoff_max_seconds)
        attempts = 0
        while True:
            if self.bucket is not None:
                if await sleep_unless(self._stop, self.bucket.wait_time()):
                    return False
                self.bucket.take()
            try:
                if len(items) == 1 and not (self.group_window > 0 and isinstance(self.sink, GroupSink)):
                    await self.sink.deliver(items[0].alert)
                else:
                    assert isinstance(self.sink, GroupSink)
                    await self.sink.deliver_group([item.alert for item in items])
            except Exception as exc:  # any sink failure is retried, never a crash of the loop
                attempts += 1
                self.stats.failures += 1
                self.sink_failing = True
                DELIVERY_FAILURES.labels(sink=self.sink.name).inc()
                retry_after = getattr(exc, "retry_after", None)
                permanent = bool(getattr(exc, "permanent", False))
                reason = f"{type(exc).__name__}: {exc}"
                if permanent or attempts >= policy.max_attempts:
                    log.error("sink %s gives up on %d alert(s) after %d tries: %s", self.sink.name, len(items),
                              attempts, reason)
                    await self._dead_letter([(i.entry_id, i.fields) for i in items], reason, attempts)
                    return False
                delay = float(retry_after) if retry_after is not None else backoff.delay()
                log.warning("sink %s: try %d/%d of %d alert(s) failed (%s); next in %.2fs", self.sink.name,
                            attempts, policy.max_attempts, len(items), reason, delay)
                if await sleep_unless(self._stop, delay):
                    return False  # stopping: the entries stay pending, another consumer takes them over
                continue
            if attempts:
                log.info("sink %s: %d alert(s) delivered on try %d, after %d failure(s): sink working again",
                         self.sink.name, len(items), attempts + 1, attempts)
            self.sink_failing = False
            await self._commit(items)
            return True

    async def _commit(self, items: list[_Item]) -> None:
        """Idempotency keys + ack in one transaction, retried through a Redis outage (the message is out:
        forgetting that would send it again)."""
        while True:
            try:
                async with self.r.pipeline(transaction=True) as pipe:
                    for item in items:
                        pipe.set(self.keys.delivered(self.sink.name, item.entry_id), "1", ex=self.delivered_ttl)
                    pipe.xack(self.keys.alerts, self.consumer.group, *[item.entry_id for item in items])
                    await pipe.execute()
                break
            except REDIS_DOWN as exc:
                delay = self.redis_backoff.delay()
                log.warning("redis unavailable (%s) recording a delivery: sink %s waits %.1fs", exc,
                            self.sink.name, delay)
                if await sleep_unless(self._stop, delay):
                    raise
        self.redis_backoff.reset()
        self.stats.delivered += len(items)
        self.stats.messages += 1
        DELIVERIES.labels(sink=self.sink.name).inc(len(items))

    async def _dead_letter(self, entries: list[tuple[str, dict[str, str]]], reason: str, attempts: int) -> None:
        async with self.r.pipeline(transaction=True) as pipe:
            for entry_id, fields in entries:
                data: dict[str, Any] = dead_letter_fields(self.keys.alerts, entry_id, reason, fields)
                data.update({"sink": self.sink.name, "attempts": str(attempts),
                             "alert_id": fields.get("alert_id", ""), "at": str(int(time.time()))})
                pipe.xadd(self.keys.dead, data)
            pipe.xack(self.keys.alerts, self.consumer.group, *[eid for eid, _ in entries])
            await pipe.execute()
        self.stats.dead += len(entries)
        self.stats.by_reason[reason[:80]] = self.stats.by_reason.get(reason[:80], 0) + len(entries)
        DEAD_LETTERED.labels(stage=sink_group(self.sink.name)).inc(len(entries))


def parse_raw(raw: str) -> dict[str, str]:
    """The original stream fields of a dead-letter entry."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("raw is not an object")
    return {str(k): str(v) for k, v in data.items()}
