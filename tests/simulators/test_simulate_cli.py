"""The real ``ridebuy simulate`` process against a private Mosquitto, watched by a real subscriber."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS, decode_message
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.registry import DeviceKind, Registry, load_registry
from tests.support.mqtt import publish_all
from tests.support.processes import RIDEBUY, Processes
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until


class Subscriber:
    """A paho client subscribed to every device topic (native and LoRaWAN); keeps (arrival ns, topic, payload)."""

    SENTINEL = "test/sentinel"

    def __init__(self, broker: Mosquitto) -> None:
        self.broker = broker
        self.messages: queue.Queue[tuple[int, str, bytes]] = queue.Queue()
        self._subscribed = threading.Event()
        self._client = mqtt.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="test-watcher")
        self._client.on_connect = lambda client, *_: client.subscribe(
            [(f, 1) for f in (*ALL_SUBSCRIPTIONS, self.SENTINEL)]
        )
        self._client.on_subscribe = lambda *_: self._subscribed.set()
        self._client.on_message = self._on_message
        self._client.connect("127.0.0.1", broker.port)
        self._client.loop_start()
        assert self._subscribed.wait(10), "the test subscriber could not subscribe"

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.messages.put((time.time_ns(), message.topic, bytes(message.payload)))

    def drain(self) -> list[tuple[int, str, bytes]]:
        got = []
        while True:
            try:
                got.append(self.messages.get_nowait())
            except queue.Empty:
                return got

    def drain_all_published(self, timeout_s: float = 30) -> list[tuple[int, str, bytes]]:
        """Every message the broker acknowledged so far: publish a sentinel and take what arrives before it.

        The broker forwards messages to this subscriber in the order it accepted them, so once the sentinel is
        here, every message acknowledged before it was published is here too.
        """
        publish_all(self.broker.url, [(self.SENTINEL, b"")])
        got: list[tuple[int, str, bytes]] = []
        deadline = time.monotonic() + timeout_s
        while True:
            message = self.messages.get(timeout=max(deadline - time.monotonic(), 0.01))
            if message[1] == self.SENTINEL:
                return got
            got.append(message)

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


@pytest.fixture
def subscriber(mosquitto: Mosquitto) -> Iterator[Subscriber]:
    watcher = Subscriber(mosquitto)
    yield watcher
    watcher.close()


def simulate(processes: Processes, broker: Mosquitto, *options: str) -> subprocess.Popen[str]:
    env = {**os.environ, "RIDEBUY_MQTT_URL": broker.url}
    env.pop("RIDEBUY_REGISTRY", None)
    return processes.popen(
        [RIDEBUY, "simulate", *options], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def finish(process: subprocess.Popen[str], timeout_s: float = 60) -> str:
    output, _ = process.communicate(timeout=timeout_s)
    assert process.returncode == 0, output
    return output


def decode_all(received: list[tuple[int, str, bytes]], registry: Registry) -> list[Reading]:
    """Every message must be one the ingest accepts (decode_message raises otherwise)."""
    return [
        reading
        for arrived_ns, topic, payload in received
        for reading in decode_message(topic, payload, arrived_ns, registry)
    ]


def test_simulate_publishes_valid_messages_of_every_kind_for_every_hannut_device(
    mosquitto: Mosquitto, subscriber: Subscriber, hannut: Registry, processes: Processes
) -> None:
    started_ns = time.time_ns()
    output = finish(simulate(processes, mosquitto, "--speed", "900", "--duration", "6", "--seed", "11"))
    assert "seed 11" in output
    readings = decode_all(subscriber.drain_all_published(), hannut)

    assert {type(r) for r in readings} == {OccupancyReading, PassageReading, StatusReading}
    assert {r.device_id for r in readings if isinstance(r, StatusReading)} == set(hannut.device_by_id)
    occupancy_devices = {r.device_id for r in readings if isinstance(r, OccupancyReading)}
    assert occupancy_devices == {d.id for d in hannut.devices if d.kind is not DeviceKind.COUNTER}
    counters = {r.counter_id for r in readings if isinstance(r, PassageReading)}
    assert counters == set(hannut.counter_by_id)
    # Real timestamps: from this run, none in the future.
    assert all(started_ns - 10**9 <= r.ts_ns <= time.time_ns() for r in readings)
    assert not any(r.ts_from_receipt for r in readings)


def test_sigterm_and_sigint_stop_the_simulator_cleanly(
    mosquitto: Mosquitto, subscriber: Subscriber, processes: Processes
) -> None:
    for sig in (signal.SIGTERM, signal.SIGINT):
        process = simulate(processes, mosquitto, "--speed", "60", "--seed", "1")
        wait_until(lambda: subscriber.messages.qsize() >= 30, timeout_s=20)
        process.send_signal(sig)
        output = finish(process, timeout_s=20)
        assert "done (stopped)" in output
        subscriber.drain()


def test_backfill_publishes_past_history_then_continues_live(
    mosquitto: Mosquitto, subscriber: Subscriber, hannut: Registry, processes: Processes
) -> None:
    started_ns = time.time_ns()
    finish(simulate(processes, mosquitto, "--backfill", "0.25", "--speed", "600", "--duration", "2", "--seed", "2"))
    readings = decode_all(subscriber.drain_all_published(), hannut)
    hour_ns = 3600 * 10**9
    assert min(r.ts_ns for r in readings) < started_ns - 5 * hour_ns  # six hours of history
    assert max(r.ts_ns for r in readings) >= started_ns  # and live traffic after it


def test_synthetic_devices_and_the_registry_written_for_them(
    mosquitto: Mosquitto, subscriber: Subscriber, hannut: Registry, tmp_path: Path, processes: Processes
) -> None:
    path = tmp_path / "load.yaml"
    finish(simulate(processes, mosquitto, "--devices", "40", "--write-registry", str(path)))
    assert subscriber.drain_all_published() == []  # writing the registry publishes nothing
    written = load_registry(path)
    assert len(written.devices) == len(hannut.devices) + 40

    finish(simulate(processes, mosquitto, "--devices", "40", "--speed", "600", "--duration", "6", "--rate", "500"))
    readings = decode_all(
        subscriber.drain_all_published(), written
    )  # the ingest, given the written file, accepts them all
    assert {r.device_id for r in readings} == set(written.device_by_id)
