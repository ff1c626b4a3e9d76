"""Time parameters: ``from``/``to`` ranges, ``every`` durations, nanoseconds <-> UTC datetimes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ridebuy.api.errors import BadParameter

NS_PER_S = 1_000_000_000
MAX_BUCKETS = 10_000
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2262, 1, 1, tzinfo=UTC)
"""Times a store can hold: InfluxDB keeps signed 64-bit nanoseconds (up to 2262-04-11), and no reading predates
1970. Outside, Python's datetime overflows (years 1 and 9999) or the store refuses the query (1600, 2300)."""
_DURATION_RE = re.compile(r"^(\d{1,6})(s|m|h|d)$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400}


def to_datetime(ns: int | None) -> datetime | None:
    if ns is None:
        return None
    seconds, rest = divmod(ns, NS_PER_S)
    return datetime.fromtimestamp(seconds, UTC).replace(microsecond=rest // 1000)


def to_ns(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


def parse_duration_s(text: str, parameter: str, minimum_s: int = 60, maximum_s: int = 7 * 86_400) -> int:
    """``15m``, ``1h``, ``1d``... in seconds, within bounds, or :class:`BadParameter` naming ``parameter``."""
    match = _DURATION_RE.match(text)
    if match is None:
        raise BadParameter(parameter, "must be a number and a unit s, m, h or d, e.g. 15m")
    seconds = int(match[1]) * _UNIT_S[match[2]]
    if not minimum_s <= seconds <= maximum_s:
        raise BadParameter(parameter, f"must be between {minimum_s} s and {maximum_s} s")
    return seconds


@dataclass(frozen=True, slots=True)
class TimeRange:
    start: datetime
    end: datetime

    @property
    def start_ns(self) -> int:
        return to_ns(self.start)

    @property
    def end_ns(self) -> int:
        return to_ns(self.end)


def resolve_range(
    start: datetime | None, end: datetime | None, every_s: int, now_ns: int, default_span_s: int = 86_400
) -> TimeRange:
    """The [from, to) range asked for, defaulting to the ``default_span_s`` up to now; validated."""
    start_at = _storable("from", start)
    end_at = _storable("to", end) or to_datetime(now_ns)
    assert end_at is not None
    if start_at is None:
        start_at = max(EARLIEST, end_at - timedelta(seconds=default_span_s))
    if start_at >= end_at:
        raise BadParameter("from", "must be earlier than 'to'")
    buckets = (end_at - start_at).total_seconds() / every_s
    if buckets > MAX_BUCKETS:
        raise BadParameter(
            "every", f"gives {int(buckets)} buckets between 'from' and 'to', more than {MAX_BUCKETS}: widen it"
        )
    return TimeRange(start_at, end_at)


def _storable(name: str, moment: datetime | None) -> datetime | None:
    """``moment`` in UTC, or :class:`BadParameter` when it has no offset or lies outside what a store holds."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise BadParameter(name, "needs a UTC offset (RFC 3339), e.g. 2026-05-04T08:00:00Z")
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 has no UTC datetime
        utc = None
    if utc is None or not EARLIEST <= utc <= LATEST:
        raise BadParameter(name, f"must be between {_rfc3339(EARLIEST)} and {_rfc3339(LATEST)}")
    return utc


def _rfc3339(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
