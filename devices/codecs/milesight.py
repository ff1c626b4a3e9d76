"""Milesight IoT: VS340/VS341 desk and seat occupancy sensors, VS350 passage people counter.

Milesight uplinks go on fPort 85 as a chain of channels: channel id, channel type, then a value whose size the
pair fixes. Facts and example vectors: TheThingsNetwork/lorawan-devices vendor/milesight-iot/vs340-codec.yaml,
vs341-codec.yaml, vs350-codec.yaml and the formatters they name. A channel this module does not know stops the
decoding with a :class:`CodecError` that names it (the vendor formatters stop silently): a firmware that adds
channels then shows up as dead letters instead of losing fields unseen.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ridebuy.devices.codecs.base import (
    Codec,
    CodecError,
    Count,
    DecodedObject,
    StatusValue,
    Values,
    get_count,
    get_number,
    get_str,
    i16le,
    need,
    percent,
    u8,
    u16le,
    u32le,
    unknown_port,
)
from ridebuy.devices.payloads import Direction
from ridebuy.devices.registry import DeviceKind

PORT = 85
PORTS = {PORT: "channels: battery, occupancy / people counts, temperature, device information"}
ALARMS = {
    0: "threshold alarm release",
    1: "threshold alarm",
    3: "high temperature alarm",
    4: "high temperature alarm release",
}
LORAWAN_CLASSES = {0: "Class A", 1: "Class B", 2: "Class C", 3: "Class CtoB"}
_NS = 1_000_000_000

Reader = Callable[[bytes, int, DecodedObject], int]
"""Reads one channel value at an offset into the output object; returns the offset after it."""


# Channels every Milesight device may send at power-on (0xFF family) --------------------------------------------


def _ipso_version(data: bytes, at: int, out: DecodedObject) -> int:
    value = u8(data, at, "ipso version")
    out["ipso_version"] = f"v{value >> 4}.{value & 0x0F}"
    return at + 1


def _hardware_version(data: bytes, at: int, out: DecodedObject) -> int:
    need(data, at, 2, "hardware version")
    out["hardware_version"] = f"v{data[at]:x}.{data[at + 1] >> 4}"
    return at + 2


def _firmware_version(data: bytes, at: int, out: DecodedObject) -> int:
    need(data, at, 2, "firmware version")
    out["firmware_version"] = f"v{data[at]:x}.{data[at + 1]:x}"
    return at + 2


def _tsl_version(data: bytes, at: int, out: DecodedObject) -> int:
    need(data, at, 2, "tsl version")
    out["tsl_version"] = f"v{data[at]}.{data[at + 1]}"
    return at + 2


def _serial_number(data: bytes, at: int, out: DecodedObject) -> int:
    need(data, at, 8, "serial number")
    out["sn"] = data[at : at + 8].hex()
    return at + 8


def _lorawan_class(data: bytes, at: int, out: DecodedObject) -> int:
    out["lorawan_class"] = LORAWAN_CLASSES.get(u8(data, at, "lorawan class"), "unknown")
    return at + 1


def _reset_event(data: bytes, at: int, out: DecodedObject) -> int:
    u8(data, at, "reset event")
    out["reset_event"] = "reset"  # the vendor formatter reports the event itself, whatever the byte says
    return at + 1


def _device_status(data: bytes, at: int, out: DecodedObject) -> int:
    u8(data, at, "device status")
    out["device_status"] = "on"
    return at + 1


def _battery(data: bytes, at: int, out: DecodedObject) -> int:
    out["battery"] = u8(data, at, "battery")
    return at + 1


DEVICE_CHANNELS: dict[tuple[int, int], Reader] = {
    (0xFF, 0x01): _ipso_version,
    (0xFF, 0x09): _hardware_version,
    (0xFF, 0x0A): _firmware_version,
    (0xFF, 0xFF): _tsl_version,
    (0xFF, 0x16): _serial_number,
    (0xFF, 0x0F): _lorawan_class,
    (0xFF, 0xFE): _reset_event,
    (0xFF, 0x0B): _device_status,
    (0x01, 0x75): _battery,
}


def decode_channels(f_port: int, data: bytes, channels: Mapping[tuple[int, int], Reader]) -> DecodedObject:
    if f_port != PORT:
        raise unknown_port(f_port, PORTS)
    if not data:
        raise CodecError("empty payload")
    out: DecodedObject = {}
    at = 0
    while at < len(data):
        need(data, at, 2, "channel header")
        key = (data[at], data[at + 1])
        reader = channels.get(key)
        if reader is None:
            raise CodecError(f"unknown channel 0x{key[0]:02x} 0x{key[1]:02x} at offset {at}")
        at = reader(data, at + 2, out)
    return out


def device_status(obj: Mapping[str, Any]) -> dict[str, StatusValue]:
    status: dict[str, StatusValue] = {}
    if (battery := percent(get_number(obj, "battery"), "battery")) is not None:
        status["battery_pct"] = battery
    if (temperature := get_number(obj, "temperature")) is not None:
        status["temperature_c"] = temperature
    if (firmware := get_str(obj, "firmware_version")) is not None:
        status["firmware"] = firmware
    return status


def battery_channel(values: Values) -> bytes:
    battery = values.status.get("battery_pct")
    if battery is None:
        return b""
    if isinstance(battery, str) or not 0 <= round(battery) <= 100:
        raise CodecError(f"battery_pct: {battery!r} is not a percentage")
    return bytes([0x01, 0x75, round(battery)])


def temperature_channel(values: Values) -> bytes:
    temperature = values.status.get("temperature_c")
    if temperature is None:
        return b""
    if isinstance(temperature, str) or not -3276.8 <= temperature <= 3276.7:
        raise CodecError(f"temperature_c: {temperature!r} does not fit the channel")
    return bytes([0x03, 0x67]) + round(temperature * 10).to_bytes(2, "little", signed=True)


# VS340 / VS341: one desk or seat, occupied or vacant ----------------------------------------------------------


def _occupancy(data: bytes, at: int, out: DecodedObject) -> int:
    out["occupancy"] = "vacant" if u8(data, at, "occupancy") == 0 else "occupied"
    return at + 1


VS340_CHANNELS = {**DEVICE_CHANNELS, (0x03, 0x00): _occupancy}


def vs340_decode(f_port: int, data: bytes) -> DecodedObject:
    return decode_channels(f_port, data, VS340_CHANNELS)


def vs340_from_decoded(f_port: int, obj: Mapping[str, Any]) -> Values:
    if f_port != PORT:
        raise unknown_port(f_port, PORTS)
    occupancy = get_str(obj, "occupancy")
    if occupancy not in (None, "occupied", "vacant"):
        raise CodecError(f"occupancy: expected 'occupied' or 'vacant', got {occupancy!r}")
    occupied = None if occupancy is None else int(occupancy == "occupied")
    return Values(occupied=occupied, status=device_status(obj))


def vs340_encode(values: Values) -> tuple[int, bytes]:
    if values.occupied not in (0, 1):
        raise CodecError(f"occupied: a VS340 reports 0 or 1, not {values.occupied!r}")
    return PORT, battery_channel(values) + bytes([0x03, 0x00, values.occupied or 0])


# VS350: passage people counter, in and out per reporting period ------------------------------------------------


def _temperature(data: bytes, at: int, out: DecodedObject) -> int:
    out["temperature"] = i16le(data, at, "temperature") / 10
    return at + 2


def _totals(data: bytes, at: int, out: DecodedObject) -> int:
    out["total_in"] = u16le(data, at, "total in")
    out["total_out"] = u16le(data, at + 2, "total out")
    return at + 4


def _period(data: bytes, at: int, out: DecodedObject) -> int:
    out["period_in"] = u16le(data, at, "period in")
    out["period_out"] = u16le(data, at + 2, "period out")
    return at + 4


def _timestamp(data: bytes, at: int, out: DecodedObject) -> int:
    out["timestamp"] = u32le(data, at, "timestamp")
    return at + 4


def _alarmed(reader: Reader, key: str, size: int) -> Reader:
    """The alarm variant of a channel: the same value followed by one alarm-type byte."""

    def read(data: bytes, at: int, out: DecodedObject) -> int:
        reader(data, at, out)
        out[key] = ALARMS.get(u8(data, at + size, key), "unknown")
        return at + size + 1

    return read


def _history(data: bytes, at: int, out: DecodedObject) -> int:
    record: DecodedObject = {"timestamp": u32le(data, at, "history timestamp")}
    kind = u8(data, at + 4, "history record type")
    if kind not in (0, 1):
        raise CodecError(f"history record type {kind} at offset {at + 4} is neither 0 nor 1")
    _period(data, at + 5, record)
    if kind == 1:
        _totals(data, at + 9, record)
    out.setdefault("history", []).append(record)
    return at + (13 if kind == 1 else 9)


VS350_CHANNELS: dict[tuple[int, int], Reader] = {
    **DEVICE_CHANNELS,
    (0x03, 0x67): _temperature,
    (0x04, 0xCC): _totals,
    (0x05, 0xCC): _period,
    (0x0A, 0xEF): _timestamp,
    (0x83, 0x67): _alarmed(_temperature, "temperature_alarm", 2),
    (0x84, 0xCC): _alarmed(_totals, "total_count_alarm", 4),
    (0x85, 0xCC): _alarmed(_period, "period_count_alarm", 4),
    (0x20, 0xCE): _history,
}


def vs350_decode(f_port: int, data: bytes) -> DecodedObject:
    return decode_channels(f_port, data, VS350_CHANNELS)


def _period_counts(obj: Mapping[str, Any], end_ns: int | None) -> tuple[Count, ...]:
    counts = []
    for key, direction in (("period_in", Direction.IN), ("period_out", Direction.OUT)):
        if (count := get_count(obj, key)) is not None:
            counts.append(Count(direction, count, end_ns=end_ns))
    return tuple(counts)


def vs350_from_decoded(f_port: int, obj: Mapping[str, Any]) -> Values:
    """Period counts become passages over the report period; cumulative totals are not passages and are left out."""
    if f_port != PORT:
        raise unknown_port(f_port, PORTS)
    counts = list(_period_counts(obj, None))
    history = obj.get("history", [])
    if not isinstance(history, list):
        raise CodecError("history: expected a list")
    for index, record in enumerate(history):
        if not isinstance(record, Mapping) or (stamp := get_count(record, "timestamp")) is None:
            raise CodecError(f"history[{index}]: expected an object with a timestamp")
        counts.extend(_period_counts(record, stamp * _NS))
    return Values(counts=tuple(counts), status=device_status(obj))


def vs350_encode(values: Values) -> tuple[int, bytes]:
    """Battery, temperature, the current period's in/out counts and any history records (``end_ns`` set)."""
    current = {c.direction: c.count for c in values.counts if c.end_ns is None}
    history: dict[int, dict[Direction, int]] = {}
    for count in values.counts:
        if count.end_ns is not None:
            history.setdefault(count.end_ns // _NS, {})[count.direction] = count.count
    body = battery_channel(values) + temperature_channel(values)
    if current:
        body += bytes([0x05, 0xCC]) + _two_counts(current)
    for stamp, pair in sorted(history.items()):
        body += bytes([0x20, 0xCE]) + stamp.to_bytes(4, "little") + b"\x00" + _two_counts(pair)
    if not body:
        raise CodecError("nothing to encode")
    return PORT, body


def _two_counts(pair: Mapping[Direction, int]) -> bytes:
    out = b""
    for direction in (Direction.IN, Direction.OUT):
        count = pair.get(direction, 0)
        if not 0 <= count <= 0xFFFF:
            raise CodecError(f"{direction.value} count {count} does not fit in 16 bits")
        out += count.to_bytes(2, "little")
    return out


VS340 = Codec(
    name="milesight-vs340",
    vendor="Milesight",
    models=("VS340 Desk & Seat Occupancy Sensor", "VS341"),
    kinds=frozenset({DeviceKind.SLOT}),
    heartbeat_s=24 * 3600,
    ports=PORTS,
    decode=vs340_decode,
    from_decoded=vs340_from_decoded,
    encode=vs340_encode,
    source="TheThingsNetwork/lorawan-devices vendor/milesight-iot/vs340-codec.yaml, vs341-codec.yaml",
)

VS350 = Codec(
    name="milesight-vs350",
    vendor="Milesight",
    models=("VS350 Passage People Counter",),
    kinds=frozenset({DeviceKind.COUNTER}),
    heartbeat_s=3600,
    ports=PORTS,
    decode=vs350_decode,
    from_decoded=vs350_from_decoded,
    encode=vs350_encode,
    source="TheThingsNetwork/lorawan-devices vendor/milesight-iot/vs350-codec.yaml",
)

CODECS = (VS340, VS350)
