"""Repeated warnings, summarised: the first few of each reason are logged, the rest only counted, and one
line per reason at the end says how many were not shown (50 MB of junk lines give a dozen log lines, not
580,000)."""

from __future__ import annotations

import logging
from collections import Counter

FIRST = 5  # warnings logged per reason before they are only counted


class RepeatedWarnings:
    def __init__(self, logger: logging.Logger, first: int = FIRST) -> None:
        self.logger = logger
        self.first = first
        self.seen: Counter[str] = Counter()

    def warn(self, reason: str, msg: str, *args: object) -> None:
        """Log ``msg % args`` if fewer than ``first`` warnings of ``reason`` were logged; count it anyway."""
        self.seen[reason] += 1
        if self.seen[reason] <= self.first:
            self.logger.warning(msg, *args)
            if self.seen[reason] == self.first:
                self.logger.warning("further %s warnings are counted, not shown (a total follows at the end)",
                                    reason)

    def summarise(self) -> None:
        """One line per reason that had warnings not shown; then starts counting afresh."""
        for reason, n in sorted(self.seen.items()):
            if n > self.first:
                self.logger.warning("%s: %d more like this not shown (%d in all)", reason, n - self.first, n)
        self.seen.clear()
