"""The live figures every feed publishes, taken from the API's own view of a parking (ridebuy.api.views.figures), so
that a feed and /v1/parkings say the same at the same moment. Unknown stays unknown: no figure is made up."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from opening_hours import OpeningHours

from ridebuy.api.timeparams import to_ns
from ridebuy.api.views import figures
from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.devices.registry import Parking

log = logging.getLogger(__name__)

ALMOST_FULL_SHARE = 0.1
"""At or below this share of the watched spaces free, a parking is almost full (DATEX II ``almostFull``)."""


@dataclass(frozen=True, slots=True)
class LiveFigures:
    capacity: int
    free: int | None
    """Free places as /v1/parkings says; None when nothing is known (status unknown)."""
    occupied: int | None
    unknown: int
    """Places whose sensor is silent: neither free nor occupied as far as anyone knows."""
    status: ParkingStatus
    last_updated_ns: int | None

    @property
    def occupancy_pct(self) -> float | None:
        """Occupied share of the watched places (the unknown ones cannot be counted either way)."""
        if self.free is None or self.occupied is None or self.status is ParkingStatus.CLOSED:
            return None
        watched = self.free + self.occupied
        return round(min(self.occupied / watched, 1.0) * 100, 1) if watched else None


def live_figures(parking: Parking, availability: Availability | None) -> LiveFigures:
    shown = figures(parking, availability)
    known = shown.status is not ParkingStatus.UNKNOWN
    return LiveFigures(
        capacity=parking.capacity,
        free=shown.free if known else None,
        occupied=shown.occupied if known else None,
        unknown=shown.unknown,
        status=shown.status,
        last_updated_ns=to_ns(shown.last_updated) if shown.last_updated is not None else None,
    )


def open_now(parking: Parking, moment_ns: int) -> bool | None:
    """Whether the parking is open at ``moment_ns``: closed in the registry, else by its ``opening_hours``
    (OpenStreetMap syntax, read in the time zone and with the public holidays of the parking's coordinates);
    None when the registry does not say or the hours cannot be read."""
    if parking.closed:
        return False
    if parking.opening_hours is None:
        return None
    hours = _parsed_hours(parking.opening_hours, parking.lat, parking.lon)
    if hours is None:
        return None
    moment = datetime.fromtimestamp(moment_ns // 1_000_000_000, _UTC)
    return bool(hours.is_open(moment))


_UTC = ZoneInfo("UTC")  # the parser wants a zone with a key, not datetime.UTC


@functools.lru_cache(maxsize=1024)
def _parsed_hours(expression: str, lat: float, lon: float) -> OpeningHours | None:
    try:
        return OpeningHours(expression, coords=(lat, lon), auto_timezone=True, auto_country=True)
    except Exception as exc:  # its ParserError is missing from its type stubs
        log.warning("cannot read opening_hours %r: %s", expression, exc)
        return None
