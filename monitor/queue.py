"""Redis Streams plumbing: consumer groups, batched reads, acks, reclaiming a dead consumer's entries,
dead-lettering, the atomic exactly-once intake of posts, and the one consume loop every stream consumer
runs (the classify worker, each sink's dispatcher).

``ConsumeLoop`` drives a ``Stage``: it starts with the entries this consumer holds unacked (a restart, a
failed commit, an outage), takes over entries a dead consumer left pending (XAUTOCLAIM every
``claim_idle_ms``), then reads new ones; the stage acks or dead-letters what it is done with. A Redis
outage never ends the loop: it is logged, waited out with a capped backoff, and the consumer re-reads its
own unacked entries. ``dead_letter`` is the one way anything reaches ``<ns>:dead``."""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from monitor.backoff import REDIS_DOWN, Backoff, sleep_unless
from monitor.keys import Keys
from monitor.metrics import DEAD_LETTERED
from monitor.models import Post
from monitor.watchdog import WATCHDOG

log = logging.getLogger(__name__)

Entry = tuple[str, dict[str, str]]

# Take a post in only if its key was never seen: SET NX on the guard key and XADD in one atomic step, so a
# crash can neither lose the post nor let a second copy in.
_INTAKE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[3], '*', 'post', ARGV[2])
end
return false
"""


def client(url: str) -> aioredis.Redis:
    return aioredis.Redis.from_url(url, decode_responses=True)


async def ensure_group(r: aioredis.Redis, stream: str, group: str, start: str = "0") -> None:
    try:
        await r.xgroup_create(stream, group, id=start, mkstream=True)
    except ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


class Intake:
    """Puts posts on the posts stream once each (the exact-duplicate guard), in pipelined batches."""

    def __init__(self, r: aioredis.Redis, keys: Keys, *, dedup_ttl: int = 30 * 86400,
                 maxlen: int = 1_000_000) -> None:
        self.r = r
        self.keys = keys
        self.ttl = dedup_ttl
        self.maxlen = maxlen
        self._script = r.register_script(_INTAKE)

    async def add(self, posts: list[Post]) -> list[bool]:
        """Enqueue; returns per post whether it was new (False: a duplicate key, not enqueued)."""
        if not posts:
            return []
        async with self.r.pipeline(transaction=False) as pipe:
            for post in posts:
                await self._script(keys=[self.keys.seen(post.key), self.keys.posts],
                                   args=[self.ttl, post.to_json(), self.maxlen], client=pipe)
            results = await pipe.execute()
        return [bool(res) for res in results]

    async def backlog(self, group: str) -> int:
        """Entries on the posts stream not yet acknowledged by ``group`` (delivered or not)."""
        try:
            groups = await self.r.xinfo_groups(self.keys.posts)
        except ResponseError:
            return 0
        for info in groups:
            if info.get("name") == group:
                lag = info.get("lag")
                if lag is not None:
                    return int(lag) + int(info.get("pending", 0))
                return await _backlog_without_lag(self.r, self.keys.posts, info)
        return int(await self.r.xlen(self.keys.posts))


async def _backlog_without_lag(r: aioredis.Redis, stream: str, info: dict[str, Any]) -> int:
    """Redis < 7 has no ``lag``: count entries after last-delivered-id (cheap enough for backpressure)."""
    last = info.get("last-delivered-id", "0-0")
    newer = await r.xrange(stream, min=f"({last}", max="+", count=100_000)
    return len(newer) + int(info.get("pending", 0))


class Consumer:
    """One consumer of one group on one stream."""

    def __init__(self, r: aioredis.Redis, stream: str, group: str, name: str) -> None:
        self.r = r
        self.stream = stream
        self.group = group
        self.name = name

    async def setup(self) -> None:
        await ensure_group(self.r, self.stream, self.group)

    async def read(self, count: int, block_ms: int | None) -> list[Entry]:
        """New entries for this consumer (``>``), at most ``count``, waiting up to ``block_ms``."""
        reply = await self.r.xreadgroup(self.group, self.name, {self.stream: ">"}, count=count,
                                        block=block_ms)
        if not reply:
            return []
        return [(eid, fields) for eid, fields in reply[0][1]]

    async def read_own_pending(self, count: int, after: str = "0") -> tuple[list[Entry], str | None]:
        """Entries delivered to this consumer and not yet acked, after id ``after`` (re-read after a failed
        commit or an outage), and the id to page on from (None: no more). An entry trimmed from the stream
        while pending has nothing left to process: it is acked, or it would stay pending for good."""
        reply = await self.r.xreadgroup(self.group, self.name, {self.stream: after}, count=count)
        mine = reply[0][1] if reply else []
        gone = [eid for eid, fields in mine if not fields]
        if gone:
            await self.ack(gone)
        return [(eid, fields) for eid, fields in mine if fields], (mine[-1][0] if mine else None)

    async def claim_stale(self, min_idle_ms: int, count: int = 100) -> list[Entry]:
        """Take over entries another consumer read but never acked (it died), idle for ``min_idle_ms``."""
        reply = await self.r.xautoclaim(self.stream, self.group, self.name, min_idle_ms, "0-0", count=count)
        entries = reply[1] if reply else []
        return [(eid, fields) for eid, fields in entries if fields is not None]

    async def pending(self) -> int:
        info = await self.r.xpending(self.stream, self.group)
        return int(info.get("pending", 0)) if info else 0

    async def ack(self, ids: list[str]) -> None:
        if ids:
            await self.r.xack(self.stream, self.group, *ids)


async def revrange(r: aioredis.Redis, stream: str, page: int = 500) -> AsyncIterator[Entry]:
    """Every entry of ``stream``, newest first, read in pages."""
    top = "+"
    while True:
        batch = await r.xrevrange(stream, max=top, min="-", count=page)
        for entry in batch:
            yield entry
        if len(batch) < page:
            return
        top = f"({batch[-1][0]}"  # exclusive: older than the last one read


def entry_seconds(entry_id: str) -> float:
    """The time (epoch seconds) a stream entry was added, from its auto-generated id ``<ms>-<seq>``."""
    return int(entry_id.split("-", 1)[0]) / 1000


# --- dead letters --------------------------------------------------------------------------------------------

DEAD_CHUNK = 500  # dead letters per transaction (a file of junk is moved in pieces)


@dataclass(slots=True)
class DeadLetter:
    """One thing given up on: where it came from (a stream, or ``source:<id>``), its id there (an entry id,
    or ``file:line``), why, its original fields (``raw``), and what the stage adds (``extra``: a sink's
    name, its tries, the alert id)."""

    stream: str
    id: str
    reason: str
    raw: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)

    def fields(self) -> dict[str, str]:
        return {"stream": self.stream, "id": self.id, "reason": self.reason,
                "raw": json.dumps(self.raw, ensure_ascii=False), **self.extra}


async def dead_letter(r: aioredis.Redis, keys: Keys, letters: list[DeadLetter], *, stage: str,
                      consumer: Consumer | None = None) -> None:
    """Add ``letters`` to ``<ns>:dead``; with ``consumer``, their entries are acked in the same transaction
    (a crash can neither lose one nor leave it both dead and pending). Counted per ``stage`` in
    ``monitor_dead_lettered``; logging is the caller's (it knows what it gave up on)."""
    for start in range(0, len(letters), DEAD_CHUNK):
        chunk = letters[start:start + DEAD_CHUNK]
        async with r.pipeline(transaction=True) as pipe:
            for letter in chunk:
                pipe.xadd(keys.dead, letter.fields())
            if consumer is not None:
                pipe.xack(consumer.stream, consumer.group, *[letter.id for letter in chunk])
            await pipe.execute()
        DEAD_LETTERED.labels(stage).inc(len(chunk))


# --- the consume loop -----------------------------------------------------------------------------------------

class Redo(Exception):
    """A stage could not commit what it read (e.g. a lock lost meanwhile): nothing was acked, and the loop
    re-reads this consumer's unacked entries at once (a lost claim makes them someone else's)."""


class Stage(Protocol):
    """What ``ConsumeLoop`` drives.

    ``setup`` runs at the start and after an outage or a lost group (it creates the group: Redis may have
    restarted empty). ``handle`` gets each batch read and acks or dead-letters what it is done with; what it
    keeps unacked on purpose (a grouping window) it lists in ``held`` (the loop keeps those fresh, so no
    other consumer's XAUTOCLAIM takes them, and never hands them back). ``tick`` runs after every read
    (time-driven work: a window that ran out), ``drained`` once a burst run has nothing left (flush what is
    held). ``read_limits``: how many new entries to read and how long to block (ms)."""

    async def setup(self) -> None: ...

    async def handle(self, entries: list[Entry]) -> None: ...

    async def tick(self) -> None: ...

    async def drained(self) -> None: ...

    def held(self) -> list[str]: ...

    def read_limits(self) -> tuple[int, int]: ...


class ConsumeLoop:
    """One consumer's loop over its stream (see the module docstring). ``what`` names it in log lines
    ("classify worker", "sink slack"), written to the stage's ``logger``; ``redis_down`` is true from a
    failed Redis call until the next read that succeeds (``/readyz`` reports it)."""

    def __init__(self, consumer: Consumer, stage: Stage, *, what: str, batch_size: int = 64,
                 claim_idle_ms: int = 60_000, backoff: Backoff | None = None,
                 logger: logging.Logger = log, stall_seconds: float = 0.0) -> None:
        self.consumer = consumer
        self.log = logger
        self.stage = stage
        self.what = what
        self.batch_size = batch_size
        self.claim_idle_ms = claim_idle_ms
        self.backoff = backoff or Backoff(base=0.5, cap=30.0)
        self.redis_down = False
        self.reclaimed = 0  # entries taken over from dead consumers
        # a step (read, handle, commit) running longer than this logs every thread's and task's stack (0: off;
        # a dispatcher's delivery may rightly wait out a rate limit, a classify batch should not take this long)
        self.stall_seconds = stall_seconds
        self._last_claim = -math.inf
        self._touched = 0.0
        self._own_after: str | None = "0"  # page through this consumer's unacked entries from here (None: done)

    async def run(self, *, stop: asyncio.Event, burst: bool = False,
                  upstream_done: Callable[[], bool] = lambda: True) -> None:
        """Until ``stop`` is set, or (burst) until upstream is done and the stream is drained. Errors other
        than outages, ``Redo`` and a lost group end it (a bug or a broken stage: the service reports it)."""
        ready = False
        self._last_claim, self._own_after = -math.inf, "0"
        while not stop.is_set():
            try:
                if not ready:
                    await self.stage.setup()
                    ready = True
                with WATCHDOG.watch(f"{self.what}: one step (read, handle, commit)", self.stall_seconds, self.log):
                    if self._own_after is not None:
                        await self._own()
                    elif await self._step(burst, upstream_done):
                        return
            except REDIS_DOWN as exc:
                self.redis_down = True
                delay = self.backoff.delay()
                self.log.warning("redis unavailable (%s: %s): %s waits %.1fs", type(exc).__name__, exc, self.what,
                                 delay)
                ready, self._own_after = False, "0"
                await sleep_unless(stop, delay)
            except Redo as exc:
                self.log.warning("%s: %s; redone from its unacked entries", self.what, exc)
                self._own_after = "0"
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self.log.warning("%s: consumer group %s is gone (redis restarted empty?): recreating it", self.what,
                            self.consumer.group)
                ready, self._own_after = False, "0"
                await sleep_unless(stop, self.backoff.delay())

    def _redis_back(self) -> None:
        """A read went through: an outage is over (logged once)."""
        self.backoff.reset()
        if self.redis_down:
            self.log.info("redis reachable again: %s resumed", self.what)
        self.redis_down = False

    async def _own(self) -> None:
        """One page of the entries this consumer read and never acked, handed to the stage again."""
        assert self._own_after is not None
        entries, last = await self.consumer.read_own_pending(self.batch_size, self._own_after)
        self._redis_back()
        self._own_after = last
        held = set(self.stage.held())
        entries = [(eid, fields) for eid, fields in entries if eid not in held]
        if entries:
            await self.stage.handle(entries)
            await self.stage.tick()

    async def _step(self, burst: bool, upstream_done: Callable[[], bool]) -> bool:
        """One read (stale entries of dead consumers first, when due); True when a burst run is drained."""
        held = self.stage.held()
        now = time.monotonic()
        if held and now - self._touched > self.claim_idle_ms / 3000:
            # keep a long-held burst (digest) from looking abandoned to other consumers' XAUTOCLAIM
            await self.consumer.r.xclaim(self.consumer.stream, self.consumer.group, self.consumer.name, 0, held,
                                         justid=True)
            self._touched = now
        entries: list[Entry] = []
        if now - self._last_claim > self.claim_idle_ms / 1000:
            self._last_claim = now
            entries = [(eid, fields) for eid, fields in await self.consumer.claim_stale(self.claim_idle_ms,
                                                                                         self.batch_size)
                       if eid not in held]
            if entries:
                self.reclaimed += len(entries)
                self.log.info("%s reclaimed %d stale entries of a dead consumer", self.what, len(entries))
        if not entries:
            count, block_ms = self.stage.read_limits()
            entries = await self.consumer.read(count, block_ms)
        self._redis_back()
        if entries:
            await self.stage.handle(entries)
        await self.stage.tick()
        if entries or not burst or not upstream_done():
            return False
        if await self.consumer.pending() > len(self.stage.held()):
            return False  # entries still out with a consumer (reclaimed once idle)
        entries = await self.consumer.read(self.stage.read_limits()[0], None)  # one last look, without blocking
        if entries:
            await self.stage.handle(entries)
            return False
        await self.stage.drained()
        return True
