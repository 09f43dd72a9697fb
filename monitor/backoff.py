"""Capped exponential backoff with jitter, as a small value object (one per retrying thing).

Used by collectors (a failing source), sinks (a failing delivery) and every stage's Redis loop (an
outage): ``delay()`` grows 2x per failure up to ``cap``; ``reset()`` after a success."""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from redis.exceptions import BusyLoadingError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

# Errors that mean "Redis is unreachable or restarting", as opposed to a bug or a bad command.
REDIS_DOWN = (RedisConnectionError, RedisTimeoutError, BusyLoadingError, ConnectionError, OSError)


@dataclass
class Backoff:
    base: float = 1.0
    cap: float = 60.0
    jitter: float = 0.1  # +- this fraction
    failures: int = 0
    _rng: random.Random = field(default_factory=random.Random, repr=False)

    def delay(self) -> float:
        """The wait before the next try (counts this failure)."""
        self.failures += 1
        raw = min(self.cap, self.base * 2 ** (self.failures - 1))
        return max(0.0, raw * (1 + self._rng.uniform(-self.jitter, self.jitter)))

    def reset(self) -> None:
        self.failures = 0


async def sleep_unless(stop: asyncio.Event, seconds: float) -> bool:
    """Sleep ``seconds`` unless ``stop`` is set first; True when stopped (every retry wait uses this, so a
    graceful stop never waits out a backoff)."""
    if seconds <= 0:
        return False
    if stop.is_set():
        return True
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except TimeoutError:
        return False
    return True
