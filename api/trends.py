"""Usual occupancy of a parking: an hour-of-week profile of the last weeks, from the store's availability history.

"Usually full around 8:00 on weekdays" is what a cyclist can plan with. The profile is built from hourly buckets of
:meth:`ridebuy.store.base.Store.parking_history` (any backend), in the town's local time, and cached: it changes
slowly, and the history query is the most expensive read the page makes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ridebuy.store.base import AvailabilityBucket

HOUR_S = 3600
WEEKS = 4
"""History the profile looks back on."""
MIN_DAYS = 7
"""An hour-of-week profile needs this many days with figures before it says anything."""
MIN_SAMPLES = 2
"""An hour of the week needs figures from this many different days to be judged."""
FULL_SHARE = 0.5
"""An hour is "usually full" when the parking was full (less than one place free on average) in at least this
share of the days measured."""
CACHE_S = 3600.0
"""How long a computed profile is served before it is computed again."""

WEEKDAYS = range(0, 5)
WEEKEND = range(5, 7)


@dataclass(frozen=True, slots=True)
class HourStats:
    weekday: int
    """0 = Monday (ISO weekday - 1), local time."""
    hour: int
    samples: int
    """Days that have figures for this hour."""
    mean_free: float | None
    full_share: float | None
    """Share of those days on which the parking was full in this hour."""


@dataclass(frozen=True, slots=True)
class FullSpell:
    days: str
    """``weekdays`` (Monday to Friday) or ``weekend``."""
    start_hour: int
    end_hour: int
    """Exclusive: full from ``start_hour``:00 until ``end_hour``:00."""


@dataclass(frozen=True, slots=True)
class Trend:
    days_measured: int
    enough_history: bool
    hours: tuple[HourStats, ...]
    usually_full: tuple[FullSpell, ...]


def profile(buckets: Sequence[AvailabilityBucket], timezone: ZoneInfo) -> Trend:
    """The hour-of-week profile of hourly buckets; buckets without figures (or mostly unknown) are left out."""
    free: dict[tuple[int, int], list[float]] = {}
    full: dict[tuple[int, int], int] = {}
    days: set[tuple[int, int, int]] = set()
    for bucket in buckets:
        if bucket.free is None or not bucket.capacity:
            continue
        if bucket.unknown is not None and bucket.unknown > bucket.capacity / 2:
            continue  # mostly silent sensors: the free count says little
        local = datetime.fromtimestamp(bucket.start_ns / 1e9, UTC).astimezone(timezone)
        key = (local.weekday(), local.hour)
        free.setdefault(key, []).append(bucket.free)
        full[key] = full.get(key, 0) + (1 if bucket.free < 1 else 0)
        days.add((local.year, local.month, local.day))
    hours = []
    for weekday in range(7):
        for hour in range(24):
            values = free.get((weekday, hour), [])
            hours.append(
                HourStats(
                    weekday=weekday,
                    hour=hour,
                    samples=len(values),
                    mean_free=round(sum(values) / len(values), 2) if values else None,
                    full_share=round(full[(weekday, hour)] / len(values), 2) if values else None,
                )
            )
    enough = len(days) >= MIN_DAYS
    spells = (*_spells(hours, "weekdays", WEEKDAYS), *_spells(hours, "weekend", WEEKEND)) if enough else ()
    return Trend(days_measured=len(days), enough_history=enough, hours=tuple(hours), usually_full=spells)


def _spells(hours: Sequence[HourStats], name: str, weekdays: range) -> list[FullSpell]:
    """Runs of hours that are usually full across the group of days (every day's samples pooled)."""
    usually: list[bool] = []
    for hour in range(24):
        stats = [hours[weekday * 24 + hour] for weekday in weekdays]
        samples = sum(s.samples for s in stats)
        fulls = sum((s.full_share or 0.0) * s.samples for s in stats)
        usually.append(samples >= MIN_SAMPLES * len(weekdays) and fulls / samples >= FULL_SHARE)
    spells: list[FullSpell] = []
    hour = 0
    while hour < 24:
        if usually[hour]:
            start = hour
            while hour < 24 and usually[hour]:
                hour += 1
            spells.append(FullSpell(days=name, start_hour=start, end_hour=hour))
        else:
            hour += 1
    return spells


History = Callable[[str, int, int, int], Awaitable[list[AvailabilityBucket]]]


class TrendCache:
    """Profiles per parking, each kept :data:`CACHE_S` seconds (by the app's clock)."""

    def __init__(self, max_age_s: float = CACHE_S) -> None:
        self._max_age_ns = int(max_age_s * 1e9)
        self._entries: dict[tuple[str, str], tuple[int, Trend]] = {}

    async def get(self, parking_id: str, history: History, now_ns: int, timezone: ZoneInfo) -> Trend:
        key = (parking_id, timezone.key)
        cached = self._entries.get(key)
        if cached is not None and now_ns - cached[0] < self._max_age_ns:
            return cached[1]
        end_ns = now_ns - now_ns % (HOUR_S * 1_000_000_000)
        start_ns = end_ns - WEEKS * 7 * 86_400 * 1_000_000_000
        trend = profile(await history(parking_id, start_ns, end_ns, HOUR_S), timezone)
        self._entries[key] = (now_ns, trend)
        return trend
