"""Synthetic towns and message streams of a given size, shaped like the Hannut sample (slots, racks, counters)."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

from ridebuy.devices.topics import device_topic

CENTRE = (50.6716, 5.077)
"""Hannut's Grand-Place: synthetic parkings are spread around it."""


@dataclass(frozen=True, slots=True)
class Town:
    """A synthetic registry: ``parkings`` parkings of ``slots_per_parking`` slot sensors, plus counters."""

    parkings: int = 50
    slots_per_parking: int = 20
    counters: int = 10

    @property
    def slot_ids(self) -> list[str]:
        return [f"p{p:05d}-s{s:03d}" for p in range(self.parkings) for s in range(self.slots_per_parking)]

    @property
    def counter_device_ids(self) -> list[str]:
        return [f"c{c:04d}-d" for c in range(self.counters)]

    @property
    def devices(self) -> int:
        return self.parkings * self.slots_per_parking + self.counters

    def registry(self) -> dict[str, object]:
        side = max(1, math.ceil(math.sqrt(self.parkings)))
        parkings = [
            {
                "id": f"p{p:05d}",
                "name": f"Parking {p}",
                # A grid about 100 m apart around the centre (0.0009 degrees of latitude ~ 100 m).
                "lat": round(CENTRE[0] + (p // side - side / 2) * 0.0009, 6),
                "lon": round(CENTRE[1] + (p % side - side / 2) * 0.0014, 6),
                "capacity": self.slots_per_parking,
                "covered": p % 3 == 0,
            }
            for p in range(self.parkings)
        ]
        counters = [
            {"id": f"c{c:04d}", "name": f"Counter {c}", "lat": CENTRE[0], "lon": CENTRE[1] + c * 0.001}
            for c in range(self.counters)
        ]
        devices: list[dict[str, object]] = [
            {"id": f"p{p:05d}-s{s:03d}", "kind": "slot", "parking": f"p{p:05d}", "heartbeat_s": 86_400}
            for p in range(self.parkings)
            for s in range(self.slots_per_parking)
        ]
        devices += [{"id": f"c{c:04d}-d", "kind": "counter", "counter": f"c{c:04d}"} for c in range(self.counters)]
        return {"parkings": parkings, "counters": counters, "devices": devices}

    def write(self, path: Path) -> Path:
        path.write_text(yaml.safe_dump(self.registry(), sort_keys=False), encoding="utf-8")
        return path


@dataclass(frozen=True, slots=True)
class Mix:
    """How many messages of each kind a stream holds (occupancy dominates: every change of a slot)."""

    occupancy: int
    passage: int
    status: int

    @property
    def total(self) -> int:
        return self.occupancy + self.passage + self.status


def stream(town: Town, count: int, start_ms: int | None = None) -> tuple[Mix, Iterator[tuple[str, bytes]]]:
    """``count`` native messages: 8 in 10 occupancy changes, 1 passage, 1 status, round-robin over the devices.

    Every message has its own measurement time (1 ms apart), so each one is a point of its own in the store.
    """
    start_ms = start_ms if start_ms is not None else time.time_ns() // 1_000_000 - 3_600_000
    kinds = [i % 10 for i in range(count)]
    mix = Mix(
        occupancy=sum(1 for k in kinds if k < 8),
        passage=sum(1 for k in kinds if k == 8) if town.counters else 0,
        status=sum(1 for k in kinds if k == 9) + (0 if town.counters else sum(1 for k in kinds if k == 8)),
    )
    return mix, _messages(town, count, start_ms)


def _messages(town: Town, count: int, start_ms: int) -> Iterator[tuple[str, bytes]]:
    slots = town.slot_ids
    counters = town.counter_device_ids
    occupancy_topics = [device_topic(d, "occupancy") for d in slots]
    status_topics = [device_topic(d, "status") for d in slots]
    passage_topics = [device_topic(d, "passage") for d in counters]
    for i in range(count):
        ts = start_ms + i
        kind = i % 10
        if kind < 8:
            change = i // 10 * 8 + kind
            slot = change % len(slots)
            occupied = "true" if (change // len(slots)) % 2 == 0 else "false"  # every message is a change
            yield occupancy_topics[slot], f'{{"ts":{ts},"occupied":{occupied}}}'.encode()
        elif kind == 8 and passage_topics:
            direction = "in" if i % 20 < 10 else "out"
            yield (
                passage_topics[i // 10 % len(passage_topics)],
                (f'{{"ts":{ts},"seq":{i},"direction":"{direction}","count":1,"class":"bike"}}'.encode()),
            )
        else:
            battery = 3.0 + (i % 100) / 100
            yield status_topics[i // 10 % len(slots)], f'{{"ts":{ts},"battery_v":{battery:.2f},"rssi":-87}}'.encode()
