"""The month a report covers, in the town's time zone, and the weeks before it to compare with."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

NS_PER_S = 1_000_000_000
COMPARE_WEEKS = 4
"""Weeks before the month whose passages the report compares with."""


def ns(moment: datetime) -> int:
    return int(moment.timestamp()) * NS_PER_S


@dataclass(frozen=True, slots=True)
class Period:
    month: date
    """The first day of the month."""
    tz: ZoneInfo
    start: datetime
    """Midnight of the first day, local time."""
    end: datetime
    """Midnight after the last day, or now when the month is not over (then ``partial``)."""
    partial: bool

    @property
    def start_ns(self) -> int:
        return ns(self.start)

    @property
    def end_ns(self) -> int:
        return ns(self.end)

    @property
    def compare_start(self) -> datetime:
        """Monday of the week :data:`COMPARE_WEEKS` weeks before the month's first week."""
        first_monday = self.start - timedelta(days=self.start.weekday())
        return first_monday - timedelta(weeks=COMPARE_WEEKS)

    def days(self) -> list[date]:
        """Every local day of the period (up to today when partial)."""
        return days_between(self.start, self.end)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=tz)


def days_between(start: datetime, end: datetime) -> list[date]:
    """The local days that begin in [start, end) (``start`` a local midnight)."""
    days, day = [], start.date()
    while local_midnight(day, start.tzinfo) < end:  # type: ignore[arg-type]
        days.append(day)
        day += timedelta(days=1)
    return days


def parse_month(text: str) -> date:
    """``2026-05`` -> 2026-05-01; ValueError with a sentence otherwise."""
    match = re.fullmatch(r"(\d{4})-(\d{2})", text)
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"--month must be YYYY-MM (e.g. 2026-05), not {text!r}")
    return date(int(match.group(1)), int(match.group(2)), 1)


def month_period(month: date, tz: ZoneInfo, now: datetime | None = None) -> Period:
    now = (now or datetime.now(UTC)).astimezone(tz)
    start = datetime(month.year, month.month, 1, tzinfo=tz)
    following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    end = datetime(following.year, following.month, 1, tzinfo=tz)
    if start >= now:
        raise ValueError(f"the month {month:%Y-%m} has not begun: nothing to report yet")
    if end > now:
        return Period(month, tz, start, now.replace(microsecond=0), partial=True)
    return Period(month, tz, start, end, partial=False)
