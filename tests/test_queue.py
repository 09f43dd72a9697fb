"""The one consume loop (queue.ConsumeLoop) on its own, with a stage that records what it is handed."""

from __future__ import annotations

import asyncio

from monitor.keys import Keys
from monitor.queue import ConsumeLoop, Consumer, Entry, client


class HoldingStage:
    """Holds the entries named in ``hold`` (as a grouping window does), acks every other one it is handed,
    and acks what it held once the burst is drained."""

    def __init__(self, consumer: Consumer, hold: list[str]) -> None:
        self.consumer = consumer
        self.hold = list(hold)
        self.handled: list[str] = []
        self.drained_with: list[str] = []

    async def setup(self) -> None:
        await self.consumer.setup()

    async def handle(self, entries: list[Entry]) -> None:
        self.handled.extend(eid for eid, _ in entries)
        await self.consumer.ack([eid for eid, _ in entries])

    async def tick(self) -> None:
        return None

    async def drained(self) -> None:
        self.drained_with = list(self.hold)
        await self.consumer.ack(self.hold)
        self.hold = []

    def held(self) -> list[str]:
        return list(self.hold)

    def read_limits(self) -> tuple[int, int]:
        return 2, 20


def test_own_unacked_entries_are_paged_past_the_held_ones(redis_url: str, keys: Keys) -> None:
    """A (re)start hands the stage this consumer's unacked entries, a page at a time, never the ones it holds
    on purpose, even when a whole page is held; a burst ends once only held entries are pending, and they
    are the stage's to finish (``drained``)."""

    async def go() -> tuple[list[str], HoldingStage, int]:
        r = client(redis_url)
        try:
            consumer = Consumer(r, keys.alerts, "sink:test", "c1")
            await consumer.setup()
            ids = [await r.xadd(keys.alerts, {"n": str(i)}) for i in range(5)]
            assert len(await consumer.read(10, None)) == 5  # read before a "restart", none acked
            stage = HoldingStage(consumer, hold=ids[:3])
            loop = ConsumeLoop(consumer, stage, what="test", batch_size=2, claim_idle_ms=60_000)
            await asyncio.wait_for(loop.run(stop=asyncio.Event(), burst=True), timeout=10)
            return ids, stage, await consumer.pending()
        finally:
            await r.aclose()

    ids, stage, pending = asyncio.run(go())
    assert stage.handled == ids[3:]
    assert stage.drained_with == ids[:3] and pending == 0
