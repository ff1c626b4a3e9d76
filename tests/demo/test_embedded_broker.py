"""The demo's embedded amqtt broker: loopback only, a free port when the usual one is taken, and the ingest's
MQTT 3.1.1 mode (``?protocol=3.1.1``) receiving through it with manual acknowledgements."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ridebuy.ingest.paho_session import MqttListener
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.demo.embedded_broker import EmbeddedBroker, EmbeddedBrokerError, port_is_free
from tests.support.ports import free_port
from tests.support.waiting import wait_until


@pytest.fixture
def broker() -> Iterator[EmbeddedBroker]:
    embedded = EmbeddedBroker(port=free_port())
    embedded.start()
    yield embedded
    embedded.stop()


def test_the_url_says_mqtt_3_1_1_and_parses_back(broker: EmbeddedBroker) -> None:
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


def test_a_taken_port_is_refused_when_asked_for_and_avoided_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert not port_is_free("127.0.0.1", port)
        with pytest.raises(EmbeddedBrokerError, match=f"port {port}"):
            EmbeddedBroker(port=port).start()
        monkeypatch.setattr("ridebuy.demo.embedded_broker.USUAL_PORT", port)
        fallback = EmbeddedBroker()
        fallback.start()
        try:
            assert fallback.port not in (None, port)
        finally:
            fallback.stop()


def test_the_ingest_listener_receives_through_it_and_acknowledges(broker: EmbeddedBroker) -> None:
    received: list[tuple[str, bytes, int, int, int]] = []
    arrived = threading.Event()

    def on_message(topic: str, payload: bytes, mid: int, qos: int, generation: int, received_ns: int) -> None:
        received.append((topic, payload, mid, qos, generation))
        arrived.set()

    listener = MqttListener(parse_broker_url(broker.url), "test-ingest", ("ridebuy/v1/devices/+/+",), on_message)
    listener.start()
    publisher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-device")
    try:
        assert listener.wait_connected(10)
        publisher.connect("127.0.0.1", broker.port or 0)
        publisher.loop_start()

        def publish_and_see() -> bool:
            # The SUBACK may still be on its way after the CONNACK: publish until the subscription takes it.
            publisher.publish("ridebuy/v1/devices/gp-rack-1/occupancy", b'{"occupied": 3}', qos=1).wait_for_publish(5)
            return arrived.wait(0.5)

        wait_until(publish_and_see, timeout_s=10, what="a message through the broker")
        topic, payload, mid, qos, generation = received[0]
        assert (topic, payload, qos) == ("ridebuy/v1/devices/gp-rack-1/occupancy", b'{"occupied": 3}', 1)
        listener.ack(mid, qos, generation)
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        listener.close()

