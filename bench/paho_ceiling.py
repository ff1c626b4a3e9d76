"""The ceiling paho-mqtt sets: how fast one paho client drains a queued backlog when it does nothing else.

    python -m bench.paho_ceiling [--messages 100000] [--protocol 5|3.1.1]

Same broker set-up and backlog as bench.backlog_drain, but the client only acknowledges each message (manual ack,
at once): no decoding, no store. Whatever the ingest does on top costs from this budget.
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


def run(messages: int, protocol: str) -> float:
    workdir = Path(tempfile.mkdtemp(prefix="ridebuy-bench-"))
    broker = Mosquitto(workdir / "mosquitto")
    broker.start()
    try:
        return drain_rate(broker, messages, protocol)
    finally:
        broker.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.paho_ceiling", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    args = parser.parse_args(argv)
    rate = run(args.messages, args.protocol)
    print(*machine_lines(), sep="\n")
    print(f"paho ceiling: {args.messages} queued messages, MQTT {args.protocol}, ack at once: {rate:,.0f} msg/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
