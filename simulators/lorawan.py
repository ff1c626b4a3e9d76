"""Simulated LoRaWAN devices: what one device event would look like through The Things Stack or ChirpStack.

The engine models every device in ridebuy's own terms (native messages); for a registry device of format
``ttn`` or ``chirpstack`` the messages of one event become a single uplink: the vendor codec encodes the values
into bytes and the network server's envelope carries them, with one or two gateways' radio metadata.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from ridebuy.devices.codecs import Count, Values, codec_for
from ridebuy.devices.envelopes import Reception, simulated_uplink
from ridebuy.devices.payloads import Direction
from ridebuy.devices.registry import Device, DeviceFormat
from ridebuy.devices.topics import MessageKind

GATEWAYS = ("hannut-hotel-de-ville", "hannut-gare", "hannut-athenee")


@dataclass(frozen=True, slots=True)
class NativeMessage:
    """What the engine produced for one device at one moment (see simulators.engine.Message)."""

    kind: MessageKind
    real_s: float
    payload: bytes


@dataclass(slots=True)
class UplinkCounters:
    """Frame counters per device (they start at 0 with each simulated join)."""

    f_cnt: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def next(self, device_id: str) -> int:
        value = self.f_cnt[device_id]
        self.f_cnt[device_id] = value + 1
        return value


def speaks_lorawan(device: Device) -> bool:
    return device.format is not DeviceFormat.NATIVE


def event_values(device: Device, messages: Sequence[NativeMessage]) -> Values:
    """Fold the native messages of one event into the values one uplink of the device's codec carries."""
    occupied: int | None = None
    status: dict[str, float | str] = {}
    counts: dict[Direction, int] = defaultdict(int)
    interval_s: int | None = None
    for message in messages:
        fields = json.loads(message.payload)
        if message.kind is MessageKind.OCCUPANCY:
            occupied = int(fields["occupied"])
        elif message.kind is MessageKind.PASSAGE:
            counts[Direction(fields["direction"])] += int(fields.get("count", 1))
            interval_s = int(fields.get("interval_s", 0)) or interval_s
        else:
            status.update({k: v for k, v in fields.items() if k in ("battery_pct", "temperature_c")})
    codec = codec_for(device.codec)
    if codec is not None and codec.name == "bosch-tps110":
        status = {k: v for k, v in status.items() if k == "temperature_c"}  # a TPS110 reports no battery
    return Values(
        occupied=occupied,
        counts=tuple(Count(direction, count, interval_s) for direction, count in sorted(counts.items())),
        status=status,
    )


def as_uplink(
    device: Device, messages: Sequence[NativeMessage], counters: UplinkCounters, rng: random.Random
) -> tuple[str, bytes]:
    """The topic and payload of the uplink that carries one event of a LoRaWAN device."""
    values = event_values(device, messages)
    gateways = rng.sample(GATEWAYS, k=rng.choice((1, 1, 2)))
    receptions = [Reception(gw, round(rng.uniform(-120, -85), 1), round(rng.uniform(-8, 9), 2)) for gw in gateways]
    return simulated_uplink(
        device,
        values,
        f_cnt=counters.next(device.id),
        time_ns=int(messages[0].real_s * 1_000_000_000),
        receptions=receptions,
    )
