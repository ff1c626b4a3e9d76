"""Synthetic devices for load tests: ``--devices N`` adds N devices to the registry, in parkings and counters of
their own, and ``--write-registry`` saves the result so the ingest knows them.

The layout depends on N alone (never on the seed), so a registry written once matches every later run with the
same N. Groups of ten devices form a parking of two racks and seven slots plus a counter with one device; the
parkings spiral out from Hannut's Grand-Place and take turns among the kinds of place, so their traffic varies.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import yaml

from ridebuy.devices.registry import Counter, Device, DeviceKind, Parking, Registry, parse_registry

PREFIX = "sim"
GROUP = ("rack", "rack", "slot", "slot", "slot", "slot", "slot", "slot", "slot", "counter")
RACK_SPACES = 10
CENTRE = (50.6716, 5.0770)
_GOLDEN_ANGLE = math.pi * (3 - math.sqrt(5))
_PLACES = (
    "bus station",
    "school",
    "shops",
    "market",
    "library",
    "sports hall",
    "church",
    "town hall",
    "cultural centre",
    "centre",
)
_HEARTBEATS_S = (300, 450, 600, 750, 900)


def _position(group: int) -> tuple[float, float]:
    radius_deg = 0.006 + 0.0012 * math.sqrt(group)
    angle = group * _GOLDEN_ANGLE
    lat = CENTRE[0] + radius_deg * math.sin(angle)
    lon = CENTRE[1] + radius_deg * math.cos(angle) / math.cos(math.radians(CENTRE[0]))
    return round(lat, 6), round(lon, 6)


def synthetic_entries(count: int) -> tuple[list[Parking], list[Counter], list[Device]]:
    """``count`` devices with the parkings and counters they belong to."""
    if count < 0:
        raise ValueError(f"the number of synthetic devices must be >= 0, got {count}")
    parkings: list[Parking] = []
    counters: list[Counter] = []
    devices: list[Device] = []
    for group in range(math.ceil(count / len(GROUP))):
        members = GROUP[: min(len(GROUP), count - group * len(GROUP))]
        lat, lon = _position(group)
        parking_id = f"{PREFIX}-p{group + 1:05d}"
        capacity = 0
        for position, kind in enumerate(members):
            device_id = f"{PREFIX}-{group + 1:05d}-{position}-{kind}"
            heartbeat_s = _HEARTBEATS_S[(group + position) % len(_HEARTBEATS_S)]
            if kind == "counter":
                counter_id = f"{PREFIX}-c{group + 1:05d}"
                counters.append(Counter(id=counter_id, name=f"Synthetic counter {group + 1}", lat=lat, lon=lon))
                devices.append(
                    Device(id=device_id, kind=DeviceKind.COUNTER, counter=counter_id, heartbeat_s=heartbeat_s)
                )
            elif kind == "rack":
                capacity += RACK_SPACES
                devices.append(
                    Device(
                        id=device_id,
                        kind=DeviceKind.RACK,
                        parking=parking_id,
                        spaces=RACK_SPACES,
                        heartbeat_s=heartbeat_s,
                    )
                )
            else:
                capacity += 1
                devices.append(Device(id=device_id, kind=DeviceKind.SLOT, parking=parking_id, heartbeat_s=heartbeat_s))
        if capacity:
            place = _PLACES[group % len(_PLACES)]
            parkings.append(
                Parking(id=parking_id, name=f"Synthetic {place} {group + 1}", lat=lat, lon=lon, capacity=capacity)
            )
    return parkings, counters, devices


def _as_data(registry: Registry) -> dict[str, list[dict[str, Any]]]:
    return {
        section: [entry.model_dump(mode="json", exclude_defaults=True) for entry in getattr(registry, section)]
        for section in ("parkings", "counters", "devices")
    }


def with_synthetic(registry: Registry, count: int) -> Registry:
    """The registry plus ``count`` synthetic devices (validated as a whole: ids must not collide)."""
    if count == 0:
        return registry
    parkings, counters, devices = synthetic_entries(count)
    data = _as_data(registry)
    data["parkings"] += [p.model_dump(mode="json", exclude_defaults=True) for p in parkings]
    data["counters"] += [c.model_dump(mode="json", exclude_defaults=True) for c in counters]
    data["devices"] += [d.model_dump(mode="json", exclude_defaults=True) for d in devices]
    return parse_registry(data, f"registry with {count} synthetic devices")


def write_registry(registry: Registry, path: Path, header: str) -> None:
    """Save ``registry`` as YAML that :func:`devices.registry.load_registry` reads back unchanged."""
    comment = "".join(f"# {line}\n" if line else "#\n" for line in header.splitlines())
    text = yaml.safe_dump(_as_data(registry), sort_keys=False, allow_unicode=True, width=120)
    path.write_text(comment + text, encoding="utf-8")
