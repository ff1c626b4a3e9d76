"""Publishing from tests with a real client, waiting for every PUBACK."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterable

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ridebuy.shared.brokers import parse_broker_url


def publish_all(url: str, messages: Iterable[tuple[str, bytes | str]], qos: int = 1, timeout_s: float = 60.0) -> int:
    """Publish every (topic, payload) and return once the broker acknowledged them all; returns the count."""
    broker = parse_broker_url(url)
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="", protocol=mqtt.MQTTv311)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.connect(broker.host, broker.port)
    client.loop_start()
    try:
        infos = [client.publish(topic, payload, qos=qos) for topic, payload in messages]
        deadline = time.monotonic() + timeout_s
        for info in infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            if not info.is_published():
                raise AssertionError("the broker did not acknowledge every message in time")
        return len(infos)
    finally:
        client.disconnect()
        _stop_loop(client)


def mosquitto_pub(url: str, topic: str, payload: bytes | str, qos: int = 1) -> None:
    """Publish one message with the real ``mosquitto_pub`` command-line client."""
    broker = parse_broker_url(url)
    message = payload.encode() if isinstance(payload, str) else payload
    subprocess.run(
        ["mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", str(qos), "-t", topic, "-s"],
        input=message,
        check=True,
        timeout=30,
    )


MAX_OUTSTANDING = 20_000


class Publisher:
    """A connected QoS 1 publisher for streams: ``publish`` at a bounded rate, ``wait_all`` for the PUBACKs."""

    def __init__(self, url: str, client_id: str = "") -> None:
        broker = parse_broker_url(url)
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.connect(broker.host, broker.port)
        self._client.loop_start()
        self._infos: list[mqtt.MQTTMessageInfo] = []

    def publish(self, messages: Iterable[tuple[str, bytes | str]], rate_per_s: float | None = None) -> int:
        started = time.monotonic()
        sent = 0
        for topic, payload in messages:
            self._infos.append(self._client.publish(topic, payload, qos=1))
            sent += 1
            if len(self._infos) > MAX_OUTSTANDING:
                # Packet ids are 16 bits: keep well below 65,535 messages in flight or paho refuses more.
                self._infos[-MAX_OUTSTANDING].wait_for_publish(60)
            if rate_per_s is not None:
                ahead = sent / rate_per_s - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        return sent

    def wait_all(self, timeout_s: float = 120.0) -> None:
        deadline = time.monotonic() + timeout_s
        for info in self._infos:
            info.wait_for_publish(max(deadline - time.monotonic(), 0.1))
            if not info.is_published():
                raise AssertionError("the broker did not acknowledge every message in time")

    def close(self) -> None:
        self._client.disconnect()
        _stop_loop(self._client)


def _stop_loop(client: mqtt.Client) -> None:
    """``loop_stop`` after ``disconnect``: paho's network thread may end between loop_stop's check of its thread and
    the join (it then raises AttributeError on None); the thread being gone is what we wanted."""
    with contextlib.suppress(AttributeError):
        client.loop_stop()
