"""The stall watchdog: a piece of work running longer than it should logs every thread's stack and every
asyncio task's stack (what it waits on), whether the work awaits forever or blocks the event loop."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from monitor.watchdog import Watchdog

log = logging.getLogger("test.watchdog")


def test_a_stalled_await_is_reported_with_the_task_stacks(caplog: pytest.LogCaptureFixture) -> None:
    dog = Watchdog(poll=0.05)

    async def never_set(event: asyncio.Event) -> None:
        await event.wait()

    async def go() -> None:
        event = asyncio.Event()
        with dog.watch("batch of 3", 0.2, log):
            waiter = asyncio.create_task(never_set(event), name="stuck-waiter")
            while "asyncio tasks" not in caplog.text:
                await asyncio.sleep(0.05)
            event.set()
            await waiter

    with caplog.at_level(logging.WARNING, logger="test.watchdog"):
        asyncio.run(asyncio.wait_for(go(), 10))
    assert "batch of 3 still running after" in caplog.text
    assert "stuck-waiter" in caplog.text and "never_set" in caplog.text  # the task and where it waits
    assert "MainThread" in caplog.text
    assert "batch of 3 finished after" in caplog.text


def test_a_blocked_event_loop_is_reported_from_the_thread_stacks(caplog: pytest.LogCaptureFixture) -> None:
    dog = Watchdog(poll=0.05)

    def blocking_call() -> None:
        time.sleep(0.6)

    async def go() -> None:
        with dog.watch("batch of 1", 0.2, log):
            blocking_call()  # the loop cannot run: the thread stacks say where it is

    with caplog.at_level(logging.WARNING, logger="test.watchdog"):
        asyncio.run(go())
    assert "batch of 1 still running after" in caplog.text
    assert "blocking_call" in caplog.text


def test_quick_work_and_a_zero_threshold_log_nothing(caplog: pytest.LogCaptureFixture) -> None:
    dog = Watchdog(poll=0.05)

    async def go() -> None:
        with dog.watch("quick", 1.0, log):
            await asyncio.sleep(0.01)
        with dog.watch("unwatched", 0, log):
            await asyncio.sleep(0.3)

    with caplog.at_level(logging.WARNING, logger="test.watchdog"):
        asyncio.run(go())
        time.sleep(0.2)
    assert caplog.text == "" and dog.reported == 0
