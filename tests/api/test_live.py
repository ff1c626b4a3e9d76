"""LiveState: the API's fold of the stream, device health and the fan-out to stream listeners (pure logic)."""

from __future__ import annotations

import asyncio
import json

from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.readings import HealthFigures
from ridebuy.devices.topics import device_topic
from ridebuy.store.base import DeviceSnapshot
from tests.devices.helpers import small_registry

S = 1_000_000_000
NOW = 1_777_880_000 * S


def message(live: LiveState, device: str, kind: str, payload: dict[str, object], now_ns: int = NOW) -> int:
    return len(live.handle_message(device_topic(device, kind), json.dumps(payload).encode(), now_ns))


def sample(metrics: ApiMetrics, name: str, **labels: str) -> float:
    value = metrics.registry.get_sample_value(name, labels or None)
    return value or 0.0


def test_messages_fold_and_rejections_are_counted_by_reason() -> None:
    metrics = ApiMetrics()
    live = LiveState(small_registry(), metrics)
    assert message(live, "gare-rack", "occupancy", {"occupied": 1}) == 1
    assert message(live, "gare-rack", "occupancy", {"occupied": 1}) == 0  # same figures: no change
    assert message(live, "ghost", "occupancy", {"occupied": 1}) == 0
    assert message(live, "gare-rack", "occupancy", {"occupied": -2}) == 0
    gare = live.availability("gare")
    assert gare is not None and (gare.free, gare.status) == (3, ParkingStatus.OK)
    assert sample(metrics, "ridebuy_api_messages_received_total") == 4
    assert sample(metrics, "ridebuy_api_messages_rejected_total", reason="unknown_device") == 1
    assert sample(metrics, "ridebuy_api_messages_rejected_total", reason="invalid_payload") == 1
    assert sample(metrics, "ridebuy_api_availability_changes_total") == 1


def test_a_bootstrap_never_overrides_newer_live_messages() -> None:
    live = LiveState(small_registry(), ApiMetrics())
    message(live, "gare-rack", "occupancy", {"ts": (NOW - S) // 1_000_000, "occupied": 2})
    live.bootstrap(
        [
            DeviceSnapshot("gare-rack", occupied=4, occupied_ns=NOW - 30 * S, last_seen_ns=NOW - 30 * S),
            DeviceSnapshot(
                "gp-rack-1",
                occupied=1,
                occupied_ns=NOW - 5 * S,
                last_seen_ns=NOW - 5 * S,
                health=HealthFigures(battery_v=3.3),
                status_ns=NOW - 5 * S,
            ),
            DeviceSnapshot("retired-device", occupied=1, occupied_ns=NOW, last_seen_ns=NOW),
        ],
        NOW,
    )
    assert live.bootstrapped
    gare, grand_place = live.availability("gare"), live.availability("grand-place")
    assert gare is not None and gare.occupied == 2
    assert grand_place is not None and (grand_place.occupied, grand_place.unknown) == (1, 2)
    assert live.health("gp-rack-1").figures.battery_v == 3.3
    assert live.alive("gp-rack-1") and not live.alive("gp-slot-01")


def test_status_values_merge_by_time() -> None:
    live = LiveState(small_registry(), ApiMetrics())
    message(live, "gp-slot-01", "status", {"ts": NOW // 1_000_000, "battery_v": 3.6, "rssi": -90})
    message(live, "gp-slot-01", "status", {"ts": NOW // 1_000_000 + 1000, "rssi": -95, "firmware": "1.2"})
    message(live, "gp-slot-01", "status", {"ts": NOW // 1_000_000 - 1000, "battery_v": 2.0})  # late, older
    health = live.health("gp-slot-01")
    assert health.figures == HealthFigures(battery_v=3.6, rssi=-95)
    assert health.status_ns == health.last_seen_ns == NOW + S


def test_silence_turns_devices_stale_and_moves_last_modified() -> None:
    live = LiveState(small_registry(), ApiMetrics())
    live.bootstrap([], NOW)
    message(live, "gare-rack", "occupancy", {"occupied": 0})
    assert live.alive("gare-rack")
    assert live.expire(NOW + S) == []
    before = live.modified_ns
    changed = live.expire(NOW + 3600 * S)
    assert [a.parking_id for a in changed] == ["gare"]
    assert not live.alive("gare-rack")
    assert live.modified_ns == NOW + 3600 * S > before


def test_a_listener_that_does_not_read_gets_the_latest_figures_of_each_changed_parking_once() -> None:
    metrics = ApiMetrics()
    live = LiveState(small_registry(), metrics)
    slow, quick = live.subscribe(), live.subscribe()
    for occupied in range(1000):  # far more changes than parkings: memory stays one entry per parking
        message(live, "gare-rack", "occupancy", {"occupied": occupied % 4})
        message(live, "gp-rack-1", "occupancy", {"occupied": occupied % 3})
        assert len(slow.pending) <= 2
        changes = quick.take()
        assert changes is not None and len(changes) <= 2
    assert sample(metrics, "ridebuy_api_stream_queue_depth") == 2
    message(live, "gare-rack", "occupancy", {"occupied": 1})
    changes = slow.take()
    assert changes is not None
    assert [(a.parking_id, a.occupied) for a in changes] == [("gare", 1), ("grand-place", 999 % 3)]
    assert slow.take() == []  # read: nothing waits
    assert sample(metrics, "ridebuy_api_stream_queue_depth") == 1  # quick did not read the last change
    assert sample(metrics, "ridebuy_api_stream_listeners") == 2  # nobody was dropped


def test_a_stream_waits_for_changes_and_ends_on_shutdown() -> None:
    live = LiveState(small_registry(), ApiMetrics())

    def occupied(value: int) -> None:
        message(live, "gare-rack", "occupancy", {"occupied": value})

    async def follow() -> list[list[tuple[str, int]] | None]:
        listener = live.subscribe()
        reads: list[list[tuple[str, int]] | None] = []
        asyncio.get_running_loop().call_soon(occupied, 2)
        for _ in range(2):
            changes = await listener.changes()
            reads.append(None if changes is None else [(a.parking_id, a.occupied) for a in changes])
            if changes is not None:  # two changes of one parking while the listener waits its turn: one event
                occupied(3)
                occupied(0)
        listener.end()
        last = await listener.changes()
        reads.append(None if last is None else [(a.parking_id, a.occupied) for a in last])
        live.unsubscribe(listener)
        return reads

    assert asyncio.run(follow()) == [[("gare", 2)], [("gare", 0)], None]


def test_a_device_clock_that_ran_ahead_then_was_corrected_is_followed_at_once() -> None:
    live = LiveState(small_registry(), ApiMetrics())
    message(live, "gare-rack", "occupancy", {"ts": (NOW + 240 * S) // 1_000_000, "occupied": 3})
    message(live, "gare-rack", "occupancy", {"ts": (NOW + 10 * S) // 1_000_000, "occupied": 1}, NOW + 10 * S)
    gare = live.availability("gare")
    assert gare is not None and gare.occupied == 1
