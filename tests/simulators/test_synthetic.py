from __future__ import annotations

from pathlib import Path

import pytest

from ridebuy.devices.decoding import decode_message
from ridebuy.devices.registry import DeviceKind, Registry, RegistryError, load_registry
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import Engine
from ridebuy.simulators.synthetic import synthetic_entries, with_synthetic, write_registry
from tests.simulators.conftest import local_epoch


def test_synthetic_devices_join_the_registry_with_their_parkings_and_counters(hannut: Registry) -> None:
    registry = with_synthetic(hannut, 25)
    synthetic = registry.devices[len(hannut.devices) :]
    assert len(synthetic) == 25
    kinds = [d.kind for d in synthetic]
    assert kinds.count(DeviceKind.COUNTER) == 2 and kinds.count(DeviceKind.RACK) == 6
    for parking in registry.parkings[len(hannut.parkings) :]:
        watched = sum(registry.spaces_of(d.id) for d in registry.devices_of_parking(parking.id))
        assert watched == parking.capacity  # no space left unwatched: the live map knows every one


def test_the_layout_depends_on_the_number_of_devices_only() -> None:
    assert synthetic_entries(40) == synthetic_entries(40)
    _parkings, _counters, devices = synthetic_entries(40)
    assert [d.id for d in devices[:20]] == [d.id for d in synthetic_entries(20)[2]]


def test_zero_synthetic_devices_leave_the_registry_alone_and_negative_is_refused(hannut: Registry) -> None:
    assert with_synthetic(hannut, 0) is hannut
    with pytest.raises(ValueError, match=">= 0"):
        synthetic_entries(-1)


def test_colliding_ids_are_refused_with_the_registry_message(hannut: Registry) -> None:
    once = with_synthetic(hannut, 10)
    with pytest.raises(RegistryError, match="duplicate id"):
        with_synthetic(once, 10)


def test_a_written_registry_reads_back_the_same_and_its_devices_decode(hannut: Registry, tmp_path: Path) -> None:
    registry = with_synthetic(hannut, 33)
    path = tmp_path / "load.yaml"
    write_registry(registry, path, header="test registry\nsecond line")
    assert path.read_text().startswith("# test registry\n# second line\n")
    loaded = load_registry(path)
    assert loaded == registry
    begin = local_epoch("2026-05-05T07:00")
    engine = Engine(loaded, 1, begin)
    seen = set()
    for message in engine.run(SimClock(begin, begin, 60.0), begin, begin + 120, announce_s=5):
        assert decode_message(message.topic, message.payload, round(message.due_s * 1e9), loaded)
        seen.add(message.device_id)
    assert seen == set(loaded.device_by_id)
