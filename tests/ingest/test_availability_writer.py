"""The ingest's availability fold (ingest.availability_writer): what it writes for readings whose time is off."""

from __future__ import annotations

import json

from ridebuy.devices.decoding import decode_message
from ridebuy.devices.topics import device_topic
from ridebuy.ingest.availability_writer import AvailabilityWriter
from ridebuy.store.points import Point
from tests.devices.helpers import small_registry

S = 1_000_000_000
NOW = 1_777_880_000 * S
REGISTRY = small_registry()


def fold(live: AvailabilityWriter, occupied: int, ts_ns: int, received_ns: int) -> list[Point]:
    payload = json.dumps({"ts": ts_ns // 1_000_000, "occupied": occupied}).encode()
    points = []
    for reading in decode_message(device_topic("gare-rack", "occupancy"), payload, received_ns, REGISTRY):
        points.extend(live.apply(reading, received_ns))
    return points


def test_a_device_clock_that_ran_ahead_then_was_corrected_is_followed_at_once() -> None:
    live = AvailabilityWriter(REGISTRY)
    ahead = fold(live, 3, NOW + 240 * S, NOW)
    assert [(p.field("occupied"), p.time_ns) for p in ahead] == [(3, NOW)]  # nothing written in the future
    corrected = fold(live, 1, NOW + 10 * S, NOW + 10 * S)
    assert [(p.field("occupied"), p.time_ns) for p in corrected] == [(1, NOW + 10 * S)]


def test_late_history_is_judged_at_its_own_time() -> None:
    live = AvailabilityWriter(REGISTRY)
    points = fold(live, 2, NOW - 3600 * S, NOW)
    assert [(p.field("occupied"), p.time_ns) for p in points] == [(2, NOW - 3600 * S)]
