"""MQTT clients side by side: how fast one client drains a queued backlog when it does nothing but acknowledge.

    python -m bench.mqtt_clients [--messages 100000] [--clients paho-5 paho-3.1.1 mqtt5-session]

Same broker set-up and backlog as bench.backlog_drain, but the client only acknowledges each message (at once, in
the order received): no decoding, no store. ``paho-5`` and ``paho-3.1.1`` are paho-mqtt with manual acks, as the
ingest used it; ``mqtt5-session`` is ridebuy's MQTT 5 session (ridebuy.shared.mqtt5_session, on the `mqtt5`
codec). Whatever the ingest does on top costs from this budget. Each client gets a fresh broker.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from bench.backlog_drain import publish_backlog
from bench.machine import machine_lines
from bench.workload import Town
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.mqtt5_session import Mqtt5Session
from tests.support.servers import Mosquitto

TOPIC = "ridebuy/v1/devices/+/+"


def _client(protocol: str, client_id: str) -> mqtt.Client:
    if protocol == "5":
        return mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True
        )
    return mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=MQTTProtocolVersion.MQTTv311,
        clean_session=False,
        manual_ack=True,
    )


def _connect(client: mqtt.Client, broker: Mosquitto, protocol: str) -> None:
    if protocol == "5":
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = 3600
        properties.ReceiveMaximum = 10_000
        client.connect("127.0.0.1", broker.port, clean_start=False, properties=properties)
    else:
        client.connect("127.0.0.1", broker.port)


def drain_rate(broker: Mosquitto, messages: int, protocol: str) -> float:
    """Messages per second of a paho client that only acknowledges, draining ``messages`` queued ones."""
    client_id = f"paho-ceiling-{protocol}"
    subscribed = threading.Event()
    first = _client(protocol, client_id)
    first.on_subscribe = lambda *args: subscribed.set()
    _connect(first, broker, protocol)
    first.subscribe(TOPIC, qos=1)
    first.loop_start()
    if not subscribed.wait(10):
        raise RuntimeError("no SUBACK")
    first.disconnect()
    first.loop_stop()

    publish_backlog(broker.url, Town(), messages)

    received = 0
    client = _client(protocol, client_id)

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        nonlocal received
        received += 1
        client.ack(message.mid, message.qos)

    client.on_message = on_message
    started = time.monotonic()
    _connect(client, broker, protocol)
    while received < messages:
        client.loop(0.01)
        if time.monotonic() - started > 600:
            raise RuntimeError(f"only {received} of {messages} received")
    elapsed = time.monotonic() - started
    client.disconnect()
    return messages / elapsed


def session_drain_rate(broker: Mosquitto, messages: int) -> float:
    """The same for the ingest's MQTT 5 session: acks queued from the callback, written in batches."""
    address = parse_broker_url(broker.url)
    first = Mqtt5Session(address, "session-ceiling", (TOPIC,), lambda *args: None, session_expiry_s=3600)
    first.start()
    if not first.wait_connected(10):
        raise RuntimeError("the MQTT 5 session did not connect")
    first.close()

    publish_backlog(broker.url, Town(), messages)

    received = 0
    done = threading.Event()

    def on_message(topic: str, payload: bytes, packet_id: int, qos: int, generation: int, received_ns: int) -> None:
        nonlocal received
        received += 1
        session.ack(packet_id, qos, generation)
        if received >= messages:
            done.set()

    session = Mqtt5Session(address, "session-ceiling", (TOPIC,), on_message, session_expiry_s=3600)
    started = time.monotonic()
    session.start()
    if not done.wait(600):
        raise RuntimeError(f"only {received} of {messages} received")
    elapsed = time.monotonic() - started
    session.close()
    return messages / elapsed


CLIENTS = ("paho-5", "paho-3.1.1", "mqtt5-session")


def run(messages: int, client: str) -> float:
    """Messages per second of ``client`` (one of :data:`CLIENTS`) draining ``messages``, on a fresh broker."""
    workdir = Path(tempfile.mkdtemp(prefix="ridebuy-bench-"))
    broker = Mosquitto(workdir / "mosquitto")
    broker.start()
    try:
        if client == "mqtt5-session":
            return session_drain_rate(broker, messages)
        return drain_rate(broker, messages, client.removeprefix("paho-"))
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.mqtt_clients", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--clients", nargs="+", choices=CLIENTS, default=list(CLIENTS))
    args = parser.parse_args(argv)
    rates = {client: run(args.messages, client) for client in args.clients}
    print(*machine_lines(), sep="\n")
    print(f"MQTT clients: {args.messages} queued QoS 1 messages, each acknowledged at once, one process")
    for client, rate in rates.items():
        print(f"  {client:<14} {rate:>9,.0f} msg/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
