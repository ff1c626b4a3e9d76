"""Dead letters: a refused message is logged (rate-limited) and becomes an ``ingest_errors`` point.

A dead letter the store refuses in turn (someone once wrote ``ingest_errors.detail`` with another type) is stored
in its fallback form, one string field under a name of its own; if that is refused too, the log is where it ends.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter

from ridebuy.devices.rejections import Rejected
from ridebuy.store.points import Measurement, Point, payload_preview, rejection_point

log = logging.getLogger(__name__)

LOG_BURST = 20
"""Rejections logged one by one per reason and window; the rest are summed up (a flood must not flood the log)."""
LOG_WINDOW_S = 60.0
FALLBACK_FIELD = "fallback_text"
"""The one field of a dead letter's fallback form: a name no other point uses, so its type cannot clash."""


def fallback_point(dead_letter: Point) -> Point:
    """A refused dead letter as one string field (its fields as ``name=value`` pairs), same reason tag and time."""
    text = "; ".join(f"{name}={value}" for name, value in dead_letter.fields)
    return Point(Measurement.INGEST_ERRORS, dead_letter.tags, ((FALLBACK_FIELD, text[:2000]),), dead_letter.time_ns)


class DeadLetters:
    """Turns rejections into points and log lines; counts them per reason for metrics."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ns = 0
        self.total: Counter[str] = Counter()
        self._window_start = time.monotonic()
        self._logged: Counter[str] = Counter()
        self._suppressed: Counter[str] = Counter()

    def point(self, rejection: Rejected, topic: str, payload: bytes, received_ns: int) -> Point:
        with self._lock:
            # Distinct times keep two rejections of the same reason from overwriting each other.
            time_ns = max(received_ns, self._last_ns + 1)
            self._last_ns = time_ns
            self.total[rejection.reason.value] += 1
            self._log(rejection, topic, payload)
        return rejection_point(rejection, topic, payload, time_ns)

    def _log(self, rejection: Rejected, topic: str, payload: bytes) -> None:
        now = time.monotonic()
        if now - self._window_start > LOG_WINDOW_S:
            for reason, count in self._suppressed.items():
                log.warning("dead letters: %d more %s messages in the last %.0f s", count, reason, LOG_WINDOW_S)
            self._window_start = now
            self._logged.clear()
            self._suppressed.clear()
        reason = rejection.reason.value
        if self._logged[reason] < LOG_BURST:
            self._logged[reason] += 1
            log.warning(
                "dead letter (%s) on %r: %s; payload starts %r",
                reason,
                topic[:200],
                rejection.detail,
                payload_preview(payload)[:80],
            )
        else:
            self._suppressed[reason] += 1
