"""The ingest's copy of live state: it writes an ``availability`` point whenever a parking's figures change."""

from __future__ import annotations

import logging
import threading

from ridebuy.devices.availability import AvailabilityFold
from ridebuy.devices.readings import Reading
from ridebuy.devices.registry import Registry
from ridebuy.store.base import Store
from ridebuy.store.points import Point, availability_point

log = logging.getLogger(__name__)


class AvailabilityWriter:
    """A thread-safe :class:`AvailabilityFold` that answers in points."""

    def __init__(self, registry: Registry) -> None:
        self._fold = AvailabilityFold(registry)
        self._lock = threading.Lock()

    def bootstrap(self, store: Store, now_ns: int) -> int:
        """Seed the fold from what the store holds, so a restart does not blank availability; returns devices."""
        snapshots = store.device_snapshots()
        with self._lock:
            for snapshot in snapshots:
                self._fold.restore(
                    snapshot.device_id, snapshot.occupied, snapshot.occupied_ns, snapshot.last_seen_ns, now_ns
                )
            self._fold.expire(now_ns)
        log.info("live state bootstrapped from the store: %d devices", len(snapshots))
        return len(snapshots)

    def apply(self, reading: Reading, received_ns: int | None = None) -> list[Point]:
        """Fold a reading in; availability points (at the reading's time) for each parking that changed.

        The parking is judged as of the reading's measurement time, so that history published late (a backfill,
        a gateway that was offline) yields the availability of its own time, not of today. A measurement time
        ahead of ``received_ns`` counts as ``received_ns`` (see devices.availability): no availability is written
        in the future.
        """
        at_ns = reading.ts_ns if received_ns is None else min(reading.ts_ns, received_ns)
        with self._lock:
            changed = self._fold.apply(reading, at_ns, received_ns)
        return [availability_point(a, at_ns) for a in changed]

    def replace_registry(self, registry: Registry, now_ns: int) -> list[Point]:
        """Swap in an edited registry (devices adopted or removed); availability points for what changed."""
        with self._lock:
            changed = self._fold.replace_registry(registry, now_ns)
        return [availability_point(a, now_ns) for a in changed]

    def expire(self, now_ns: int) -> list[Point]:
        """Availability points (at ``now_ns``) for parkings that changed because devices fell silent."""
        with self._lock:
            changed = self._fold.expire(now_ns)
        return [availability_point(a, now_ns) for a in changed]
