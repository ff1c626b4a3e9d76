"""A small in-memory Store for unit tests of the routers (injected through the Store Protocol)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from fastapi.testclient import TestClient

from ridebuy.api.live_state import LiveState
from ridebuy.devices.topics import device_topic
from ridebuy.store.base import (
    ActivityBucket,
    AvailabilityBucket,
    CountBucket,
    DeviceSnapshot,
    Rejection,
    StoreUnavailable,
)
from ridebuy.store.points import Point


@dataclass
class FakeStore:
    snapshots: list[DeviceSnapshot] = field(default_factory=list)
    history: list[AvailabilityBucket] = field(default_factory=list)
    counts: list[CountBucket] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    down: bool = False
    broken: bool = False
    """Fail with an unexpected error (a bug in a backend), not a store error."""
    calls: list[tuple[object, ...]] = field(default_factory=list)

    def _check(self) -> None:
        if self.down:
            raise StoreUnavailable("connection refused (fake)")
        if self.broken:
            raise RuntimeError("secret internals that must not leak")

    def ensure_ready(self) -> None:
        self._check()

    def write(self, points: Sequence[Point]) -> None:
        self._check()

    def ping(self) -> bool:
        return not self.down

    def close(self) -> None:
        pass

    def device_snapshots(self) -> list[DeviceSnapshot]:
        self._check()
        self.calls.append(("device_snapshots",))
        return list(self.snapshots)

    def parking_history(self, parking_id: str, start_ns: int, end_ns: int, every_s: int) -> list[AvailabilityBucket]:
        self._check()
        self.calls.append(("parking_history", parking_id, start_ns, end_ns, every_s))
        return list(self.history)

    def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None = None
    ) -> list[CountBucket]:
        self._check()
        self.calls.append(("counter_counts", counter_id, start_ns, end_ns, every_s, direction))
        return [c for c in self.counts if direction is None or c.direction == direction]

    def device_activity(self, start_ns: int, end_ns: int, every_s: int) -> list[ActivityBucket]:
        self._check()
        self.calls.append(("device_activity", start_ns, end_ns, every_s))
        return []

    def recent_rejections(self, limit: int, reason: str | None = None, since_ns: int | None = None) -> list[Rejection]:
        self._check()
        self.calls.append(("recent_rejections", limit, reason, since_ns))
        chosen = [
            r
            for r in self.rejections
            if (reason is None or r.reason == reason) and (since_ns is None or r.time_ns >= since_ns)
        ]
        return sorted(chosen, key=lambda r: -r.time_ns)[:limit]


@dataclass
class Clock:
    """A settable clock for the app (``clock_ns``)."""

    now_ns: int

    def __call__(self) -> int:
        return self.now_ns


@dataclass
class InProcessApi:
    """The app in-process through FastAPI's TestClient, with its live state at hand."""

    client: TestClient
    clock: Clock

    @property
    def live(self) -> LiveState:
        live: LiveState = self.client.app.state.context.live  # type: ignore[attr-defined]
        return live

    def send(self, device: str, kind: str, payload: dict[str, object]) -> None:
        """Fold a native message into live state as if it came over MQTT now."""
        self.live.handle_message(device_topic(device, kind), json.dumps(payload).encode(), self.clock())
