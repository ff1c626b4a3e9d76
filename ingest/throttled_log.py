"""Log lines of one kind at most once per period, with a count of those held back: a store that refuses every
batch must not flood the log."""

from __future__ import annotations

import logging
import time
from collections import Counter


class ThrottledLog:
    """Log lines of one kind at most once per ``every_s``, saying how many were held back meanwhile: a store that
    refuses every batch must not flood the log."""

    def __init__(self, logger: logging.Logger, every_s: float = 10.0) -> None:
        self._logger = logger
        self._every_s = every_s
        self._next: dict[str, float] = {}
        self._held: Counter[str] = Counter()

    def warning(self, message: str, *args: object) -> None:
        self._emit(logging.WARNING, message, args)

    def error(self, message: str, *args: object) -> None:
        self._emit(logging.ERROR, message, args)

    def _emit(self, level: int, message: str, args: tuple[object, ...]) -> None:
        now = time.monotonic()
        if now < self._next.get(message, 0.0):
            self._held[message] += 1
            return
        self._next[message] = now + self._every_s
        held = self._held.pop(message, 0)
        if held:
            message += f" ({held} more like this in the last {self._every_s:.0f} s)"
        self._logger.log(level, message, *args, stacklevel=3)
