"""Finding the refused points of a refused write in few requests (ingest.refused_points)."""

from __future__ import annotations

import math

import pytest

from ridebuy.ingest.refused_points import find_refused
from ridebuy.store.base import StoreRejected
from ridebuy.store.points import Point
from tests.ingest.poisoned_store import PoisonedStore, field_is


def occupancy(n: int) -> Point:
    return Point("occupancy", (("device", f"d{n % 50}"),), (("occupied", n % 7),), n)


def availability(n: int) -> Point:
    return Point("availability", (("parking", f"p{n % 20}"),), (("free", n % 5), ("status", "ok")), n)


def first_refusal(store: PoisonedStore, points: list[Point]) -> StoreRejected:
    with pytest.raises(StoreRejected) as refused:
        store.write(points)
    return refused.value


def test_a_poisoned_field_costs_one_request_per_kind_of_point_not_one_per_point() -> None:
    # Every message brings a reading and an availability point; availability.free is poisoned for the shard.
    points = [p for n in range(2_500) for p in (occupancy(n), availability(n))]
    store = PoisonedStore(field_is("free", int))
    refused = find_refused(store.write, points, first_refusal(store, points))
    assert set(refused) == {p for p in points if p.measurement == "availability"}
    assert {p for p in points if p.measurement == "occupancy"} <= set(store.stored)
    assert store.requests <= 3  # the batch, then one per kind of point


def test_one_bad_point_among_thousands_is_found_by_halving() -> None:
    points = [occupancy(n) for n in range(5_000)]
    bad = Point("occupancy", (("device", "d1"),), (("occupied", "seven"),), 77)
    points.insert(3_210, bad)
    for partial in (True, False):  # InfluxDB keeps the rest of a write; SQLite refuses it whole
        store = PoisonedStore(field_is("occupied", str), partial=partial)
        refused = find_refused(store.write, points, first_refusal(store, points))
        assert list(refused) == [bad]
        assert set(points) - {bad} <= set(store.stored)
        assert store.requests <= 2 * math.ceil(math.log2(len(points))) + 2
