"""A stall watchdog: when a piece of work (a classify batch) runs longer than it should, log what every thread
and every asyncio task of the process is doing, so a rare hang leaves a diagnosable trace instead of silence.

It changes nothing about the work: it only logs. The check runs in a daemon thread, so it reports even when
the event loop itself is blocked (the thread stacks then show the loop thread's blocking call; the task
stacks are logged by the loop as soon as it runs again). A stall is reported after ``after`` seconds, then
again each time it has lasted twice as long (30 s, 60 s, 120 s, ...), and once more when the work ends."""

from __future__ import annotations

import asyncio
import contextlib
import io
import itertools
import logging
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass
class _Watch:
    what: str
    started: float
    next_report: float
    after: float
    loop: asyncio.AbstractEventLoop | None
    logger: logging.Logger
    reports: int = 0


def thread_stacks() -> str:
    """Every thread's Python stack (``sys._current_frames``), named."""
    names = {t.ident: t.name for t in threading.enumerate()}
    out = []
    for ident, frame in sys._current_frames().items():
        out.append(f"thread {names.get(ident, '?')} ({ident}):\n{''.join(traceback.format_stack(frame))}")
    return "\n".join(out)


def task_stacks(loop: asyncio.AbstractEventLoop) -> str:
    """Every pending task of ``loop`` with its stack and the chain of awaitables it waits on (the innermost
    is what it is stuck on: a future of a thread, a lock, a socket read)."""
    out = []
    for task in asyncio.all_tasks(loop):
        buf = io.StringIO()
        task.print_stack(file=buf, limit=30)
        chain = []
        aw = task.get_coro()
        for _ in range(40):
            nxt = getattr(aw, "cr_await", None)
            if nxt is None:
                break
            chain.append(getattr(nxt, "__qualname__", None) or repr(nxt))
            aw = nxt
        waiter = getattr(task, "_fut_waiter", None)  # the future the task is suspended on (CPython)
        out.append(f"{buf.getvalue()}  awaiting: {' -> '.join(chain) or '-'}\n  waits on: {waiter!r}")
    return "\n".join(out)


class Watchdog:
    """One per process (``WATCHDOG``); ``watch(what, after)`` around the work to watch."""

    def __init__(self, poll: float = 1.0) -> None:
        self.poll = poll
        self._watches: dict[int, _Watch] = {}
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self.reported = 0  # stall reports logged (tests)

    @contextlib.contextmanager
    def watch(self, what: str, after: float, logger: logging.Logger = log) -> Iterator[None]:
        if after <= 0:
            yield
            return
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        now = time.monotonic()
        w = _Watch(what, now, now + after, after, loop, logger)
        with self._lock:
            key = next(self._ids)
            self._watches[key] = w
            self._start()
        try:
            yield
        finally:
            with self._lock:
                del self._watches[key]
            if w.reports:
                logger.warning("%s finished after %.1fs (it was reported stalled)", w.what,
                               time.monotonic() - w.started)

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="stall-watchdog", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.poll)
            now = time.monotonic()
            with self._lock:
                due = [w for w in self._watches.values() if now >= w.next_report]
                for w in due:
                    w.reports += 1
                    w.next_report = w.started + w.after * 2 ** w.reports
            for w in due:
                with contextlib.suppress(Exception):  # a watchdog must never take the process down
                    self._report(w, now)

    def _report(self, w: _Watch, now: float) -> None:
        self.reported += 1
        w.logger.warning("%s still running after %.1fs: stall report %d; threads:\n%s", w.what, now - w.started,
                         w.reports, thread_stacks())
        loop = w.loop
        if loop is None or loop.is_closed():
            return
        asked = time.monotonic()

        def tasks() -> None:
            lag = time.monotonic() - asked
            w.logger.warning("%s stall report %d: asyncio tasks (event loop answered in %.2fs):\n%s", w.what,
                             w.reports, lag, task_stacks(loop))

        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(tasks)


WATCHDOG = Watchdog()
