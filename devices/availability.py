"""The live-availability fold (docs/design.md, live state): readings in, availability per parking out.

Pure logic: no clock is read here, callers pass ``now_ns``. The last value per device wins by measurement time,
not by arrival; a device silent past its heartbeat allowance becomes unknown and its spaces count as unknown,
never as free; occupied above capacity is kept and free is floored at 0.

A measurement time ahead of the time of receipt counts as the time of receipt. A device whose clock ran ahead
(within the future allowance) and was then corrected would otherwise have every corrected reading ignored, as
older than its future one, until that future time had passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ridebuy.devices.codecs import heartbeat_allowance_s
from ridebuy.devices.readings import OccupancyReading, Reading
from ridebuy.devices.registry import DeviceKind, Registry

HEARTBEAT_TOLERANCE = 2.0
"""A device becomes unknown after this many heartbeat periods of silence."""


class ParkingStatus(StrEnum):
    OK = "ok"
    """Every space is watched by a device that is alive."""
    STALE = "stale"
    """Some spaces are unknown: a device fell silent or never spoke."""
    UNKNOWN = "unknown"
    """Nothing about this parking is known right now."""
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Availability:
    parking_id: str
    capacity: int
    free: int
    occupied: int
    unknown: int
    status: ParkingStatus
    last_updated_ns: int | None
    """Latest measurement time behind these figures (None when nothing is known)."""

    def figures(self) -> tuple[int, int, int, ParkingStatus]:
        """What a cyclist sees; a change in these is an availability change."""
        return (self.free, self.occupied, self.unknown, self.status)


@dataclass(slots=True)
class _DeviceState:
    occupied: int | None = None
    measured_ns: int | None = None
    """Measurement time of ``occupied``."""
    last_seen_ns: int | None = None
    """Latest measurement time of any message of the device (occupancy, status, passage)."""


class AvailabilityFold:
    """Folds readings into per-parking availability; tells which parkings changed."""

    def __init__(self, registry: Registry, heartbeat_tolerance: float = HEARTBEAT_TOLERANCE) -> None:
        self._registry = registry
        self._tolerance = heartbeat_tolerance
        self._devices: dict[str, _DeviceState] = {}
        self._current: dict[str, Availability] = {}
        self._index_registry()

    def _index_registry(self) -> None:
        """What the per-message path needs, looked up once per registry (the fold runs for every message)."""
        registry = self._registry
        self._allowance_ns = {
            d.id: int(heartbeat_allowance_s(d) * self._tolerance * 1_000_000_000) for d in registry.devices
        }
        # Per parking: (state, spaces, allowance) of each device that watches spaces (counters do not).
        states = self._devices
        self._watchers: dict[str, tuple[tuple[_DeviceState, int, int], ...]] = {
            p.id: tuple(
                (states.setdefault(d.id, _DeviceState()), registry.spaces_of(d.id), self._allowance_ns[d.id])
                for d in registry.devices_of_parking(p.id)
                if d.kind is not DeviceKind.COUNTER
            )
            for p in registry.parkings
        }

    @property
    def registry(self) -> Registry:
        return self._registry

    def apply(self, reading: Reading, now_ns: int, received_ns: int | None = None) -> list[Availability]:
        """Fold one reading in; return the availability of each parking whose figures changed.

        ``received_ns`` is when the reading arrived (by default ``now_ns``): a later measurement time counts as it.
        """
        ts_ns = min(reading.ts_ns, now_ns if received_ns is None else received_ns)
        state = self._devices.setdefault(reading.device_id, _DeviceState())
        if state.last_seen_ns is None or ts_ns > state.last_seen_ns:
            state.last_seen_ns = ts_ns
        if isinstance(reading, OccupancyReading) and (state.measured_ns is None or ts_ns >= state.measured_ns):
            state.occupied = reading.occupied
            state.measured_ns = ts_ns
        parking_id = self._parking_of(reading.device_id)
        if parking_id is None:
            return []
        return self._refresh([parking_id], now_ns)

    def restore(
        self,
        device_id: str,
        occupied: int | None,
        measured_ns: int | None,
        last_seen_ns: int | None,
        now_ns: int | None = None,
    ) -> None:
        """Seed one device from the store (bootstrap after a restart); call :meth:`expire` afterwards.

        Times stored ahead of ``now_ns`` (a device clock that ran ahead) count as ``now_ns``, as in :meth:`apply`.
        """
        if now_ns is not None:
            measured_ns = None if measured_ns is None else min(measured_ns, now_ns)
            last_seen_ns = None if last_seen_ns is None else min(last_seen_ns, now_ns)
        state = self._devices.setdefault(device_id, _DeviceState())
        if measured_ns is not None and (state.measured_ns is None or measured_ns >= state.measured_ns):
            state.occupied, state.measured_ns = occupied, measured_ns
        if last_seen_ns is not None and (state.last_seen_ns is None or last_seen_ns > state.last_seen_ns):
            state.last_seen_ns = last_seen_ns

    def expire(self, now_ns: int) -> list[Availability]:
        """Re-evaluate every parking at ``now_ns`` (devices fall silent without a message to say so)."""
        return self._refresh([p.id for p in self._registry.parkings], now_ns)

    def replace_registry(self, registry: Registry, now_ns: int) -> list[Availability]:
        """Swap in an edited registry, keeping what devices said; returns every parking's availability."""
        self._registry = registry
        self._index_registry()
        self._current = {k: v for k, v in self._current.items() if k in registry.parking_by_id}
        return self.expire(now_ns)

    def current(self, parking_id: str) -> Availability | None:
        return self._current.get(parking_id)

    def snapshot(self) -> dict[str, Availability]:
        """The latest availability of every parking (as of the last apply or expire)."""
        return dict(self._current)

    def device_alive(self, device_id: str, now_ns: int) -> bool:
        allowance_ns = self._allowance_ns.get(device_id)
        state = self._devices.get(device_id)
        if allowance_ns is None or state is None or state.last_seen_ns is None:
            return False
        return now_ns - state.last_seen_ns <= allowance_ns

    def _parking_of(self, device_id: str) -> str | None:
        device = self._registry.device_by_id.get(device_id)
        return device.parking if device is not None else None

    def _refresh(self, parking_ids: list[str], now_ns: int) -> list[Availability]:
        changed = []
        for parking_id in parking_ids:
            new = self._compute(parking_id, now_ns)
            if new is None:
                continue
            old = self._current.get(parking_id)
            self._current[parking_id] = new
            if old is None or old.figures() != new.figures():
                changed.append(new)
        return changed

    def _compute(self, parking_id: str, now_ns: int) -> Availability | None:
        parking = self._registry.parking_by_id.get(parking_id)
        if parking is None:
            return None
        free = occupied = watched = 0
        last_updated: int | None = None
        for state, spaces, allowance_ns in self._watchers.get(parking_id, ()):
            taken = state.occupied
            seen = state.last_seen_ns
            if taken is None or seen is None or now_ns - seen > allowance_ns:  # silent: see device_alive
                continue
            watched += spaces
            occupied += taken
            if spaces > taken:
                free += spaces - taken
            if last_updated is None or seen > last_updated:
                last_updated = seen
        unknown = max(parking.capacity - watched, 0)
        if parking.closed:
            status = ParkingStatus.CLOSED
            free = 0
        elif watched == 0 and parking.capacity > 0:
            status = ParkingStatus.UNKNOWN
        elif unknown > 0:
            status = ParkingStatus.STALE
        else:
            status = ParkingStatus.OK
        return Availability(parking_id, parking.capacity, free, occupied, unknown, status, last_updated)
