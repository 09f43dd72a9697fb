"""The sink interface and the dispatcher loop that feeds one sink from the alerts stream."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Protocol

import redis.asyncio as aioredis

from monitor.keys import Keys, sink_group
from monitor.models import Alert
from monitor.pipeline import consumer_name
from monitor.queue import Consumer, dead_letter_fields

log = logging.getLogger(__name__)


class Sink(Protocol):
    name: str

    async def deliver(self, alert: Alert) -> None:
        """Deliver one alert event; raise to have it retried."""

    async def close(self) -> None: ...


class Dispatcher:
    """Reads alert events for one sink and acks each after the sink took it."""

    def __init__(self, r: aioredis.Redis, keys: Keys, sink: Sink, *, batch_size: int = 50,
                 block_ms: int = 200) -> None:
        self.r = r
        self.keys = keys
        self.sink = sink
        self.batch_size = batch_size
        self.block_ms = block_ms
        self.consumer = Consumer(r, keys.alerts, sink_group(sink.name), consumer_name(f"sink-{sink.name}"))
        self.delivered = 0

    async def setup(self) -> None:
        await self.consumer.setup()

    async def run(self, *, burst: bool = False, upstream_done: Callable[[], bool] = lambda: True,
                  stop: asyncio.Event | None = None) -> int:
        await self.setup()
        stop = stop or asyncio.Event()
        while not stop.is_set():
            entries = await self.consumer.read(self.batch_size, self.block_ms)
            if not entries and burst and upstream_done():
                entries = await self.consumer.read(self.batch_size, None)
                if not entries:
                    break
            for entry_id, fields in entries:
                try:
                    alert = Alert.from_json(fields["alert"])
                except (KeyError, ValueError, TypeError) as exc:
                    log.warning("dead-lettering malformed alert %s: %s", entry_id, exc)
                    await self.r.xadd(self.keys.dead, dead_letter_fields(self.keys.alerts, entry_id,
                                                                         f"malformed alert: {exc}", fields))
                    await self.consumer.ack([entry_id])
                    continue
                await self.sink.deliver(alert)
                await self.consumer.ack([entry_id])
                self.delivered += 1
        return self.delivered
