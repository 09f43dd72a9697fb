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

The loop is ``queue.ConsumeLoop``, the classify worker's too: Redis outages never end it (logged as "redis
unavailable", waited out with a capped backoff, then the consumer re-reads its own unacked entries);
entries a dead consumer left pending are taken over with XAUTOCLAIM after ``claim_idle_ms``; a held burst
is kept fresh so no other consumer takes it over."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import redis.asyncio as aioredis

from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.keys import Keys, sink_group
from monitor.metrics import DELIVERIES, DELIVERY_FAILURES
from monitor.models import Alert
from monitor.queue import ConsumeLoop, Consumer, DeadLetter, Entry, dead_letter
from monitor.sinks.config import DeliveryPolicy

if TYPE_CHECKING:  # routing imports the sinks' config: import only for the annotations
    from monitor.routing import Router
    from monitor.silences import SilenceStore

log = logging.getLogger(__name__)

__all__ = ["DeliveryError", "DispatchStats", "Dispatcher", "Sink", "TokenBucket"]

TARGET_FIELD = "target"  # on a re-queued alert entry: only this sink delivers it
_SINK_MEMBERS = ("name", "policy", "group_window", "max_group", "attach", "wants", "deliver", "deliver_group",
                 "close")


class DeliveryError(Exception):
    """A failed delivery. ``retry_after``: the server said when to try again (429 ``Retry-After``);
    ``permanent``: trying again cannot help (bad credentials, unknown channel, refused recipient)."""

    def __init__(self, message: str, *, retry_after: float | None = None, permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


@runtime_checkable
class Sink(Protocol):
    """What every sink is (console, Slack, email, and any a test or a bench brings): the dispatcher uses
    nothing else, and checks a sink has all of it when it is handed one.

    - ``policy``: retries, rate limit (None: no rate limit, ``DeliveryPolicy()``'s retries).
    - ``group_window``: seconds a burst is held and sent as one message through ``deliver_group`` (0: each
      alert on its own through ``deliver``); ``max_group``: at most this many alerts in one message.
    - ``attach``: called at set-up with the dispatcher's Redis and keys (state a sink keeps there: Slack's
      thread timestamps); ``wants``: whether it sends this alert event at all (story updates on a webhook:
      no); ``deliver`` / ``deliver_group``: raise (``DeliveryError`` or any error) to have it retried;
      ``close``: flush and release what it holds (a replay's final console output)."""

    name: str
    policy: DeliveryPolicy | None
    group_window: float
    max_group: int

    async def attach(self, r: aioredis.Redis, keys: Keys) -> None: ...

    def wants(self, alert: Alert) -> bool: ...

    async def deliver(self, alert: Alert) -> None: ...

    async def deliver_group(self, alerts: list[Alert]) -> None: ...

    async def close(self) -> None: ...


class LocalSink:
    """The ``Sink`` members of a sink that lives in this process (the console, a bench's or an evaluation's
    recorder): no rate limit, no grouping, no Redis state, every alert event wanted, nothing to close.
    Subclasses set ``name`` and write ``deliver``."""

    name = "local"
    policy: DeliveryPolicy | None = None
    group_window = 0.0
    max_group = 1

    async def attach(self, r: aioredis.Redis, keys: Keys) -> None:
        """Nothing kept in Redis."""

    def wants(self, alert: Alert) -> bool:
        return True

    async def deliver(self, alert: Alert) -> None:
        raise NotImplementedError

    async def deliver_group(self, alerts: list[Alert]) -> None:
        for alert in alerts:
            await self.deliver(alert)

    async def close(self) -> None:
        return None


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
    """Reads alert events for one sink and acks each after the sink took it (see the module docstring): a
    ``queue.Stage`` driven by the one ``ConsumeLoop``."""

    def __init__(self, r: aioredis.Redis, keys: Keys, sink: Sink, *, policy: DeliveryPolicy | None = None,
                 router: Router | None = None, silences: SilenceStore | None = None,
                 group_window: float | None = None, batch_size: int = 50, block_ms: int = 200,
                 claim_idle_ms: int = 60_000, delivered_ttl: int = 7 * 86400, name: str | None = None,
                 redis_backoff: Backoff | None = None) -> None:
        if not isinstance(sink, Sink):
            missing = [m for m in _SINK_MEMBERS if not hasattr(sink, m)]
            raise TypeError(f"{type(sink).__name__} is no Sink: it lacks {', '.join(missing)}")
        self.r = r
        self.keys = keys
        self.sink = sink
        self.policy: DeliveryPolicy | None = policy or sink.policy
        self.router = router
        self.silences = silences
        self.group_window = float(group_window if group_window is not None else sink.group_window)
        self.max_group = max(1, int(sink.max_group))
        self.bucket = (TokenBucket(self.policy.rate_per_minute, self.policy.rate_burst) if self.policy else None)
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.delivered_ttl = delivered_ttl
        if name is None:
            from monitor.pipeline import consumer_name  # here: the CLI's queue commands need not load the model

            name = consumer_name(f"sink-{sink.name}")
        self.consumer = Consumer(r, keys.alerts, sink_group(sink.name), name)
        self.loop = ConsumeLoop(self.consumer, self, what=f"sink {sink.name}", batch_size=batch_size,
                                claim_idle_ms=claim_idle_ms, backoff=redis_backoff, logger=log)
        self.stats = DispatchStats()
        self._held: list[_Item] = []
        self._held_since = 0.0
        self._stop = asyncio.Event()
        self.sink_failing = False  # the last try of the sink failed: retrying

    @property
    def redis_down(self) -> bool:
        """Redis unreachable: waiting to reconnect."""
        return self.loop.redis_down

    @property
    def degraded(self) -> bool:
        """For /readyz: Redis is out, or the sink is failing (its alerts wait, none are lost)."""
        return self.redis_down or self.sink_failing

    # --- the loop ------------------------------------------------------------------------------------------

    async def run(self, *, burst: bool = False, upstream_done: Callable[[], bool] = lambda: True,
                  stop: asyncio.Event | None = None) -> int:
        """Deliver until ``stop`` is set, or (burst) until upstream is done and the stream is drained.
        Returns the number of alert events delivered."""
        self._stop = stop = stop or asyncio.Event()
        self._held = []  # a restart starts from this consumer's unacked entries
        await self.loop.run(stop=stop, burst=burst, upstream_done=upstream_done)
        self.stats.reclaimed = self.loop.reclaimed
        if stop.is_set() and self._held:
            # warm stop: try the held burst once; what fails stays pending for another consumer
            held = len(self._held)
            try:
                await self._flush()
            except REDIS_DOWN as exc:
                log.warning("redis unavailable at stop (%s): up to %d held alerts stay pending", exc, held)
        return self.stats.delivered

    # --- queue.Stage ---------------------------------------------------------------------------------------

    async def setup(self) -> None:
        await self.consumer.setup()
        await self.sink.attach(self.r, self.keys)

    async def handle(self, entries: list[Entry]) -> None:
        await self._handle(entries)

    async def tick(self) -> None:
        """A held burst whose window ran out is delivered."""
        if self._held and self._window_left() <= 0:
            await self._flush()

    async def drained(self) -> None:
        await self._flush()

    def held(self) -> list[str]:
        return [item.entry_id for item in self._held]

    def read_limits(self) -> tuple[int, int]:
        """A held burst reads no more than it has room for, and blocks no longer than its window."""
        if not self._held:
            return self.batch_size, self.block_ms
        return (max(1, min(self.batch_size, self.max_group - len(self._held))),
                max(1, min(self.block_ms, int(self._window_left() * 1000))))

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
            if skip is None and not self.sink.wants(alert):
                skip = "unwanted"
            if skip is not None:
                setattr(self.stats, skip, getattr(self.stats, skip) + 1)
                log.debug("sink %s skips %s (%s): %s", self.sink.name, alert.alert_id, alert.event, skip)
                await self.consumer.ack([entry_id])
                continue
            item = _Item(entry_id, fields, alert)
            if self.group_window > 0:
                if not self._held:
                    self._held_since = time.monotonic()
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
                if len(items) == 1 and self.group_window <= 0:
                    await self.sink.deliver(items[0].alert)
                else:
                    await self.sink.deliver_group([item.alert for item in items])
            except Exception as exc:  # any sink failure is retried, never a crash of the loop
                attempts += 1
                self.stats.failures += 1
                self.sink_failing = True
                DELIVERY_FAILURES.labels(sink=self.sink.name).inc()
                retry_after = exc.retry_after if isinstance(exc, DeliveryError) else None
                permanent = isinstance(exc, DeliveryError) and exc.permanent
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
                delay = self.loop.backoff.delay()
                log.warning("redis unavailable (%s) recording a delivery: sink %s waits %.1fs", exc,
                            self.sink.name, delay)
                if await sleep_unless(self._stop, delay):
                    raise
        self.loop.backoff.reset()
        self.stats.delivered += len(items)
        self.stats.messages += 1
        DELIVERIES.labels(sink=self.sink.name).inc(len(items))

    async def _dead_letter(self, entries: list[Entry], reason: str, attempts: int) -> None:
        at = str(int(time.time()))
        await dead_letter(self.r, self.keys, [
            DeadLetter(self.keys.alerts, entry_id, reason, fields,
                       {"sink": self.sink.name, "attempts": str(attempts), "alert_id": fields.get("alert_id", ""),
                        "at": at}) for entry_id, fields in entries],
            stage=sink_group(self.sink.name), consumer=self.consumer)
        self.stats.dead += len(entries)
        self.stats.by_reason[reason[:80]] = self.stats.by_reason.get(reason[:80], 0) + len(entries)


def parse_raw(raw: str) -> dict[str, str]:
    """The original stream fields of a dead-letter entry."""
    data = json.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("raw is not an object")
    return {str(k): str(v) for k, v in data.items()}
