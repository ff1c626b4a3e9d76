"""The Ride and Buy assumptions, in one place: what a counted cycle trip is taken to be worth.

The dashboards' variable defaults, the monthly report and the display panel all read :data:`DEFAULT_ASSUMPTIONS`,
so that a figure shown to the council is computed the same way everywhere. The values are placeholders, not
measurements: a town replaces them with its own (a mobility survey, its car fleet's emissions) and says which it
used when it publishes a figure.
"""

from __future__ import annotations

from dataclasses import dataclass

CYCLE_CLASSES: tuple[str, ...] = ("bike", "cargo", "ebike")
"""Traffic classes counted as cycle trips (pedestrians are not)."""


@dataclass(frozen=True, slots=True)
class RideAndBuyAssumptions:
    trip_km: float = 3.0
    """Average one-way length of a cycle trip to or from the centre, in km."""
    car_share: float = 0.5
    """Share (0..1) of cycle trips that would otherwise have been made by car."""
    co2_g_per_km: float = 170.0
    """CO2 emitted by the car trip avoided, in g per km."""
    full_pct: float = 85.0
    """Occupancy (% of capacity) from which a parking counts as full for the Ride and Buy figures."""

    def __post_init__(self) -> None:
        if self.trip_km < 0:
            raise ValueError(f"trip_km must be >= 0, got {self.trip_km}")
        if not 0 <= self.car_share <= 1:
            raise ValueError(f"car_share must be between 0 and 1, got {self.car_share}")
        if self.co2_g_per_km < 0:
            raise ValueError(f"co2_g_per_km must be >= 0, got {self.co2_g_per_km}")
        if not 0 < self.full_pct <= 100:
            raise ValueError(f"full_pct must be in (0, 100], got {self.full_pct}")


DEFAULT_ASSUMPTIONS = RideAndBuyAssumptions()


def car_km_avoided(cycle_trips: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    """Car kilometres not driven: each cycle trip counted is ``trip_km`` of which ``car_share`` replaced a car."""
    return cycle_trips * assumptions.trip_km * assumptions.car_share


def co2_avoided_kg(cycle_trips: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> float:
    """Estimated CO2 avoided, in kg, for a number of counted cycle trips (passages in and out)."""
    return car_km_avoided(cycle_trips, assumptions) * assumptions.co2_g_per_km / 1000


def is_full(occupied: float, capacity: float, assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS) -> bool:
    """Whether a parking counts as full: occupied at least ``full_pct`` % of its capacity."""
    return capacity > 0 and 100 * occupied / capacity >= assumptions.full_pct
