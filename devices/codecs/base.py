"""What every vendor codec is made of: the codec record, the values it yields, its one error type, byte readers.

A codec works in two pure steps, the way the LoRaWAN network servers do:

1. ``decode(f_port, data)`` turns the bytes into the vendor's own plain object - the very output of the vendor's
   published payload formatter (TheThingsNetwork/lorawan-devices), so the vendor's example vectors check it as is.
2. ``from_decoded(f_port, obj)`` turns such an object into ridebuy :class:`Values`. The same step reads the
   ``decoded_payload`` (The Things Stack) or ``object`` (ChirpStack) a network server already computed with that
   formatter, so both paths give the same readings.

``encode(values)`` goes the other way for the simulators: ridebuy values in, ``(f_port, bytes)`` out.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.registry import DeviceKind

StatusValue = float | int | str
DecodedObject = dict[str, Any]


class CodecError(ValueError):
    """Bytes or a decoded object a codec cannot read; the message names the port, offset or field."""


@dataclass(frozen=True, slots=True)
class Count:
    """Passages in one direction over an interval (or one event when ``interval_s`` is 0)."""

    direction: Direction
    count: int
    interval_s: int | None = None
    """Seconds the count covers; ``None``: since the device's previous periodic report (its report period)."""
    end_ns: int | None = None
    """When the interval ended by the device's own clock (stored history records); ``None``: the uplink time."""
    traffic_class: TrafficClass = TrafficClass.BIKE


@dataclass(frozen=True, slots=True)
class Values:
    """What one message says in ridebuy's terms, before it is attributed to a registry device."""

    occupied: int | None = None
    """Bikes present (rack) or 0/1 (slot); ``None`` when the message says nothing about occupancy."""
    counts: tuple[Count, ...] = ()
    status: Mapping[str, StatusValue] = field(default_factory=dict)
    """Device status by the ``device_status`` field names (battery_pct, temperature_c, firmware, ...)."""


@dataclass(frozen=True, slots=True)
class Codec:
    """One device model's decoder, mapping and encoder: data plus three pure functions."""

    name: str
    """The registry's ``codec`` value, e.g. ``bosch-tps110``."""
    vendor: str
    models: tuple[str, ...]
    kinds: frozenset[DeviceKind]
    """Registry device kinds this sensor can serve as."""
    heartbeat_s: int
    """Default heartbeat allowance: the longest normal silence of the device (its periodic report)."""
    ports: Mapping[int, str]
    """The fPorts it reads, with what each carries (documentation and error messages)."""
    decode: Callable[[int, bytes], DecodedObject]
    from_decoded: Callable[[int, Mapping[str, Any]], Values]
    encode: Callable[[Values], tuple[int, bytes]]
    source: str
    """Where the byte layout and the example vectors come from."""


# Byte readers ------------------------------------------------------------------------------------------------


def need(data: bytes, offset: int, size: int, what: str) -> None:
    """Refuse a read past the end, naming what was being read."""
    if offset + size > len(data):
        raise CodecError(f"truncated: {what} needs {size} byte(s) at offset {offset}, payload has {len(data)}")


def u8(data: bytes, offset: int, what: str) -> int:
    need(data, offset, 1, what)
    return data[offset]


def u16le(data: bytes, offset: int, what: str) -> int:
    need(data, offset, 2, what)
    return int.from_bytes(data[offset : offset + 2], "little")


def i16le(data: bytes, offset: int, what: str) -> int:
    need(data, offset, 2, what)
    return int.from_bytes(data[offset : offset + 2], "little", signed=True)


def u32le(data: bytes, offset: int, what: str) -> int:
    need(data, offset, 4, what)
    return int.from_bytes(data[offset : offset + 4], "little")


def unknown_port(f_port: int, ports: Mapping[int, str]) -> CodecError:
    known = ", ".join(str(port) for port in sorted(ports))
    return CodecError(f"unknown fPort {f_port} (this codec reads {known})")


# Field readers for decoded objects (network servers may send integral numbers as floats) ---------------------


def get_bool(obj: Mapping[str, Any], key: str) -> bool | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, bool):
        raise CodecError(f"{key}: expected a boolean, got {type(value).__name__}")
    return value


def get_number(obj: Mapping[str, Any], key: str) -> float | None:
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CodecError(f"{key}: expected a finite number, got {value!r}")
    return float(value)


def get_count(obj: Mapping[str, Any], key: str) -> int | None:
    number = get_number(obj, key)
    if number is None:
        return None
    if number < 0 or number != int(number):
        raise CodecError(f"{key}: expected a non-negative integer, got {obj[key]!r}")
    return int(number)


def get_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise CodecError(f"{key}: expected a string, got {type(value).__name__}")
    return value


def percent(value: float | None, key: str) -> float | None:
    if value is not None and not 0 <= value <= 100:
        raise CodecError(f"{key}: {value} is not a percentage")
    return value
