"""The registry watcher takes complete edits only: settled, parsed, and not half of a file rewritten in place."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from ridebuy.devices.registry import Registry, parse_registry
from ridebuy.devices.registry.watch import RegistryWatcher
from tests.devices.helpers import SMALL
from tests.support.registry_files import (
    begin_rewrite_in_place,
    finish_rewrite_in_place,
    registry_text,
    replace_whole,
    split_before,
)

ALL_DEVICES: list[dict[str, object]] = yaml.safe_load(registry_text(SMALL))["devices"]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def watch(tmp_path: Path) -> tuple[Path, RegistryWatcher, Clock]:
    path = tmp_path / "registry.yaml"
    path.write_text(registry_text(SMALL))
    clock = Clock()
    watcher = RegistryWatcher(path, parse_registry(yaml.safe_load(path.read_text()), str(path)), clock=clock)
    return path, watcher, clock


def settle(path: Path, clock: Clock) -> None:
    clock.now = path.stat().st_mtime_ns / 1e9 + 1.5


def devices(registry: Registry | None) -> set[str]:
    assert registry is not None
    return set(registry.device_by_id)


def test_an_edit_is_read_only_once_the_file_has_settled(tmp_path: Path) -> None:
    path, watcher, clock = watch(tmp_path)
    data = {**SMALL, "devices": [*ALL_DEVICES, {"id": "gare-rack-2", "kind": "rack", "parking": "gare"}]}
    path.write_text(registry_text(data))
    clock.now = path.stat().st_mtime_ns / 1e9 + 0.2
    assert watcher.changed() is None  # written a moment ago: perhaps not finished
    settle(path, clock)
    assert "gare-rack-2" in devices(watcher.changed())
    assert watcher.changed() is None  # taken once


def test_half_a_file_rewritten_in_place_is_refused_and_the_whole_one_taken(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path, watcher, clock = watch(tmp_path)
    first, rest = split_before(registry_text(SMALL), "gare-rack")
    fd = begin_rewrite_in_place(path, first)
    settle(path, clock)  # the writer paused long enough for the half to look settled
    with caplog.at_level(logging.ERROR):
        assert watcher.changed() is None
    assert "rewritten in place and now lacks 3" in caplog.text
    assert "device gare-rack" in caplog.text and "ridebuy devices remove" in caplog.text
    finish_rewrite_in_place(fd, rest)
    settle(path, clock)
    assert devices(watcher.changed()) == {d["id"] for d in ALL_DEVICES}


def test_a_file_replaced_whole_may_remove_devices(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, watcher, clock = watch(tmp_path)
    first, _ = split_before(registry_text(SMALL), "gare-rack")
    replace_whole(path, first)
    settle(path, clock)
    with caplog.at_level(logging.WARNING):
        assert devices(watcher.changed()) == {"gp-rack-1", "gp-slot-01", "gp-slot-02"}
    assert "3 entries removed" in caplog.text


def test_an_unreadable_edit_keeps_the_running_registry(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path, watcher, clock = watch(tmp_path)
    path.write_text(registry_text(SMALL) + "  - {id: broken, kind: nonsense}\n")
    settle(path, clock)
    with caplog.at_level(logging.ERROR):
        assert watcher.changed() is None
    assert "cannot be used" in caplog.text
