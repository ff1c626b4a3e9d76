"""The API's live subscription picks its client by what the broker speaks; the app does not know which."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from ridebuy.api.live_state import LiveState
from ridebuy.api.live_subscription import listen_forever
from ridebuy.api.metrics import ApiMetrics
from ridebuy.demo.embedded_broker import EmbeddedBroker
from ridebuy.devices.topics import device_topic
from ridebuy.shared.brokers import parse_broker_url
from tests.devices.helpers import small_registry
from tests.support.mqtt import publish_all
from tests.support.processes import Processes


async def until(condition: object, what: str, timeout_s: float = 40.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_a_broker_that_speaks_only_311_is_followed_with_311(
    caplog: pytest.LogCaptureFixture, processes: Processes
) -> None:
    """The demo's embedded amqtt never answers an MQTT 5 CONNECT: after the session's connect timeout the API
    says so once and follows the stream over MQTT 3.1.1 (aiomqtt), without ``?protocol=3.1.1`` in the URL."""
    broker = EmbeddedBroker()
    url = broker.start().split("?")[0]
    live = LiveState(small_registry(), ApiMetrics())
    publishers: list[object] = []

    async def scenario() -> None:
        task = asyncio.create_task(
            listen_forever(parse_broker_url(url), live, ApiMetrics(), on_client=publishers.append)
        )
        try:
            await until(lambda: live.broker_connected, "a connection over MQTT 3.1.1")
            message = (device_topic("gare-rack", "occupancy"), b'{"occupied": 1}')
            await asyncio.to_thread(publish_all, url + "?protocol=3.1.1", [message])
            await until(lambda: (a := live.availability("gare")) is not None and a.occupied == 1, "the fold")
        finally:
            task.cancel()

    try:
        with caplog.at_level(logging.WARNING):
            asyncio.run(scenario())
    finally:
        broker.stop()
    assert [r for r in caplog.records if "does not speak MQTT 5" in r.getMessage()]
    assert any(p is not None for p in publishers)  # the panels get a publisher on the 3.1.1 connection too
