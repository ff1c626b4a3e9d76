"""Simulated LoRaWAN devices round-trip: engine -> codec bytes -> envelope -> decode_message -> readings."""

from __future__ import annotations

import time

from ridebuy.devices.decoding import UplinkDedup, decode_message
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceFormat, load_registry, parse_registry, sample_registry_path
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import Engine

REGISTRY = parse_registry(
    {
        "parkings": [{"id": "grand-place", "name": "Grand-Place", "lat": 50.67, "lon": 5.07, "capacity": 3}],
        "counters": [{"id": "centre-nord", "name": "Centre nord", "lat": 50.67, "lon": 5.07}],
        "devices": [
            {
                "id": "tps",
                "kind": "slot",
                "parking": "grand-place",
                "format": "ttn",
                "codec": "bosch-tps110",
                "dev_eui": "70B3D5E75E000001",
                "heartbeat_s": 600,
            },
            {
                "id": "vs340",
                "kind": "slot",
                "parking": "grand-place",
                "format": "chirpstack",
                "codec": "milesight-vs340",
                "dev_eui": "24E124538B000002",
                "heartbeat_s": 600,
            },
            {"id": "native", "kind": "slot", "parking": "grand-place", "heartbeat_s": 600},
            {
                "id": "vs350",
                "kind": "counter",
                "counter": "centre-nord",
                "format": "chirpstack",
                "codec": "milesight-vs350",
                "dev_eui": "24E124713D000003",
                "heartbeat_s": 600,
            },
        ],
    },
    "lorawan.yaml",
)


def simulate(registry: object, hours: float) -> list[tuple[str, bytes, float]]:
    start = time.time() - hours * 3600
    engine = Engine(registry, seed=5, sim_start_s=start)  # type: ignore[arg-type]
    clock = SimClock(real_origin_s=start, sim_origin_s=start, speed=1.0)
    return [(m.topic, m.payload, m.real_s) for m in engine.run(clock, start, start + hours * 3600)]


def test_every_simulated_uplink_decodes_back_to_readings() -> None:
    messages = simulate(REGISTRY, hours=3)
    by_device: dict[str, list[object]] = {}
    for topic, payload, real_s in messages:
        readings = decode_message(topic, payload, int(real_s * 1e9) + 1_000_000, REGISTRY)
        for reading in readings:
            by_device.setdefault(reading.device_id, []).append(reading)
    assert any(isinstance(r, OccupancyReading) for r in by_device["tps"])
    assert any(isinstance(r, OccupancyReading) for r in by_device["vs340"])
    assert sum(r.count for r in by_device["vs350"] if isinstance(r, PassageReading)) > 0
    assert {r.direction.value for r in by_device["vs350"] if isinstance(r, PassageReading)} == {"in", "out"}
    radio = [r for r in by_device["tps"] if isinstance(r, StatusReading)]
    assert radio
    assert all("rssi" in r.values and "f_cnt" in r.values for r in radio)
    assert any(topic.startswith("v3/") for topic, _, _ in messages)
    assert any(topic.startswith("application/") for topic, _, _ in messages)
    assert any(topic.startswith("ridebuy/v1/devices/native/") for topic, _, _ in messages)


def test_occupancy_survives_the_round_trip() -> None:
    start = time.time() - 3600
    engine = Engine(REGISTRY, seed=9, sim_start_s=start)
    clock = SimClock(real_origin_s=start, sim_origin_s=start, speed=1.0)
    for message in engine.run(clock, start, start + 3600):
        if message.device_id != "tps" or not message.topic.startswith("v3/"):
            continue
        readings = decode_message(message.topic, message.payload, int(message.real_s * 1e9) + 10**6, REGISTRY)
        occupancy = [r for r in readings if isinstance(r, OccupancyReading)]
        assert occupancy
        assert occupancy[0].occupied in (0, 1)
        assert occupancy[0].ts_ns // 10**6 == int(message.real_s * 1000)


def test_frame_counters_make_every_uplink_distinct() -> None:
    dedup = UplinkDedup()
    taken = 0
    for topic, payload, real_s in simulate(REGISTRY, hours=2):
        if topic.startswith(("v3/", "application/")):
            assert decode_message(topic, payload, int(real_s * 1e9) + 10**6, REGISTRY, dedup=dedup)
            taken += 1
    assert taken > 10
    assert dedup.duplicates == 0


def test_the_hannut_sample_has_lorawan_devices_that_simulate() -> None:
    registry = load_registry(sample_registry_path())
    formats = {d.format for d in registry.devices}
    assert {DeviceFormat.TTN, DeviceFormat.CHIRPSTACK} <= formats
    decoded = 0
    for topic, payload, real_s in simulate(registry, hours=0.5):
        readings = decode_message(topic, payload, int(real_s * 1e9) + 10**6, registry)
        assert readings, topic
        assert all(reading.device_id in registry.device_by_id for reading in readings)
        decoded += 1
    assert decoded > 10
