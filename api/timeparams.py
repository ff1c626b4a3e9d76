"""Time parameters: ``from``/``to`` ranges, ``every`` durations, nanoseconds <-> UTC datetimes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ridebuy.api.errors import BadParameter

NS_PER_S = 1_000_000_000
MAX_BUCKETS = 10_000
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
    for name, moment in (("from", start), ("to", end)):
        if moment is not None and moment.tzinfo is None:
            raise BadParameter(name, "needs a UTC offset (RFC 3339), e.g. 2026-05-04T08:00:00Z")
    end_at = end.astimezone(UTC) if end is not None else to_datetime(now_ns)
    assert end_at is not None
    start_at = start.astimezone(UTC) if start is not None else end_at - timedelta(seconds=default_span_s)
    if start_at >= end_at:
        raise BadParameter("from", "must be earlier than 'to'")
    buckets = (end_at - start_at).total_seconds() / every_s
    if buckets > MAX_BUCKETS:
        raise BadParameter(
            "every", f"gives {int(buckets)} buckets between 'from' and 'to', more than {MAX_BUCKETS}: widen it"
        )
    return TimeRange(start_at, end_at)
