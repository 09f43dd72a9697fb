"""Stopping asyncio tasks for good, in bounded time: the one way the service, the replay, the collectors and
the story lock cancel what they started.

A plain ``task.cancel(); await task`` (or ``gather``) can wait forever on Python 3.11: a cancel that arrives
while a coroutine sits in ``asyncio.wait_for`` (redis-py sends commands through it when the client has a
socket timeout) is swallowed when the inner call completes in the same loop iteration (CPython gh-86296,
fixed in 3.12), and the task runs on. ``cancel_and_wait`` cancels again until the task ends, and gives up
after ``timeout`` with a warning naming what did not stop, so a shutdown never hangs on a lost cancel."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from typing import Any

__all__ = ["cancel_and_wait"]

log = logging.getLogger(__name__)

RECANCEL_EVERY = 0.05  # seconds between repeated cancels of a task that is still running


async def cancel_and_wait(tasks: Iterable[asyncio.Task[Any]], timeout: float, *,
                          what: str = "task") -> set[asyncio.Task[Any]]:
    """Cancel ``tasks`` and wait (at most ``timeout`` seconds) until every one has ended, cancelling again
    those that swallowed a cancel. Their exceptions are retrieved (not raised); the tasks still running at
    the end are returned, after one warning each. A cancel of the caller itself is not swallowed."""
    tasks = list(tasks)  # read twice below
    pending = {t for t in tasks if not t.done()}
    deadline = time.monotonic() + max(0.0, timeout)
    while pending:
        for task in pending:
            task.cancel()
        left = deadline - time.monotonic()
        if left <= 0:
            break
        _, pending = await asyncio.wait(pending, timeout=min(RECANCEL_EVERY, left))
    for task in pending:
        log.warning("%s %s still running %.1fs after its cancel; left behind", what, task.get_name(), timeout)
    for task in tasks:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log "exception was never retrieved"
    return pending
