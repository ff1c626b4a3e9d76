"""The demo's embedded amqtt broker: loopback only, a free port when the usual one is taken, and the ingest's
MQTT 3.1.1 mode (``?protocol=3.1.1``) receiving through it with manual acknowledgements."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ridebuy.demo.embedded_broker import EmbeddedBroker, EmbeddedBrokerError, port_is_free
from ridebuy.ingest.paho_session import MqttListener
from ridebuy.shared.brokers import parse_broker_url
from tests.support.ports import free_port
from tests.support.waiting import wait_until

StartBroker = Callable[..., EmbeddedBroker]


@pytest.fixture
def embedded_broker() -> Iterator[StartBroker]:
    """Start embedded brokers (a real amqtt server each); all are stopped after the test."""
    started: list[EmbeddedBroker] = []

    def start(**options: Any) -> EmbeddedBroker:
        broker = EmbeddedBroker(**options)
        broker.start()
        started.append(broker)
        return broker

    yield start
    for broker in started:
        broker.stop()


def test_the_url_says_mqtt_3_1_1_and_parses_back(embedded_broker: StartBroker) -> None:
    broker = embedded_broker(port=free_port())
    address = parse_broker_url(broker.url)
    assert (address.host, address.port, address.mqtt_v5) == ("127.0.0.1", broker.port, False)
    assert parse_broker_url("mqtt://h:1").mqtt_v5 is True
    with pytest.raises(ValueError, match="protocol=5"):
        parse_broker_url("mqtt://h:1?protocol=4")
    with pytest.raises(ValueError, match="only MQTT URL parameter"):
        parse_broker_url("mqtt://h:1?qos=1")


def test_it_listens_on_loopback_only() -> None:
    with pytest.raises(ValueError, match="loopback"):
        EmbeddedBroker(host="0.0.0.0")


def test_a_taken_port_is_refused_when_asked_for_and_avoided_by_default(
    embedded_broker: StartBroker, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        with pytest.raises(EmbeddedBrokerError, match=f"port {port}"):
            embedded_broker(port=port)
        monkeypatch.setattr("ridebuy.demo.embedded_broker.USUAL_PORT", port)
        fallback = embedded_broker()
        assert fallback.port not in (None, port)


def test_the_ingest_listener_receives_through_it_and_acknowledges(embedded_broker: StartBroker) -> None:
    broker = embedded_broker(port=free_port())
    url = parse_broker_url(broker.url)
    received: list[tuple[str, bytes, int, int, int]] = []
    arrived = threading.Event()

    def on_message(topic: str, payload: bytes, mid: int, qos: int, generation: int, received_ns: int) -> None:
        received.append((topic, payload, mid, qos, generation))
        arrived.set()

    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-device")
    publisher.connect("127.0.0.1", broker.port or 0)
    publisher.loop_start()

    def publish_until_seen(payload: bytes) -> None:
        arrived.clear()

        def publish_and_see() -> bool:
            # The SUBACK may still be on its way after the CONNACK: publish until the subscription takes it.
            publisher.publish("ridebuy/v1/devices/gp-rack-1/occupancy", payload, qos=1).wait_for_publish(5)
            return arrived.wait(0.5)

        wait_until(publish_and_see, timeout_s=10, what=f"{payload!r} through the broker")

    listener = MqttListener(url, "test-ingest", ("ridebuy/v1/devices/+/+",), on_message)
    listener.start()
    try:
        assert listener.wait_connected(10)
        publish_until_seen(b'{"occupied": 3}')
        topic, payload, _, qos, _ = received[0]
        assert (topic, payload, qos) == ("ridebuy/v1/devices/gp-rack-1/occupancy", b'{"occupied": 3}', 1)
        for message in received:  # the first may have been published more than once before the SUBACK
            listener.ack(message[2], message[3], message[4])
    finally:
        listener.close()

    # The same client id again (persistent session): an acknowledged message must not come back. A new message
    # is published until it arrives; anything redelivered would have come before it.
    received.clear()
    listener = MqttListener(url, "test-ingest", ("ridebuy/v1/devices/+/+",), on_message)
    listener.start()
    try:
        assert listener.wait_connected(10)
        publish_until_seen(b'{"occupied": 4}')
        assert {payload for _, payload, _, _, _ in received} == {b'{"occupied": 4}'}
    finally:
        listener.close()
        publisher.loop_stop()
        publisher.disconnect()
