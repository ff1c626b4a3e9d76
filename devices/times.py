"""RFC 3339 date-times, read exactly: the one parser for device times and network servers' times."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone

# RFC 3339 section 5.6, exactly: full-date "T" full-time, "T" and "Z" in either case (ABNF is case-insensitive),
# seconds required, a numeric offset with its colon. ISO 8601's other forms (week or ordinal dates, basic format,
# no offset, a space for "T", hour 24) are not RFC 3339.
_RFC3339 = re.compile(
    r"(?P<date>\d{4}-\d{2}-\d{2})[Tt](?P<time>\d{2}:\d{2}:\d{2})(?:\.(?P<fraction>\d+))?"
    r"(?:(?P<utc>[Zz])|(?P<sign>[+-])(?P<oh>\d{2}):(?P<om>\d{2}))",
    re.ASCII,
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def rfc3339_ns(text: str) -> int:
    """An RFC 3339 date-time (fraction up to nanoseconds) -> nanoseconds since the epoch; ValueError otherwise."""
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError("not an RFC 3339 date-time with an offset, e.g. 2026-05-04T08:15:00Z")
    offset = timedelta(0)
    if match["sign"]:
        hours, minutes = int(match["oh"]), int(match["om"])
        if hours > 23 or minutes > 59:
            raise ValueError("an impossible UTC offset")
        offset = (1 if match["sign"] == "+" else -1) * timedelta(hours=hours, minutes=minutes)
    try:
        moment = datetime.fromisoformat(f"{match['date']}T{match['time']}").replace(tzinfo=timezone(offset))
    except ValueError as exc:
        raise ValueError(f"not a valid date-time: {exc}") from None
    delta = moment - _EPOCH
    fraction_ns = int((match["fraction"] or "")[:9].ljust(9, "0"))
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + fraction_ns
