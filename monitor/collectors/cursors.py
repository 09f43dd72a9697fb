"""Collector state in Redis: per-source cursors and resolved platform identities.

A cursor is an opaque string owned by its collector (Telegram: the newest message id on the stream; X: the
newest tweet id; file: JSON with per-file offsets). Keeping it in Redis, not in the process, lets a
restarted or replacement daemon continue exactly where the last one stopped.

The entity cache keeps what a handle resolved to (Telegram channel id + access hash, X user id): resolving
a username costs a rate-limited API call (Telegram answers repeated ``ResolveUsername`` with long flood
waits, and a ``StringSession`` keeps no entity cache of its own).
"""

from __future__ import annotations

import json
from typing import Any

import redis.asyncio as aioredis

from monitor.keys import Keys


class CursorStore:
    def __init__(self, r: aioredis.Redis, keys: Keys) -> None:
        self.r = r
        self.keys = keys

    async def get(self, source_id: str) -> str | None:
        value = await self.r.get(self.keys.cursor(source_id))
        if isinstance(value, bytes):
            value = value.decode()
        return value

    async def set(self, source_id: str, cursor: str) -> None:
        await self.r.set(self.keys.cursor(source_id), cursor)


class EntityCache:
    def __init__(self, r: aioredis.Redis, keys: Keys) -> None:
        self.r = r
        self.keys = keys

    async def get(self, platform: str, handle: str) -> dict[str, Any] | None:
        raw = await self.r.get(self.keys.entity(platform, handle))
        if raw is None:
            return None
        try:
            value = json.loads(raw)
        except (TypeError, ValueError):
            return None
        return value if isinstance(value, dict) else None

    async def set(self, platform: str, handle: str, value: dict[str, Any]) -> None:
        await self.r.set(self.keys.entity(platform, handle), json.dumps(value, ensure_ascii=False))

    async def drop(self, platform: str, handle: str) -> None:
        await self.r.delete(self.keys.entity(platform, handle))
