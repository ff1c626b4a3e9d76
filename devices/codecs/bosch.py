"""Bosch Parking Lot Sensor TPS110 (firmware 0.29.x): one in-ground sensor per car or bike space.

Byte layout and example vectors: TheThingsNetwork/lorawan-devices vendor/bosch/tps110-0292-codec.yaml and the
formatter it names. fPort 1 parking status on change, 2 heartbeat, 3 start-up, 4 device information,
5 device usage, 6 debug. The heartbeat comes once a day by default.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ridebuy.devices.codecs.base import (
    Codec,
    CodecError,
    DecodedObject,
    StatusValue,
    Values,
    get_bool,
    get_number,
    get_str,
    need,
    u8,
    u16le,
    u32le,
    unknown_port,
)
from ridebuy.devices.registry import DeviceKind

HEARTBEAT_S = 24 * 3600
PORTS = {
    1: "parking status (on change): occupied",
    2: "heartbeat: occupied, temperature",
    3: "start-up: debug codes, firmware version, reset cause, occupied",
    4: "device information (raw bytes, not interpreted)",
    5: "device usage (raw bytes, not interpreted)",
    6: "debug: timestamp, debug code, sequence number",
}
# Index = byte 15 of the start-up message; index 0 means "not given" and leaves the field out.
RESET_CAUSES = (None, "watchdog", "power on", "system request", "other")
STARTUP_BYTES = 17


def decode(f_port: int, data: bytes) -> DecodedObject:
    """TPS110 bytes -> the vendor formatter's object."""
    if f_port == 1:
        return {"type": "parking status", "occupied": bool(u8(data, 0, "occupied") & 0x01)}
    if f_port == 2:
        out: DecodedObject = {"type": "heartbeat", "occupied": bool(u8(data, 0, "occupied") & 0x01)}
        if len(data) >= 2:
            out["temperature"] = int.from_bytes(data[1:2], "little", signed=True)
        return out
    if f_port == 3:
        need(data, 0, STARTUP_BYTES, "start-up message")
        codes = [code for offset in (0, 4, 8) if (code := ((data[offset + 1] & 0x0F) << 8) | data[offset])]
        out = {"type": "startup", "debugCodes": codes, "firmwareVersion": f"{data[12]}.{data[13]}.{data[14]}"}
        cause = RESET_CAUSES[data[15]] if data[15] < len(RESET_CAUSES) else None
        if cause is not None:
            out["resetCause"] = cause
        out["occupied"] = bool(data[16] & 0x01)
        return out
    if f_port in (4, 5):
        return {"type": "device information" if f_port == 4 else "device usage", "bytes": list(data)}
    if f_port == 6:
        return {
            "type": "debug",
            "timestamp": u32le(data, 0, "timestamp"),
            "debugCode": u16le(data, 4, "debug code") & 0x0FFF,
            "sequenceNumber": u16le(data, 8, "sequence number"),
        }
    raise unknown_port(f_port, PORTS)


def from_decoded(f_port: int, obj: Mapping[str, Any]) -> Values:
    """The vendor object (ours or the network server's) -> ridebuy values."""
    if f_port not in PORTS:
        raise unknown_port(f_port, PORTS)
    status: dict[str, StatusValue] = {}
    if (temperature := get_number(obj, "temperature")) is not None:
        status["temperature_c"] = temperature
    if (firmware := get_str(obj, "firmwareVersion")) is not None:
        status["firmware"] = firmware
    if (cause := get_str(obj, "resetCause")) is not None:
        status["reset_cause"] = cause
    occupied = get_bool(obj, "occupied") if f_port in (1, 2, 3) else None
    if f_port in (1, 2) and occupied is None:
        raise CodecError("occupied: missing")
    return Values(occupied=None if occupied is None else int(occupied), status=status)


def encode(values: Values) -> tuple[int, bytes]:
    """A status change (port 1), or a heartbeat (port 2) when a temperature is given."""
    if values.occupied not in (0, 1):
        raise CodecError(f"occupied: a TPS110 reports 0 or 1, not {values.occupied!r}")
    occupied = bytes([values.occupied or 0])
    temperature = values.status.get("temperature_c")
    if temperature is None:
        return 1, occupied
    if isinstance(temperature, str) or not -128 <= round(temperature) <= 127:
        raise CodecError(f"temperature_c: {temperature!r} does not fit in one signed byte")
    return 2, occupied + round(temperature).to_bytes(1, "little", signed=True)


TPS110 = Codec(
    name="bosch-tps110",
    vendor="Bosch",
    models=("TPS110 Parking Lot Sensor",),
    kinds=frozenset({DeviceKind.SLOT}),
    heartbeat_s=HEARTBEAT_S,
    ports=PORTS,
    decode=decode,
    from_decoded=from_decoded,
    encode=encode,
    source="TheThingsNetwork/lorawan-devices vendor/bosch/tps110-0292-codec.yaml",
)

CODECS = (TPS110,)
