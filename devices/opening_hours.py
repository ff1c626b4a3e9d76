"""Opening hours in OpenStreetMap's ``opening_hours`` syntax, read by opening-hours-py (the Rust parser of the
OSM wiki's specification): validated when the registry loads, evaluated for "open now" in the town's time zone."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import OpeningHours, State

# The stubs name SyntaxError; the library raises its own ParserError (not a SyntaxError subclass) since 1.x.
_PARSE_ERRORS: tuple[type[Exception], ...] = (getattr(opening_hours, "ParserError", SyntaxError), SyntaxError)


@lru_cache(maxsize=4096)
def parse_opening_hours(text: str) -> OpeningHours:
    """The parsed expression; ValueError with the parser's reason when ``text`` is not valid syntax."""
    try:
        return OpeningHours(text, auto_country=False, auto_timezone=False)
    except _PARSE_ERRORS as exc:
        # The parser's message draws an arrow under the offending character; keep its last line (what it expected).
        lines = [line.strip(" |=") for line in str(exc).splitlines() if line.strip(" |=")]
        reason = lines[-1] if lines else "syntax error"
        raise ValueError(
            f"'{text}' is not in OpenStreetMap opening_hours syntax (e.g. 'Mo-Fr 07:00-19:00; Sa 09:00-12:00'): "
            f"{reason}"
        ) from None


def open_at(text: str | None, when: datetime, timezone: ZoneInfo) -> bool | None:
    """Whether a place with these opening hours is open at ``when`` (aware) in ``timezone``'s local time: ``None``
    when the expression says unknown; ``True`` when there are no opening hours (always open)."""
    if text is None:
        return True
    local = when.astimezone(timezone).replace(tzinfo=None)
    state, _comment = parse_opening_hours(text).state(local)
    if state == State.UNKNOWN:
        return None
    return state == State.OPEN
