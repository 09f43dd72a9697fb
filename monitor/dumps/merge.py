"""Posts of several files in one stream ordered by post date, in bounded memory.

Each file's posts pass through a window of ``window`` posts (a heap): a post at most ``window`` places
away from its place in date order is put back in order. The files are then merged k-way by date
(``heapq.merge``: one post per file in memory, every file open at once). A file whose disorder goes beyond
the window (a twarc2 search dump is newest-first) is not sorted: its posts still all go through, later
ones possibly dated before posts already sent; ``Ordered.late`` counts them. Nothing is dropped here.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import count

from monitor.models import Post

WINDOW = 2048


def in_date_order(posts: Iterable[Post], window: int = WINDOW) -> Iterator[Post]:
    """``posts`` with any disorder of less than ``window`` places undone (ties keep file order)."""
    heap: list[tuple[datetime, int, Post]] = []
    seq = count()
    for post in posts:
        heapq.heappush(heap, (post.date, next(seq), post))
        if len(heap) > window:
            yield heapq.heappop(heap)[2]
    while heap:
        yield heapq.heappop(heap)[2]


class Ordered:
    """The k-way merge by date of per-file streams; iterating yields posts, ``late`` counts those dated
    before a post already yielded (their file was out of order beyond the window)."""

    def __init__(self, streams: Iterable[Iterable[Post]], window: int = WINDOW) -> None:
        self._merged = heapq.merge(*(in_date_order(s, window) for s in streams), key=lambda p: p.date)
        self.late = 0
        self._last: datetime | None = None

    def __iter__(self) -> Iterator[Post]:
        for post in self._merged:
            if self._last is not None and post.date < self._last:
                self.late += 1
            else:
                self._last = post.date
            yield post
