"""cancel_and_wait: a task that swallows a cancel (what Python 3.11's asyncio.wait_for can do to a
redis-py call, CPython gh-86296) is cancelled again until it ends; one that never ends is left behind after
the timeout with a warning, so a shutdown is bounded either way."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from monitor.tasks import cancel_and_wait


async def _swallows_one_cancel(swallowed: list[bool]) -> None:
    try:
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        swallowed.append(True)  # the lost cancel: the task goes on as if nothing happened
    await asyncio.sleep(60)


async def _ignores_cancels(until: asyncio.Event) -> None:
    while not until.is_set():
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            continue


def test_a_swallowed_cancel_is_repeated() -> None:
    async def go() -> tuple[float, list[bool], set[asyncio.Task[object]], asyncio.Task[None]]:
        swallowed: list[bool] = []
        task = asyncio.create_task(_swallows_one_cancel(swallowed))
        await asyncio.sleep(0)
        t0 = time.monotonic()
        left = await cancel_and_wait([task], 5.0)
        return time.monotonic() - t0, swallowed, left, task

    took, swallowed, left, task = asyncio.run(go())
    assert swallowed == [True] and not left and task.cancelled()
    assert took < 1.0  # a plain cancel-then-await would have waited the full minute


def test_a_task_that_never_stops_is_left_behind_in_bounded_time(caplog: pytest.LogCaptureFixture) -> None:
    async def go() -> tuple[float, set[asyncio.Task[object]]]:
        released = asyncio.Event()
        task = asyncio.create_task(_ignores_cancels(released), name="stubborn")
        await asyncio.sleep(0)
        t0 = time.monotonic()
        left = await cancel_and_wait([task], 0.3, what="role")
        took = time.monotonic() - t0
        released.set()  # let it end now, or asyncio.run would wait for it for good
        task.cancel()
        await asyncio.wait([task])
        return took, left

    with caplog.at_level(logging.WARNING, logger="monitor.tasks"):
        took, left = asyncio.run(go())
    assert [t.get_name() for t in left] == ["stubborn"]
    assert 0.3 <= took < 1.5
    assert "role stubborn still running" in caplog.text


def test_exceptions_are_retrieved_not_raised() -> None:
    async def boom() -> None:
        raise RuntimeError("bad")

    async def go() -> set[asyncio.Task[object]]:
        done = asyncio.create_task(boom())
        await asyncio.sleep(0)
        return await cancel_and_wait([done], 1.0)

    assert asyncio.run(go()) == set()
