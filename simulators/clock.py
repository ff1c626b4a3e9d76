"""The simulated clock: the time of day the traffic patterns follow, as opposed to the real clock of the messages.

Message timestamps are always real wall-clock time (the ingest refuses future times and the live map marks old
data stale). Only the *pattern* runs faster: with speed S, simulated time advances S seconds per real second,
so a demo shows a whole day in minutes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Brussels")
"""Patterns follow the local time of Hannut (commuters, school bells and shops keep local hours)."""


@dataclass(frozen=True, slots=True)
class SimClock:
    """Maps real time (epoch seconds) to simulated time (epoch seconds) and back, linearly."""

    real_origin_s: float
    sim_origin_s: float
    speed: float = 1.0

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")

    def sim(self, real_s: float) -> float:
        return self.sim_origin_s + (real_s - self.real_origin_s) * self.speed

    def real(self, sim_s: float) -> float:
        return self.real_origin_s + (sim_s - self.sim_origin_s) / self.speed


def local_time(epoch_s: float) -> datetime:
    """The local (Europe/Brussels) date and time of an epoch instant."""
    return datetime.fromtimestamp(epoch_s, UTC).astimezone(LOCAL_TZ)


def rfc3339_ms(epoch_s: float) -> str:
    """``2026-05-04T08:15:00.123Z``: UTC with milliseconds, the form devices are asked to send.

    Truncated, never rounded up: a timestamp must not be ahead of the moment it describes.
    """
    millis = math.floor(epoch_s * 1000)
    moment = datetime.fromtimestamp(millis // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{millis % 1000:03d}Z"
