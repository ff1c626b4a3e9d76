"""The Ride and Buy assumptions: one place, sensible defaults, refused nonsense, and the estimates they give."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from ridebuy.devices.ride_and_buy import (
    CYCLE_CLASSES,
    DEFAULT_ASSUMPTIONS,
    RideAndBuyAssumptions,
    car_km_avoided,
    co2_avoided_g_per_trip,
    co2_avoided_kg,
    is_full,
    is_visit,
    totals,
)

RIDE_AND_BUY_MODEL = Path(__file__).resolve().parents[2] / "dashboards" / "models" / "ride-and-buy.json"


def test_defaults_are_the_documented_placeholders() -> None:
    assert RideAndBuyAssumptions(trip_km=3.0, car_share=0.5, co2_g_per_km=170.0, full_pct=85.0) == DEFAULT_ASSUMPTIONS
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_ASSUMPTIONS.trip_km = 5.0  # type: ignore[misc]


def test_the_cycle_classes_are_those_the_dashboard_counts() -> None:
    panels = json.loads(RIDE_AND_BUY_MODEL.read_text())["panels"]
    queries = [t["query"] for p in panels for t in p.get("targets", []) if "passages" in t["query"]]
    assert queries
    for query in queries:
        assert '"class" =~ /^(' + "|".join(CYCLE_CLASSES) + ")$/" in query


def test_estimates() -> None:
    assert car_km_avoided(1000) == 1500.0
    assert co2_avoided_g_per_trip() == 255.0
    assert co2_avoided_kg(1000) == pytest.approx(255.0)  # 1000 trips x 3 km x 0.5 x 170 g
    own = RideAndBuyAssumptions(trip_km=2.0, car_share=0.25, co2_g_per_km=120.0)
    assert co2_avoided_kg(1000, own) == pytest.approx(60.0)
    assert co2_avoided_kg(0) == 0


def test_visits_are_inbound_cyclists_and_trips_both_directions() -> None:
    summed = totals(
        [
            ("in", "bike", 10),
            ("out", "bike", 7),
            ("in", "cargo", 2),
            ("in", "ebike", 3),
            ("in", "pedestrian", 50),  # walkers are not cyclists
            ("out", "ebike", None),  # a gap, not a zero
        ]
    )
    assert (summed.visits, summed.cycle_trips) == (15, 22)
    assert summed.co2_avoided_kg() == pytest.approx(22 * 0.255)
    assert is_visit("in", "cargo") and not is_visit("out", "bike") and not is_visit("in", "pedestrian")


def test_full_from_the_threshold() -> None:
    assert is_full(17, 20) and not is_full(16, 20)  # 85 % of 20 is 17
    assert is_full(25, 20)  # bikes locked beside a full rack
    assert not is_full(0, 0)  # no capacity: never "full"
    assert is_full(10, 20, RideAndBuyAssumptions(full_pct=50))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("trip_km", -1.0),
        ("car_share", 1.5),
        ("co2_g_per_km", -3.0),
        ("co2_g_per_km", float("nan")),
        ("trip_km", True),
        ("full_pct", 0.0),
    ],
)
def test_nonsense_is_refused_with_the_field_named(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RideAndBuyAssumptions(**{field: value})
