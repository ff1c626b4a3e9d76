"""Points: the storage schema of docs/design.md, independent of any backend.

A point is identified by measurement + tags + time; rewriting it overwrites it. Times are the sensor's
measurement times, so a redelivered message rewrites the very same point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from ridebuy.devices.availability import Availability
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.rejections import Rejected

FieldValue = int | float | str | bool


class Measurement:
    OCCUPANCY = "occupancy"
    AVAILABILITY = "availability"
    PASSAGES = "passages"
    DEVICE_STATUS = "device_status"
    INGEST_ERRORS = "ingest_errors"


@dataclass(frozen=True, slots=True)
class Point:
    measurement: str
    tags: tuple[tuple[str, str], ...]
    """Sorted by key; values are bounded (ids from the registry, enums) - never free text."""
    fields: tuple[tuple[str, FieldValue], ...]
    time_ns: int

    def tag(self, key: str) -> str | None:
        return dict(self.tags).get(key)

    def field(self, key: str) -> FieldValue | None:
        return dict(self.fields).get(key)


def reading_points(reading: Reading) -> list[Point]:
    """The points a reading is stored as."""
    match reading:
        case OccupancyReading():
            return [_occupancy_point(reading)]
        case PassageReading():
            return [_passage_point(reading)]
        case StatusReading():
            return [_status_point(reading)]
        case _:
            assert_never(reading)


def _occupancy_point(reading: OccupancyReading) -> Point:
    fields: list[tuple[str, FieldValue]] = [("occupied", reading.occupied)]
    if reading.ts_from_receipt:
        fields.append(("ts_from_receipt", True))
    return Point(
        Measurement.OCCUPANCY,
        (("device", reading.device_id), ("kind", reading.device_kind.value), ("parking", reading.parking_id)),
        tuple(fields),
        reading.ts_ns,
    )


def _passage_point(reading: PassageReading) -> Point:
    fields: list[tuple[str, FieldValue]] = [("count", reading.count), ("interval_s", reading.interval_s)]
    if reading.ts_from_receipt:
        fields.append(("ts_from_receipt", True))
    return Point(
        Measurement.PASSAGES,
        (
            ("class", reading.traffic_class.value),
            ("counter", reading.counter_id),
            ("device", reading.device_id),
            ("direction", reading.direction.value),
        ),
        tuple(fields),
        reading.point_ns,
    )


def _status_point(reading: StatusReading) -> Point:
    status_fields: list[tuple[str, FieldValue]] = sorted(reading.values.items())
    # A status message with no values is a bare heartbeat: store it so that "last seen" survives a restart.
    status_fields.append(("heartbeat", True))
    if reading.ts_from_receipt:
        status_fields.append(("ts_from_receipt", True))
    return Point(Measurement.DEVICE_STATUS, (("device", reading.device_id),), tuple(status_fields), reading.ts_ns)


def availability_point(availability: Availability, time_ns: int) -> Point:
    """An ``availability`` point, written whenever a parking's figures change."""
    return Point(
        Measurement.AVAILABILITY,
        (("parking", availability.parking_id),),
        (
            ("capacity", availability.capacity),
            ("free", availability.free),
            ("occupied", availability.occupied),
            ("status", availability.status.value),
            ("unknown", availability.unknown),
        ),
        time_ns,
    )


PREVIEW_BYTES = 200


def payload_preview(payload: bytes) -> str:
    """The start of a payload as printable text (invalid UTF-8 shown as escapes), for dead-letter listings."""
    head = payload[:PREVIEW_BYTES].decode("utf-8", errors="backslashreplace")
    return head + ("…" if len(payload) > PREVIEW_BYTES else "")


def rejection_point(rejection: Rejected, topic: str, payload: bytes, time_ns: int) -> Point:
    """An ``ingest_errors`` point; the caller keeps ``time_ns`` distinct per rejection."""
    return Point(
        Measurement.INGEST_ERRORS,
        (("reason", rejection.reason.value),),
        (
            ("detail", rejection.detail),
            ("device", rejection.device_id),
            ("preview", payload_preview(payload)),
            ("topic", topic[:512]),
        ),
        time_ns,
    )
