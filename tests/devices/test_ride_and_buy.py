"""The Ride and Buy assumptions: one place, sensible defaults, refused nonsense, and the estimates they give."""

from __future__ import annotations

import dataclasses

import pytest

from ridebuy.devices.ride_and_buy import (
    DEFAULT_ASSUMPTIONS,
    RideAndBuyAssumptions,
    car_km_avoided,
    co2_avoided_kg,
    is_full,
)


def test_defaults_are_the_documented_placeholders() -> None:
    assert RideAndBuyAssumptions(trip_km=3.0, car_share=0.5, co2_g_per_km=170.0, full_pct=85.0) == DEFAULT_ASSUMPTIONS
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_ASSUMPTIONS.trip_km = 5.0  # type: ignore[misc]


def test_estimates() -> None:
    assert car_km_avoided(1000) == 1500.0
    assert co2_avoided_kg(1000) == pytest.approx(255.0)  # 1000 trips x 3 km x 0.5 x 170 g
    own = RideAndBuyAssumptions(trip_km=2.0, car_share=0.25, co2_g_per_km=120.0)
    assert co2_avoided_kg(1000, own) == pytest.approx(60.0)
    assert co2_avoided_kg(0) == 0


def test_full_from_the_threshold() -> None:
    assert is_full(17, 20) and not is_full(16, 20)  # 85 % of 20 is 17
    assert is_full(25, 20)  # bikes locked beside a full rack
    assert not is_full(0, 0)  # no capacity: never "full"
    assert is_full(10, 20, RideAndBuyAssumptions(full_pct=50))


@pytest.mark.parametrize(
    ("field", "value"), [("trip_km", -1.0), ("car_share", 1.5), ("co2_g_per_km", -3.0), ("full_pct", 0.0)]
)
def test_nonsense_is_refused_with_the_field_named(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=field):
        RideAndBuyAssumptions(**{field: value})
