from __future__ import annotations

import random

from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.simulators.counting import BIKE_PER_DAY, CounterModel
from tests.simulators.conftest import local_epoch

HOUR_S = 3600


def expected(model: CounterModel, direction: Direction, begin: str, end: str) -> float:
    return sum(model.expected(direction, cls, local_epoch(begin), local_epoch(end)) for cls in TrafficClass)


def test_more_come_in_in_the_morning_and_more_go_out_in_the_evening() -> None:
    model = CounterModel(random.Random(1))
    morning_in = expected(model, Direction.IN, "2026-05-05T07:00", "2026-05-05T09:00")
    morning_out = expected(model, Direction.OUT, "2026-05-05T07:00", "2026-05-05T09:00")
    evening_in = expected(model, Direction.IN, "2026-05-05T16:00", "2026-05-05T18:30")
    evening_out = expected(model, Direction.OUT, "2026-05-05T16:00", "2026-05-05T18:30")
    assert morning_in > 2 * morning_out
    assert evening_out > 1.5 * evening_in


def test_drawn_counts_follow_the_morning_peak_over_a_week_of_quarter_hours() -> None:
    model = CounterModel(random.Random(2))
    ins = outs = 0
    for day in ("04", "05", "06", "07", "08"):
        start = local_epoch(f"2026-05-{day}T07:00")
        for quarter in range(8):
            counts = model.counts(start + quarter * 900, start + (quarter + 1) * 900)
            ins += sum(n for (direction, _), n in counts.items() if direction is Direction.IN)
            outs += sum(n for (direction, _), n in counts.items() if direction is Direction.OUT)
    assert ins > 2 * outs > 0


def test_a_weekday_balances_in_and_out_and_matches_the_daily_volume() -> None:
    model = CounterModel(random.Random(3), scale=1.0)
    cycles = [TrafficClass.BIKE, TrafficClass.EBIKE, TrafficClass.CARGO]
    day_in = sum(
        model.expected(Direction.IN, cls, local_epoch("2026-05-05T00:00"), local_epoch("2026-05-06T00:00"))
        for cls in cycles
    )
    day_out = sum(
        model.expected(Direction.OUT, cls, local_epoch("2026-05-05T00:00"), local_epoch("2026-05-06T00:00"))
        for cls in cycles
    )
    assert abs(day_in - BIKE_PER_DAY) < 0.02 * BIKE_PER_DAY
    assert abs(day_out - BIKE_PER_DAY) < 0.02 * BIKE_PER_DAY


def test_counts_cover_every_direction_and_class_with_zeros_at_night() -> None:
    model = CounterModel(random.Random(4))
    night = model.counts(local_epoch("2026-05-05T03:00"), local_epoch("2026-05-05T03:15"))
    assert set(night) == {(d, c) for d in Direction for c in TrafficClass}
    assert 0 in night.values()
    assert all(n >= 0 for n in night.values())


def test_the_weekend_is_quieter_than_a_weekday() -> None:
    model = CounterModel(random.Random(5))
    weekday = expected(model, Direction.IN, "2026-05-05T00:00", "2026-05-06T00:00")
    sunday = expected(model, Direction.IN, "2026-05-10T00:00", "2026-05-11T00:00")
    assert sunday < 0.7 * weekday


def test_a_long_interval_integrates_the_same_as_its_quarter_hours() -> None:
    model = CounterModel(random.Random(6))
    start = local_epoch("2026-05-05T06:00")
    whole = model.expected(Direction.IN, TrafficClass.EBIKE, start, start + 6 * HOUR_S)
    parts = sum(
        model.expected(Direction.IN, TrafficClass.EBIKE, start + q * 900, start + (q + 1) * 900) for q in range(24)
    )
    assert abs(whole - parts) < 1e-6 * parts
