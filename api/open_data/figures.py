"""The live figures every feed publishes, taken from the API's own view of a parking (ridebuy.api.views.figures), so
that a feed and /v1/parkings say the same at the same moment. Unknown stays unknown: no figure is made up."""

from __future__ import annotations

from dataclasses import dataclass

from ridebuy.api.timeparams import to_ns
from ridebuy.api.views import Moment, figures
from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.devices.opening_hours import open_at
from ridebuy.devices.registry import Parking

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


def open_now(parking: Parking, moment: Moment) -> bool | None:
    """Whether the parking is open at ``moment``, as /v1/parkings' ``open_now`` says (the same function, in the
    town's time zone: no opening hours means always open), and closed whenever the registry marks it closed;
    None when its hours say "unknown" at that moment."""
    if parking.closed:
        return False
    return open_at(parking.opening_hours, moment.now, moment.timezone)
