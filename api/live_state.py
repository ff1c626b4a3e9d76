"""The API's live state: the availability fold, device health and the fan-out of changes to stream listeners.

No I/O here: the MQTT listener feeds messages in, the bootstrap feeds store snapshots in, the expire tick feeds
the clock in, and the routers read. Everything runs on the event loop's thread, so no locks are needed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.availability import Availability, AvailabilityFold
from ridebuy.devices.decoding import decode_message
from ridebuy.devices.native import Limits
from ridebuy.devices.readings import HealthFigures, Reading, StatusReading
from ridebuy.devices.registry import Registry
from ridebuy.devices.rejections import Rejected
from ridebuy.store.base import DeviceSnapshot

log = logging.getLogger(__name__)

STREAM_INTERVAL_S = 0.02
"""A stream listener reads at most this often: under a fast stream each read carries the latest figures of every
parking that changed meanwhile (a parking that changed ten times is sent once), so the events sent per second stay
below (parkings / interval) however fast the messages come, and a listener that reads slower gets fewer, fresher
events instead of a growing backlog. A change after a quiet moment goes out at once."""


@dataclass(frozen=True, slots=True)
class DeviceHealth:
    device_id: str
    last_seen_ns: int | None = None
    figures: HealthFigures = field(default_factory=HealthFigures)
    status_ns: int | None = None
    """Measurement time of the latest status message (battery, radio)."""


@dataclass(frozen=True, slots=True)
class BatteryThresholds:
    """Below these a device is battery-low: judged by ``battery_pct`` when it reports one, else by ``battery_v``."""

    low_pct: float = 20.0
    low_v: float = 3.3

    def low(self, health: DeviceHealth) -> bool | None:
        """Whether the battery is low; ``None`` when the device reported no battery figure."""
        if health.figures.battery_pct is not None:
            return health.figures.battery_pct < self.low_pct
        if health.figures.battery_v is not None:
            return health.figures.battery_v < self.low_v
        return None


class Subscriber:
    """One stream listener: the latest figures of each parking that changed since it last read (one entry per
    parking at most, so its memory is bounded by the registry however fast the stream), or the end of the stream.

    Never dropped for being slow: a slow reader just gets fewer, coalesced changes (see ``STREAM_INTERVAL_S``).
    """

    __slots__ = ("_last_read", "_ready", "ended", "interval_s", "pending")

    def __init__(self, interval_s: float = STREAM_INTERVAL_S) -> None:
        self.pending: dict[str, Availability] = {}
        """Parking id to its latest changed figures, in the order the parkings first changed since the last read."""
        self.ended = False
        self.interval_s = interval_s
        self._ready = asyncio.Event()
        self._last_read = 0.0

    def offer(self, availability: Availability) -> None:
        """A parking's figures changed: replaces what waits for that parking."""
        self.pending[availability.parking_id] = availability
        self._ready.set()

    def end(self) -> None:
        """End the stream (server shutdown): the client's EventSource reconnects elsewhere and gets a snapshot."""
        self.ended = True
        self.pending.clear()
        self._ready.set()

    def take(self) -> list[Availability] | None:
        """What changed since the last read, without waiting (empty if nothing); None once the stream ended."""
        if self.ended:
            return None
        changes = list(self.pending.values())
        self.pending.clear()
        self._ready.clear()
        return changes

    async def changes(self) -> list[Availability] | None:
        """Wait for changes (at most one read per ``interval_s``): each changed parking once, with its latest
        figures; None once the stream ended."""
        while True:
            await self._ready.wait()
            wait_s = self._last_read + self.interval_s - time.monotonic()
            if wait_s > 0 and not self.ended:
                await asyncio.sleep(wait_s)  # let more changes coalesce: a fast stream gets batches, not floods
            self._last_read = time.monotonic()
            changes = self.take()
            if changes is None or changes:
                return changes


class LiveState:
    """What the API knows right now, folded from the MQTT stream and bootstrapped from the store."""

    def __init__(
        self,
        registry: Registry,
        metrics: ApiMetrics,
        limits: Limits = Limits(),  # noqa: B008 - frozen dataclasses, safe as defaults
        battery: BatteryThresholds = BatteryThresholds(),
    ) -> None:
        self._fold = AvailabilityFold(registry)
        self._metrics = metrics
        self._limits = limits
        self.battery = battery
        self._health: dict[str, DeviceHealth] = {}
        self._alive: frozenset[str] = frozenset()
        self._subscribers: set[Subscriber] = set()
        self.bootstrapped = False
        self.broker_connected = False
        self.changed_ns = 0
        """When availability or device liveness last changed."""
        self.seen_ns = 0
        """When a device was last heard of (last_updated and health change with every message)."""
        self.version = 0
        """Counts every input (message, tick, bootstrap, registry): the key of rendered list bodies (api.caching)."""
        # Read at each scrape, on the event loop like every other use of the live state.
        metrics.devices.set_function(lambda: len(self.registry.devices))
        metrics.devices_offline.set_function(lambda: sum(1 for d in self.registry.devices if self.offline(d.id)))
        metrics.devices_battery_low.set_function(
            lambda: sum(1 for d in self.registry.devices if self.battery_low(d.id))
        )
        metrics.stream_queue_depth.set_function(lambda: max((len(s.pending) for s in self._subscribers), default=0))

    @property
    def modified_ns(self) -> int:
        """When anything the list endpoints show last changed (their Last-Modified)."""
        return max(self.changed_ns, self.seen_ns)

    @property
    def registry(self) -> Registry:
        return self._fold.registry

    # Inputs ------------------------------------------------------------------------------------------
    def handle_message(self, topic: str, payload: bytes, now_ns: int) -> list[Availability]:
        """Decode and fold one MQTT message; a bad one is counted by reason and otherwise ignored."""
        self._metrics.messages_received.inc()
        try:
            readings = decode_message(topic, payload, now_ns, self.registry, self._limits)
        except Rejected as rejection:
            self._metrics.messages_rejected.labels(rejection.reason.value).inc()
            log.debug("ignored a message on %s: %s", topic, rejection)
            return []
        changed: list[Availability] = []
        for reading in readings:
            changed.extend(self.apply(reading, now_ns))
        return changed

    def apply(self, reading: Reading, now_ns: int) -> list[Availability]:
        self.version += 1
        self._note_health(reading)
        self.seen_ns = max(self.seen_ns, now_ns)
        changed = self._fold.apply(reading, now_ns)
        if reading.device_id not in self._alive and self._fold.device_alive(reading.device_id, now_ns):
            # A message can only bring its own device back to life; the tick judges the silent ones.
            self._alive = self._alive | {reading.device_id}
            self.changed_ns = max(self.changed_ns, now_ns)
        self._publish(changed, now_ns)
        return changed

    def bootstrap(self, snapshots: Iterable[DeviceSnapshot], now_ns: int) -> int:
        """Seed the fold and device health from the store; messages folded before this are kept if newer."""
        count = 0
        for snapshot in snapshots:
            if snapshot.device_id not in self.registry.device_by_id:
                continue
            self._fold.restore(
                snapshot.device_id, snapshot.occupied, snapshot.occupied_ns, snapshot.last_seen_ns, now_ns
            )
            self._merge_health(
                DeviceHealth(
                    snapshot.device_id,
                    snapshot.last_seen_ns,
                    snapshot.health,
                    snapshot.status_ns,
                )
            )
            count += 1
        self.seen_ns = max(self.seen_ns, now_ns)
        self.expire(now_ns)
        self.bootstrapped = True
        return count

    def replace_registry(self, registry: Registry, now_ns: int) -> list[Availability]:
        """Take an edited registry at once (an adopted or removed device), keeping what devices said."""
        self.version += 1
        changed = self._fold.replace_registry(registry, now_ns)
        self._health = {k: v for k, v in self._health.items() if k in registry.device_by_id}
        self._note_alive(now_ns)
        self.changed_ns = max(self.changed_ns, now_ns)
        self._publish(changed, now_ns)
        return changed

    def expire(self, now_ns: int) -> list[Availability]:
        """Re-judge every parking and device at ``now_ns``: silent devices turn unknown without a message."""
        self.version += 1
        changed = self._fold.expire(now_ns)
        self._note_alive(now_ns)
        self._publish(changed, now_ns)
        return changed

    # Reads -------------------------------------------------------------------------------------------
    def availability(self, parking_id: str) -> Availability | None:
        return self._fold.current(parking_id)

    def snapshot(self) -> dict[str, Availability]:
        return self._fold.snapshot()

    def health(self, device_id: str) -> DeviceHealth:
        return self._health.get(device_id) or DeviceHealth(device_id)

    def alive(self, device_id: str) -> bool:
        """Whether the device spoke within its heartbeat allowance (as of the last message or tick)."""
        return device_id in self._alive

    def offline(self, device_id: str) -> bool:
        """Heard of before, but silent past its heartbeat allowance (its spaces count as unknown)."""
        return device_id not in self._alive and self.health(device_id).last_seen_ns is not None

    def battery_low(self, device_id: str) -> bool | None:
        """Whether its latest battery figure is below the threshold; ``None`` when it reported none."""
        return self.battery.low(self.health(device_id))

    # Stream ------------------------------------------------------------------------------------------
    def subscribe(self) -> Subscriber:
        subscriber = Subscriber()
        self._subscribers.add(subscriber)
        self._metrics.stream_listeners.set(len(self._subscribers))
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)
        self._metrics.stream_listeners.set(len(self._subscribers))

    # Internals ---------------------------------------------------------------------------------------
    def _publish(self, changed: list[Availability], now_ns: int) -> None:
        if not changed:
            return
        self.changed_ns = max(self.changed_ns, now_ns)
        self._metrics.availability_changes.inc(len(changed))
        for subscriber in self._subscribers:
            for availability in changed:
                subscriber.offer(availability)

    def _note_health(self, reading: Reading) -> None:
        if isinstance(reading, StatusReading):
            figures = HealthFigures.from_values(reading.values)
            self._merge_health(DeviceHealth(reading.device_id, reading.ts_ns, figures, reading.ts_ns))
            return
        # Not a status message: only "last seen" can move (the common case, kept cheap: no dataclasses.replace).
        old = self._health.get(reading.device_id)
        if old is None:
            self._health[reading.device_id] = DeviceHealth(reading.device_id, last_seen_ns=reading.ts_ns)
        elif old.last_seen_ns is None or reading.ts_ns > old.last_seen_ns:
            self._health[reading.device_id] = DeviceHealth(old.device_id, reading.ts_ns, old.figures, old.status_ns)

    def _merge_health(self, update: DeviceHealth) -> None:
        """Keep the newest of each: last seen by time, status values from the newest status message."""
        old = self._health.get(update.device_id)
        if old is None:
            self._health[update.device_id] = update
            return
        merged = old
        if update.last_seen_ns is not None and (old.last_seen_ns is None or update.last_seen_ns > old.last_seen_ns):
            merged = replace(merged, last_seen_ns=update.last_seen_ns)
        if update.status_ns is not None and (old.status_ns is None or update.status_ns >= old.status_ns):
            merged = replace(merged, status_ns=update.status_ns, figures=old.figures.updated_by(update.figures))
        self._health[update.device_id] = merged

    def _note_alive(self, now_ns: int) -> None:
        alive = frozenset(d.id for d in self.registry.devices if self._fold.device_alive(d.id, now_ns))
        if alive != self._alive:
            self._alive = alive
            self.changed_ns = max(self.changed_ns, now_ns)
