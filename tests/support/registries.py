"""Test registries in a few lines: entries valid by construction, written as a town's YAML file.

Each test says only what matters to it (ids, capacities, formats); names and positions get plain defaults.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ridebuy.devices.registry import Registry, parse_registry

Entry = dict[str, Any]
HANNUT = (50.6716, 5.077)


def parking(parking_id: str, capacity: int, **extra: Any) -> Entry:
    return {
        "id": parking_id,
        "name": parking_id.replace("-", " ").title(),
        "lat": HANNUT[0],
        "lon": HANNUT[1],
        "capacity": capacity,
        **extra,
    }


def counter(counter_id: str, **extra: Any) -> Entry:
    return {"id": counter_id, "name": counter_id.replace("-", " ").title(), "lat": HANNUT[0], "lon": HANNUT[1], **extra}


def rack(device_id: str, parking_id: str, **extra: Any) -> Entry:
    return {"id": device_id, "kind": "rack", "parking": parking_id, **extra}


def slot(device_id: str, parking_id: str, **extra: Any) -> Entry:
    return {"id": device_id, "kind": "slot", "parking": parking_id, **extra}


def counting(device_id: str, counter_id: str, **extra: Any) -> Entry:
    """A counter device (kind ``counter``) at the counting site ``counter_id``."""
    return {"id": device_id, "kind": "counter", "counter": counter_id, **extra}


def registry_data(
    parkings: Iterable[Entry] = (), counters: Iterable[Entry] = (), devices: Iterable[Entry] = ()
) -> dict[str, list[Entry]]:
    return {"parkings": list(parkings), "counters": list(counters), "devices": list(devices)}


def build(data: dict[str, list[Entry]]) -> Registry:
    """The validated registry (fails the test at once if a builder call made an invalid one)."""
    return parse_registry(data, "test registry")


def write_registry(path: Path, data: dict[str, list[Entry]], header: str = "") -> Path:
    """Write ``data`` as a registry file (after checking it is valid), with an optional comment header."""
    build(data)
    path.write_text(header + yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
