"""Ride and Buy figures: cyclist visits to the centre and the CO2 their trips avoid (one place for the assumptions).

The Ride and Buy dashboard's variable defaults, the display panels' message line and the council report all compute
the same way, with the same defaults (:data:`DEFAULT_ASSUMPTIONS`):

* a **visit** is one cycle passage (bike, cargo bike or e-bike; never a pedestrian) counted *entering* the centre
  (direction ``in``) by any of its counters;
* a **cycle trip** is one cycle passage in either direction;
* the **CO2 avoided** is trips x ``trip_km`` x ``car_share`` x ``co2_g_per_km`` / 1000, in kg;
* a parking counts as **full** from ``full_pct`` % of its capacity.

The defaults (3 km, 0.5, 170 g CO2 per car km, 85 %) are placeholders, not measurements: a town sets its own and
should say which it used when it publishes a figure. Pure functions, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

CYCLE_CLASSES: tuple[str, ...] = ("bike", "cargo", "ebike")
"""Passage classes that are cyclists (the dashboard's ``/^(bike|cargo|ebike)$/``); pedestrians are not."""
INBOUND = "in"
"""The direction of a passage entering the centre."""


@dataclass(frozen=True, slots=True)
class RideAndBuyAssumptions:
    """What one cycle trip is taken to save; the Ride and Buy dashboard's variables of the same names."""

    trip_km: float = 3.0
    """Average one-way length of a cycle trip to or from the centre, in km."""
    car_share: float = 0.5
    """Share of cycle trips that would otherwise be made by car (0..1)."""
    co2_g_per_km: float = 170.0
    """Emissions of the car trip avoided, in g CO2 per km."""
    full_pct: float = 85.0
    """Occupancy (% of capacity) from which a parking counts as full for the Ride and Buy figures."""

    def __post_init__(self) -> None:
        for name in ("trip_km", "car_share", "co2_g_per_km", "full_pct"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, not {value!r}")
        if self.car_share > 1:
            raise ValueError(f"car_share is a share between 0 and 1, not {self.car_share!r}")
        if not 0 < self.full_pct <= 100:
            raise ValueError(f"full_pct must be in (0, 100], not {self.full_pct!r}")


DEFAULT_ASSUMPTIONS = RideAndBuyAssumptions()


def is_cycle(traffic_class: str) -> bool:
    return traffic_class in CYCLE_CLASSES


def is_visit(direction: str, traffic_class: str) -> bool:
    """Whether a passage of this direction and class is a cyclist visit to the centre."""
    return direction == INBOUND and is_cycle(traffic_class)


def co2_avoided_g_per_trip(assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    """Grams of CO2 one cycle trip avoids under these assumptions (3 x 0.5 x 170 = 255 g by default)."""
    return assumptions.trip_km * assumptions.car_share * assumptions.co2_g_per_km


def car_km_avoided(cycle_trips: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    """Car kilometres not driven: each cycle trip counted is ``trip_km`` of which ``car_share`` replaced a car."""
    return cycle_trips * assumptions.trip_km * assumptions.car_share


def co2_avoided_kg(cycle_trips: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    """Estimated kg of CO2 avoided by ``cycle_trips`` cycle passages (in and out), as the dashboard computes it."""
    if cycle_trips < 0:
        raise ValueError(f"cycle_trips must be >= 0, not {cycle_trips!r}")
    return cycle_trips * co2_avoided_g_per_trip(assumptions) / 1000


def is_full(occupied: float, capacity: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> bool:
    """Whether a parking counts as full: occupied at least ``full_pct`` % of its capacity."""
    return capacity > 0 and 100 * occupied / capacity >= assumptions.full_pct


@dataclass(frozen=True, slots=True)
class RideAndBuyTotals:
    """Counted passages over a period: cyclist visits (inbound) and cycle trips (both directions)."""

    visits: int
    cycle_trips: int

    def co2_avoided_kg(self, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
        return co2_avoided_kg(self.cycle_trips, assumptions)


def totals(passages: Iterable[tuple[str, str, int | None]]) -> RideAndBuyTotals:
    """Sum ``(direction, class, count)`` passages (``None`` counts are gaps, not zeros: skipped)."""
    visits = trips = 0
    for direction, traffic_class, count in passages:
        if count is None or not is_cycle(traffic_class):
            continue
        trips += count
        if direction == INBOUND:
            visits += count
    return RideAndBuyTotals(visits, trips)
