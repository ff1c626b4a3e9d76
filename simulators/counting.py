"""Passages at a counting site: bikes, e-bikes, cargo bikes and pedestrians, in and out of the town centre.

Rates follow daily curves per direction: in the morning people come *in* to the centre (school, work, market),
in the late afternoon they go *out*; weekends have one broad midday hump. Counts for an interval are Poisson
draws of the integrated rate, so quiet quarter hours honestly count 0.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from itertools import pairwise

from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.simulators.clock import local_time
from ridebuy.simulators.profiles import SATURDAY, SUNDAY, Curve, interpolate
from ridebuy.simulators.sampling import poisson

BIKE_PER_DAY = 450.0
"""Bicycle passages per direction on a weekday at a typical entrance of the centre (scaled per site)."""

PEDESTRIAN_PER_DAY = 700.0
"""Pedestrian passages per direction on a weekday at a typical entrance."""

CYCLE_SPLIT: Mapping[TrafficClass, float] = {
    TrafficClass.BIKE: 0.62,
    TrafficClass.EBIKE: 0.30,
    TrafficClass.CARGO: 0.08,
}
"""Share of each kind of cycle in bicycle traffic."""

DAY_FACTOR = {SATURDAY: 0.8, SUNDAY: 0.55}
"""Daily volume on weekend days relative to a weekday."""

_WEEKDAY_IN: Curve = (
    (0, 0.05),
    (5.5, 0.1),
    (6.5, 0.8),
    (7.6, 4.0),
    (8.3, 3.5),
    (9, 1.2),
    (11, 1.0),
    (12, 1.4),
    (13.3, 1.6),
    (14, 1.1),
    (15.5, 1.0),
    (16.5, 1.5),
    (17.5, 1.3),
    (19, 0.6),
    (21, 0.3),
    (24, 0.05),
)
_WEEKDAY_OUT: Curve = (
    (0, 0.05),
    (6, 0.1),
    (7.5, 0.8),
    (8.5, 0.9),
    (11, 0.9),
    (12.2, 1.6),
    (13.5, 1.2),
    (15, 1.2),
    (15.8, 3.2),
    (17.3, 3.8),
    (18.5, 2.0),
    (20, 0.8),
    (22, 0.3),
    (24, 0.05),
)
_SATURDAY_IN: Curve = (
    (0, 0.05),
    (8, 0.3),
    (10, 1.5),
    (11.5, 2.0),
    (14, 1.5),
    (16, 1.2),
    (18, 0.5),
    (21, 0.2),
    (24, 0.05),
)
_SATURDAY_OUT: Curve = (
    (0, 0.05),
    (9, 0.3),
    (11, 1.0),
    (12.5, 1.8),
    (15, 1.5),
    (17, 1.8),
    (18.5, 1.0),
    (21, 0.3),
    (24, 0.05),
)
_SUNDAY: Curve = ((0, 0.05), (9, 0.3), (11, 1.2), (15, 1.4), (17, 1.0), (20, 0.3), (24, 0.05))

MAX_STEP_S = 900.0
"""Long intervals (high speed-ups) are integrated in steps of at most this many seconds."""


def _area(curve: Curve) -> float:
    """Integral over the day of a piecewise-linear curve, in curve units x hours."""
    return sum((h1 - h0) * (v0 + v1) / 2 for (h0, v0), (h1, v1) in pairwise(curve))


def _curve(direction: Direction, weekday: int) -> Curve:
    if weekday == SUNDAY:
        return _SUNDAY
    inbound = direction is Direction.IN
    if weekday == SATURDAY:
        return _SATURDAY_IN if inbound else _SATURDAY_OUT
    return _WEEKDAY_IN if inbound else _WEEKDAY_OUT


def hourly_rate(direction: Direction, when: datetime, per_day: float) -> float:
    """Expected passages per hour in ``direction`` at local time ``when`` for a site of ``per_day`` a weekday."""
    weekday = when.weekday()
    curve = _curve(direction, weekday)
    hour = when.hour + when.minute / 60 + when.second / 3600
    return per_day * DAY_FACTOR.get(weekday, 1.0) * interpolate(curve, hour) / _area(curve)


class CounterModel:
    """Counts of one counting site; ``scale`` sets how busy it is compared with a typical entrance."""

    def __init__(self, rng: random.Random, scale: float = 1.0) -> None:
        self._rng = rng
        self.scale = scale

    def expected(self, direction: Direction, traffic_class: TrafficClass, start_s: float, end_s: float) -> float:
        """Expected passages in the simulated span [start_s, end_s) (epoch seconds)."""
        if traffic_class is TrafficClass.PEDESTRIAN:
            per_day, share = PEDESTRIAN_PER_DAY, 1.0
        else:
            per_day, share = BIKE_PER_DAY, CYCLE_SPLIT[traffic_class]
        total, at = 0.0, start_s
        while at < end_s:
            step = min(MAX_STEP_S, end_s - at)
            rate = hourly_rate(direction, local_time(at + step / 2), per_day * self.scale * share)
            total += rate * step / 3600
            at += step
        return total

    def counts(self, start_s: float, end_s: float) -> dict[tuple[Direction, TrafficClass], int]:
        """Passages per direction and class in the simulated span [start_s, end_s), zeros included."""
        return {
            (direction, traffic_class): poisson(self._rng, self.expected(direction, traffic_class, start_s, end_s))
            for direction in Direction
            for traffic_class in TrafficClass
        }
