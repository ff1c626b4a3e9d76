"""Pydantic models of the native JSON payloads (docs/design.md, native MQTT contract v1).

Models are strict: a string where a number belongs is a wrong type, not something to guess at.
NaN and infinities are refused. Unknown keys are ignored so that firmware may add fields.
"""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from ridebuy.devices.times import rfc3339_ns

MAX_SEQ = 2**63 - 1

EARLIEST_TS = datetime(2010, 1, 1, tzinfo=UTC)
"""No measurement is older: an earlier ``ts`` is a clock that was never set, or epoch seconds sent as milliseconds
(``1795795055`` read as milliseconds is 1970-01-21), and is refused rather than stored decades in the past."""
_EARLIEST_MS = int(EARLIEST_TS.timestamp()) * 1000
_LATEST_MS = 10**14  # year 5138: beyond it a datetime cannot hold the time


def _epoch_ns(value: Any) -> int:
    """RFC 3339 string (with offset) or epoch milliseconds -> integer nanoseconds since the epoch, from 2010 on."""
    if isinstance(value, bool):
        raise ValueError("ts must be an RFC 3339 string or epoch milliseconds, not a boolean")
    if isinstance(value, int):
        if not 0 <= value < _LATEST_MS:
            raise ValueError("ts in epoch milliseconds is out of range")
        ts_ns = value * 1_000_000
    elif isinstance(value, str):
        ts_ns = rfc3339_ns(value)
    else:
        raise ValueError("ts must be an RFC 3339 string or epoch milliseconds")
    if ts_ns < _EARLIEST_MS * 1_000_000:
        hint = " (epoch seconds? ts is in milliseconds)" if isinstance(value, int) and value >= 10**9 else ""
        raise ValueError(f"ts is before {EARLIEST_TS:%Y-%m-%d}, not a plausible measurement time{hint}")
    return ts_ns


EpochNs = Annotated[int, BeforeValidator(_epoch_ns)]


class Direction(StrEnum):
    IN = "in"
    OUT = "out"


class TrafficClass(StrEnum):
    BIKE = "bike"
    CARGO = "cargo"
    EBIKE = "ebike"
    PEDESTRIAN = "pedestrian"


class _Payload(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", allow_inf_nan=False, frozen=True)

    ts: EpochNs | None = Field(default=None, description="measurement time: RFC 3339 or epoch ms")
    seq: Annotated[int, Field(ge=0, le=MAX_SEQ)] | None = None


class RackOccupancyPayload(_Payload):
    occupied: Annotated[int, Field(ge=0, le=100_000)]


class SlotOccupancyPayload(_Payload):
    occupied: bool


class PassagePayload(_Payload):
    model_config = ConfigDict(populate_by_name=True)

    direction: Direction
    count: Annotated[int, Field(ge=0, le=1_000_000)] = 1
    interval_s: Annotated[int, Field(ge=0, le=86_400)] = 0
    traffic_class: TrafficClass = Field(default=TrafficClass.BIKE, alias="class")


class StatusPayload(_Payload):
    battery_v: Annotated[float, Field(ge=0, le=100)] | None = None
    battery_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    rssi: Annotated[float, Field(ge=-200, le=50)] | None = None
    snr: Annotated[float, Field(ge=-50, le=50)] | None = None
    temperature_c: Annotated[float, Field(ge=-80, le=120)] | None = None
    firmware: Annotated[str, Field(max_length=64)] | None = None
    error: Annotated[str, Field(max_length=256)] | None = None

    def values(self) -> dict[str, float | str]:
        """The status values present in the message, by field name."""
        return {name: value for name in STATUS_FIELDS if (value := getattr(self, name)) is not None}


STATUS_FIELDS = ("battery_v", "battery_pct", "rssi", "snr", "temperature_c", "firmware", "error")
