"""Redis Streams plumbing: consumer groups, batched reads, acks, reclaiming a dead consumer's entries,
dead-lettering, and the atomic exactly-once intake of posts."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from monitor.keys import Keys
from monitor.models import Post

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

    async def read_own_pending(self, count: int) -> list[Entry]:
        """Entries delivered to this consumer and not yet acked (re-read after a failed commit or an
        outage). An entry trimmed from the stream while pending has nothing left to process: it is acked,
        or it would stay pending for good."""
        reply = await self.r.xreadgroup(self.group, self.name, {self.stream: "0"}, count=count)
        mine = reply[0][1] if reply else []
        gone = [eid for eid, fields in mine if not fields]
        if gone:
            await self.ack(gone)
        return [(eid, fields) for eid, fields in mine if fields]

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


def dead_letter_fields(stream: str, entry_id: str, reason: str, raw: dict[str, str]) -> dict[str, str]:
    return {"stream": stream, "id": entry_id, "reason": reason, "raw": json.dumps(raw, ensure_ascii=False)}
