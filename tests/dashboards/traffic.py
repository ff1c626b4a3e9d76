"""Fill an InfluxDB with days of realistic traffic, along the real write path without the broker in between.

The simulator's engine makes the native MQTT messages the Hannut devices would send; each goes through
``decode_native`` (as the ingest does), its readings become points with the schema helpers, the live fold gives the
``availability`` points, rejected messages become ``ingest_errors`` points, and the real InfluxDB store writes it
all. One device falls silent a few hours before the end, so that offline lists and unknown spaces have something
to show.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from ridebuy.devices.availability import AvailabilityFold
from ridebuy.devices.decoding import decode_message
from ridebuy.devices.native import decode_native
from ridebuy.devices.readings import PassageReading
from ridebuy.devices.registry import Registry, load_registry, parse_registry, sample_registry_path
from ridebuy.devices.rejections import Rejected
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import Engine
from ridebuy.store.influx import InfluxStore
from ridebuy.store.points import Point, availability_point, reading_points, rejection_point

SILENT_DEVICE = "hs-rack-2"
"""Stops sending ``SILENT_FOR_S`` before the end: offline, and its spaces unknown."""
SILENT_FOR_S = 6 * 3600
EXPIRE_EVERY_S = 300
"""How often the fold is re-evaluated between messages (devices fall silent without a message saying so)."""
BAD_MESSAGE_EVERY_S = 1800
BATCH = 5000
TEST_HEARTBEAT_S = 2400
"""Heartbeats of the test fleet: less chatty than the sample registry's, to keep the fill fast (the shape of the
data is the same); still well below the dashboards' default offline threshold of one hour."""
OCCUPANCY_STEP_S = 900.0
CYCLE_CLASSES = ("bike", "cargo", "ebike")

# A few messages the ingest must dead-letter, one per reason the dashboards should show.
_BAD_MESSAGES: tuple[tuple[str, bytes], ...] = (
    ("ridebuy/v1/devices/stolen-42/occupancy", b'{"occupied": 3}'),
    ("ridebuy/v1/devices/gp-rack-1/occupancy", b"{not json"),
    ("ridebuy/v1/devices/gp-rack-1/occupancy", b'{"occupied": -4}'),
    ("ridebuy/v1/devices/cn-count-1/occupancy", b'{"occupied": 1}'),
    ("ridebuy/v2/whatever", b"{}"),
)


@dataclass(slots=True)
class Filled:
    """What was written, for the tests' cross-checks."""

    start_s: float
    end_s: float
    points: int = 0
    messages: int = 0
    rejections: Counter[str] = field(default_factory=Counter)
    cycle_passages: int = 0
    inbound_cycle_passages: int = 0
    devices: set[str] = field(default_factory=set)


def test_registry() -> Registry:
    """The Hannut sample registry with :data:`TEST_HEARTBEAT_S` heartbeats."""
    data = load_registry(sample_registry_path()).model_dump(mode="json", exclude_none=True)
    for device in data["devices"]:
        device["heartbeat_s"] = TEST_HEARTBEAT_S
    return parse_registry(data, "hannut.yaml (test heartbeats)")


def fill(store: InfluxStore, days: float, *, registry: Registry | None = None, seed: int = 6) -> Filled:
    registry = registry or test_registry()
    end_s = time.time() - 60
    start_s = end_s - days * 86_400
    engine = Engine(registry, seed, start_s, occupancy_step_s=OCCUPANCY_STEP_S)
    clock = SimClock(real_origin_s=start_s, sim_origin_s=start_s)
    fold = AvailabilityFold(registry)
    filled = Filled(start_s, end_s)
    batch: list[Point] = []
    next_expire_s = start_s + EXPIRE_EVERY_S
    next_bad_s = start_s + BAD_MESSAGE_EVERY_S
    bad_index = 0
    rejection_seq = 0

    def flush(force: bool = False) -> None:
        if batch and (force or len(batch) >= BATCH):
            store.write(batch)
            filled.points += len(batch)
            batch.clear()

    for message in engine.run(clock, start_s, end_s):
        if message.device_id == SILENT_DEVICE and message.real_s > end_s - SILENT_FOR_S:
            continue
        while next_expire_s <= message.real_s:
            batch.extend(availability_point(a, int(next_expire_s * 1e9)) for a in fold.expire(int(next_expire_s * 1e9)))
            next_expire_s += EXPIRE_EVERY_S
        if message.real_s >= next_bad_s:
            topic, payload = _BAD_MESSAGES[bad_index % len(_BAD_MESSAGES)]
            received_ns = int(next_bad_s * 1e9)
            try:
                decode_native(topic, payload, received_ns, registry)
            except Rejected as rejection:
                batch.append(rejection_point(rejection, topic, payload, received_ns + rejection_seq))
                filled.rejections[rejection.reason.value] += 1
                rejection_seq += 1
            else:  # pragma: no cover - the messages above are all bad
                raise AssertionError(f"{topic} {payload!r} was accepted")
            bad_index += 1
            next_bad_s += BAD_MESSAGE_EVERY_S
        received_ns = int(message.due_s * 1e9)
        filled.messages += 1
        for reading in decode_message(message.topic, message.payload, received_ns, registry):
            filled.devices.add(reading.device_id)
            batch.extend(reading_points(reading))
            batch.extend(availability_point(a, reading.ts_ns) for a in fold.apply(reading, reading.ts_ns))
        if isinstance(reading, PassageReading) and reading.traffic_class.value in CYCLE_CLASSES:
            filled.cycle_passages += reading.count
            if reading.direction.value == "in":
                filled.inbound_cycle_passages += reading.count
        flush()
    end_ns = int(end_s * 1e9)
    batch.extend(availability_point(a, end_ns) for a in fold.expire(end_ns))
    flush(force=True)
    return filled
