"""The story stage's lock on a real Redis: a dead holder's lock is waited out (and the wait is logged with
the holder's name), and a holder whose lock expired and was taken cannot commit over the new holder."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import UTC, datetime

import pytest
from redis.exceptions import WatchError

from monitor.keys import CLASSIFY_GROUP, Keys
from monitor.models import Post
from monitor.pipeline import ClassifyWorker
from monitor.queue import Intake, client, ensure_group
from monitor.stories import StoryIndex, StoryLock, StoryLockLost, lock_timeout_for

CLAIM = "استهدف مجاهدو المقاومة الإسلامية في العراق قاعدة عين الأسد بطائرة مسيرة وحققت إصابات مباشرة"


def test_lock_timeout_follows_claim_idle() -> None:
    assert lock_timeout_for(60) == 10.0 and lock_timeout_for(2) == 2.0 and lock_timeout_for(0.1) == 1.0


def test_a_dead_holders_lock_is_waited_out_and_logged(redis_url: str, keys: Keys, classifier,  # type: ignore[no-untyped-def]
                                                      caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> tuple[int, int]:
        r = client(redis_url)
        try:
            await ensure_group(r, keys.posts, CLASSIFY_GROUP)
            post = Post(platform="telegram", channel="c", message_id="1", text=CLAIM,
                        date=datetime(2026, 11, 20, 8, 0, tzinfo=UTC))
            await Intake(r, keys).add([post])
            # what a classifier killed inside the story stage leaves behind: its lock, no longer renewed
            await r.set(keys.story_lock, "host-4242:deadbeef", px=120_000)
            worker = ClassifyWorker(r, keys, classifier, block_ms=50,
                                    stories=StoryIndex(r, keys, lock_timeout=1.5, holder="survivor"))
            task = asyncio.create_task(worker.run(burst=True))
            while "waiting for the story lock" not in caplog.text:
                assert not task.done()
                await asyncio.sleep(0.05)
            await r.pexpire(keys.story_lock, 1)  # its timeout runs out
            await asyncio.wait_for(task, 120)
            return await r.xlen(keys.alerts), int((await r.xpending(keys.posts, CLASSIFY_GROUP))["pending"])
        finally:
            await r.aclose()

    with caplog.at_level(logging.INFO, logger="monitor.stories"):
        alerts, pending = asyncio.run(go())
    assert alerts == 1 and pending == 0
    assert "waiting for the story lock held by host-4242:deadbeef" in caplog.text
    assert "story lock acquired after waiting" in caplog.text


def test_a_holder_that_lost_the_lock_cannot_commit(redis_url: str, keys: Keys) -> None:
    async def go() -> tuple[str | None, bool]:
        r = client(redis_url)
        try:
            first = StoryLock(r, keys, 5.0, "first")
            await first.acquire()
            async with r.pipeline(transaction=True) as pipe:
                await first.begin(pipe)
                pipe.set(f"{keys.ns}:probe", "first")
                await r.delete(keys.story_lock)  # as if it expired while its holder was stalled
                second = StoryLock(r, keys, 5.0, "second")
                await second.acquire()
                with pytest.raises(WatchError):
                    await pipe.execute()
            async with r.pipeline(transaction=True) as pipe:
                with pytest.raises(StoryLockLost):
                    await first.begin(pipe)
            async with r.pipeline(transaction=True) as pipe:
                await second.begin(pipe)
                pipe.set(f"{keys.ns}:probe", "second")
                await pipe.execute()
            await first.release()  # not its lock any more: leaves the second holder's alone
            still = bool(await r.exists(keys.story_lock))
            await second.release()
            return await r.get(f"{keys.ns}:probe"), still
        finally:
            await r.aclose()

    value, still_held = asyncio.run(go())
    assert value == "second" and still_held


def test_release_ends_a_renewer_whose_cancel_was_swallowed(redis_url: str, keys: Keys) -> None:
    """On Python 3.11 redis-py sends a command inside ``asyncio.wait_for`` (a client with a socket timeout), and
    that ``wait_for`` swallows a cancel that lands as the send completes (CPython gh-86296). The renewer then
    outlived ``release``'s cancel, renewed the lock for good and ``release`` awaited it forever: a classify
    worker hung mid-batch holding the story lock (tests/test_service.py, under load). Here the renewer's Redis
    call swallows the cancel on purpose: ``release`` must still return, stop the renewer and free the lock."""

    async def go() -> tuple[float, bool, bool, int, str | None]:
        r = client(redis_url)
        try:
            lock = StoryLock(r, keys, 0.3, "holder")
            extend = lock._extend
            in_flight = asyncio.Event()
            calls = 0

            async def swallowing_extend(*, keys: list[str], args: list[object]) -> object:
                nonlocal calls
                calls += 1
                in_flight.set()
                # the send in flight; the first cancel is swallowed, as asyncio.wait_for does on 3.11 when its
                # inner send finished as the cancel came
                if calls == 1:
                    with contextlib.suppress(asyncio.CancelledError):
                        await asyncio.sleep(0.05)
                return await extend(keys=keys, args=args)

            lock._extend = swallowing_extend  # type: ignore[method-assign]
            await lock.acquire()
            renewer = lock._renewer
            assert renewer is not None
            await asyncio.wait_for(in_flight.wait(), 5)  # the renewer is inside its Redis call
            t0 = time.monotonic()
            await asyncio.wait_for(lock.release(), 5)  # hung here for good before the fix
            took = time.monotonic() - t0
            await asyncio.sleep(0.5)  # more than a renewal period: a renewer still alive would call again
            return took, renewer.done(), renewer.cancelling() > 0, calls, await r.get(keys.story_lock)
        finally:
            await r.aclose()

    took, done, cancel_was_requested, calls, left = asyncio.run(go())
    assert took < 1.0 and done and cancel_was_requested
    assert calls == 1  # it stopped after the call in flight
    assert left is None  # released, not renewed on
