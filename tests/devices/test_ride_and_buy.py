"""The Ride and Buy assumptions live in one place and agree with the dashboard's variables."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ridebuy.devices.ride_and_buy import (
    CYCLE_CLASSES,
    DEFAULT_ASSUMPTIONS,
    RideAndBuyAssumptions,
    co2_avoided_g_per_trip,
    co2_avoided_kg,
    is_visit,
    totals,
)

DASHBOARD = Path(__file__).resolve().parents[2] / "dashboards" / "grafana" / "dashboards" / "ride-and-buy.json"


def test_the_defaults_are_the_dashboard_variables() -> None:
    variables = {v["name"]: v for v in json.loads(DASHBOARD.read_text())["templating"]["list"]}
    for name in ("trip_km", "car_share", "co2_g_per_km"):
        assert float(variables[name]["query"]) == getattr(DEFAULT_ASSUMPTIONS, name)
        assert float(variables[name]["current"]["value"]) == getattr(DEFAULT_ASSUMPTIONS, name)


def test_the_cycle_classes_are_those_the_dashboard_counts() -> None:
    panels = json.loads(DASHBOARD.read_text())["panels"]
    queries = [t["query"] for p in panels for t in p.get("targets", []) if "passages" in t["query"]]
    assert queries
    for query in queries:
        assert '"class" =~ /^(' + "|".join(sorted(CYCLE_CLASSES)) + ")$/" in query


def test_co2_is_trips_times_km_times_share_times_grams() -> None:
    assert co2_avoided_g_per_trip() == 255.0
    assert co2_avoided_kg(1000) == pytest.approx(255.0)
    own = RideAndBuyAssumptions(trip_km=4.0, car_share=0.25, co2_g_per_km=120.0)
    assert co2_avoided_kg(10, own) == pytest.approx(10 * 4 * 0.25 * 120 / 1000)


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


@pytest.mark.parametrize(
    "kwargs", [{"trip_km": -1.0}, {"car_share": 1.5}, {"co2_g_per_km": float("nan")}, {"trip_km": True}]
)
def test_impossible_assumptions_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RideAndBuyAssumptions(**kwargs)
