"""The API publishes each display panel on MQTT, retained, on the real Mosquitto with the real ``ridebuy api``."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ridebuy.devices.panels import panel_topic
from tests.api.conftest import Stack, now_ms
from tests.api.panel_stack import Subscriber, write_panel_registry
from tests.support.servers import InfluxDB, Mosquitto

TOPIC = panel_topic("entree")
INTERVAL_S = 3


@pytest.fixture
def panel_stack(tmp_path: Path, mosquitto: Mosquitto, influxdb: InfluxDB, database: str) -> Iterator[Stack]:
    running = Stack(tmp_path, mosquitto, influxdb, database, write_panel_registry(tmp_path / "registry.yaml"))
    running.start_api("--panel-publish-interval-s", str(INTERVAL_S))
    yield running
    running.close()


def figures(payload: bytes) -> dict[str, tuple[int | None, str]]:
    return {p["id"]: (p["free"], p["status"]) for p in json.loads(payload)["parkings"]}


def test_the_retained_state_changes_within_2_s_of_an_occupancy_message(panel_stack: Stack) -> None:
    sign = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        first = sign.next()
        assert first.retain and first.topic == TOPIC
        assert figures(first.payload)["gare"] == (None, "unknown")  # nothing heard yet: no number
        # A dead API's state expires instead of lingering (a retained copy carries what is left of the interval).
        assert first.expiry_s is not None and 0 < first.expiry_s <= 3 * INTERVAL_S
        over_http = panel_stack.json("/v1/panels/entree")
        assert json.loads(first.payload)["parkings"] == over_http["parkings"]  # the same body as over HTTP

        for occupied, free in ((1, 3), (4, 0), (2, 2)):
            sent = time.monotonic()
            panel_stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": occupied})
            while True:
                message = sign.next(timeout_s=max(0.1, sent + 2.0 - time.monotonic()))
                if figures(message.payload)["gare"] == (free, "ok"):
                    break
            assert message.at - sent < 2.0
    finally:
        sign.close()


def test_a_new_subscriber_gets_the_current_state_at_once(panel_stack: Stack) -> None:
    panel_stack.publish("gare-rack", "occupancy", {"ts": now_ms(), "occupied": 3})
    watcher = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        deadline = time.monotonic() + 5
        while figures(watcher.next().payload)["gare"] != (1, "ok"):
            assert time.monotonic() < deadline
    finally:
        watcher.close()
    subscribed = time.monotonic()
    late = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        message = late.next(timeout_s=2)
        assert message.retain  # from the broker's store, not a fresh publish
        assert message.at - subscribed < 1.0
        assert figures(message.payload)["gare"] == (1, "ok")
    finally:
        late.close()


def test_the_state_is_republished_without_a_change(panel_stack: Stack) -> None:
    sign = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        first = sign.next()
        while json.loads(first.payload)["ride_and_buy"] is None:  # the first count of passages comes in a moment
            first = sign.next()
        assert json.loads(first.payload)["ride_and_buy"]["visits"] == 0
        again = sign.next(timeout_s=INTERVAL_S + 2)
        assert again.payload == first.payload
        assert not again.retain  # a live publish to a present subscriber
        assert INTERVAL_S - 1 <= again.at - first.at <= INTERVAL_S + 1.5
    finally:
        sign.close()


def test_the_retained_state_expires_when_the_api_is_gone(panel_stack: Stack) -> None:
    sign = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        sign.next()
    finally:
        sign.close()
    assert panel_stack.api is not None
    panel_stack.api.stop()
    stopped = time.monotonic()
    right_after = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        assert right_after.next(timeout_s=2).retain  # the broker still holds the last state, for now
    finally:
        right_after.close()
    # Three publish periods after the last message, the broker drops it: no old figures for a new controller.
    time.sleep(max(0.0, stopped + 3 * INTERVAL_S + 1 - time.monotonic()))
    late = Subscriber(panel_stack.mosquitto.url, TOPIC)
    try:
        with pytest.raises(AssertionError, match="no panel message"):
            late.next(timeout_s=1.5)
    finally:
        late.close()
