"""The store interface every backend implements (InfluxDB over the v1 HTTP API; SQLite when embedded)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ridebuy.devices.readings import HealthFigures
from ridebuy.store.points import Point


class StoreError(Exception):
    """Base of store errors; the message says what failed without secrets."""


class StoreUnavailable(StoreError):
    """The store cannot be reached or is failing right now: retry later, keep the data."""


class StoreRejected(StoreError):
    """The store refused the points for good (e.g. a field type conflict): retrying will not help.

    A store may have kept the other points of the write (InfluxDB's partial write); ``dropped``, when the store
    says it, is how many points it refused.
    """

    def __init__(self, message: str, dropped: int | None = None) -> None:
        super().__init__(message)
        self.dropped = dropped


@dataclass(frozen=True, slots=True)
class DeviceSnapshot:
    """What the store last holds of a device, used to bootstrap live state and to report device health."""

    device_id: str
    occupied: int | None = None
    occupied_ns: int | None = None
    last_seen_ns: int | None = None
    health: HealthFigures = field(default_factory=HealthFigures)
    status_ns: int | None = None


@dataclass(frozen=True, slots=True)
class AvailabilityBucket:
    start_ns: int
    free: float | None
    occupied: float | None
    unknown: float | None
    capacity: int | None


@dataclass(frozen=True, slots=True)
class CountBucket:
    start_ns: int
    direction: str
    traffic_class: str
    count: int | None
    """None where the store holds no data for the bucket (a gap), never a made-up zero."""


@dataclass(frozen=True, slots=True)
class ActivityBucket:
    """Status messages (heartbeats) of one device in one bucket; buckets without any are not listed."""

    device_id: str
    start_ns: int
    messages: int


@dataclass(frozen=True, slots=True)
class Rejection:
    """One dead letter as stored in ``ingest_errors`` (empty strings where the point has no such field)."""

    time_ns: int
    reason: str
    detail: str
    device: str
    """The device id the message named (native topic) or suggested for it (LoRaWAN ids), else empty."""
    topic: str
    preview: str
    """The start of the payload, as text."""


MAX_REJECTIONS = 10_000
"""The most dead letters one :meth:`Store.recent_rejections` call returns (a flood must not flood a reader)."""


def check_rejection_limit(limit: int) -> int:
    """``limit`` if it is within 1..MAX_REJECTIONS; ValueError naming it otherwise (shared by the backends)."""
    if not 1 <= limit <= MAX_REJECTIONS:
        raise ValueError(f"limit must be between 1 and {MAX_REJECTIONS}, not {limit}")
    return limit


class Store(Protocol):
    def ensure_ready(self) -> None:
        """Connect and create what is missing (the database). Raise :class:`StoreUnavailable` if it cannot."""

    def write(self, points: Sequence[Point]) -> None:
        """Store points durably, all or nothing. Raise StoreUnavailable (retry) or StoreRejected (do not)."""

    def ping(self) -> bool:
        """Whether the store answers right now."""

    def close(self) -> None: ...

    def device_snapshots(self) -> list[DeviceSnapshot]:
        """Last occupancy, last seen and last status values of every device that ever spoke."""

    def parking_history(self, parking_id: str, start_ns: int, end_ns: int, every_s: int) -> list[AvailabilityBucket]:
        """Availability of a parking per ``every_s`` bucket in [start, end): the mean of what was stored in the
        bucket, carried forward from the last earlier value where the bucket holds none."""

    def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None = None
    ) -> list[CountBucket]:
        """Passages per ``every_s`` bucket in [start, end) by direction and class; gaps as None."""

    def device_activity(self, start_ns: int, end_ns: int, every_s: int) -> list[ActivityBucket]:
        """Status messages per device and ``every_s`` bucket in [start, end), by (device, bucket start); buckets
        without a message are left out (a silent device has a gap)."""

    def recent_rejections(self, limit: int, reason: str | None = None, since_ns: int | None = None) -> list[Rejection]:
        """The newest dead letters first, at most ``limit`` (1..MAX_REJECTIONS, else ValueError), only of
        ``reason`` when given, only at or after ``since_ns`` when given."""
