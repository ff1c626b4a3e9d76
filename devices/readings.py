"""Readings: what a device said, decoded and attributed to its parking or counter.

Readings are the one currency between decoding (native JSON now, LoRaWAN envelopes later), the store schema and
the live-availability fold. Times are integer nanoseconds since the epoch, UTC.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace

from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.registry import DeviceKind


@dataclass(frozen=True, slots=True)
class OccupancyReading:
    device_id: str
    parking_id: str
    device_kind: DeviceKind
    occupied: int
    """Bikes counted by a rack device; 0 or 1 for a slot device."""
    ts_ns: int
    ts_from_receipt: bool = False
    """True when the device sent no ``ts`` and the time of receipt stands in for it."""


@dataclass(frozen=True, slots=True)
class PassageReading:
    device_id: str
    counter_id: str
    direction: Direction
    traffic_class: TrafficClass
    count: int
    interval_s: int
    ts_ns: int
    point_ns: int
    """Measurement time plus a sub-millisecond offset that keeps distinct passages apart (see devices.native)."""
    ts_from_receipt: bool = False


@dataclass(frozen=True, slots=True)
class StatusReading:
    device_id: str
    ts_ns: int
    values: dict[str, float | str] = field(default_factory=dict)
    ts_from_receipt: bool = False


Reading = OccupancyReading | PassageReading | StatusReading


@dataclass(frozen=True, slots=True)
class HealthFigures:
    """The status values that say how a device is doing: kept live by the API, read back from the store."""

    battery_v: float | None = None
    battery_pct: float | None = None
    rssi: float | None = None
    snr: float | None = None

    @classmethod
    def from_values(cls, values: Mapping[str, object]) -> "HealthFigures":
        """The figures among a status message's (or a stored row's) values; anything not a number is absent."""
        return cls(**{name: _number(values.get(name)) for name in HEALTH_FIELDS})

    def updated_by(self, newer: "HealthFigures") -> "HealthFigures":
        """These figures with those that ``newer`` gives (a status message need not send every value)."""
        given = {name: getattr(newer, name) for name in HEALTH_FIELDS if getattr(newer, name) is not None}
        return replace(self, **given)


HEALTH_FIELDS = tuple(f.name for f in fields(HealthFigures))


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
