"""Background traffic at a steady rate, in a process of its own so that it never competes with a measurement.

    python -m bench.traffic --mqtt-url mqtt://127.0.0.1:1883 --rate 20000 --seconds 60

QoS 1, every PUBACK counted. Packets are made by the `mqtt5` codec and written in one socket write per 5 ms tick,
so that one Python process can offer 20,000 msg/s and more (paho tops out well below that on a small machine).
"""

from __future__ import annotations

import argparse
import math
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

import mqtt5

from bench.workload import Town, stream
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.packet_stream import PacketStream

TICK_S = 0.005
MAX_IN_FLIGHT = 30_000
"""Unacknowledged messages at most (packet ids are 16 bits)."""


def publish(url: str, rate: float, seconds: float, parkings: int = 50) -> float:
    """Publish the workload stream at ``rate`` messages/s for ``seconds`` (or until SIGTERM); the rate achieved."""
    town = Town(parkings=parkings)
    # Measurement times start 10 minutes back and advance with the clock (rate / 1000 messages a millisecond),
    # so they never run ahead of it.
    _, messages = stream(
        town, int(rate * seconds), start_ms=time.time_ns() // 1_000_000 - 600_000, per_ms=max(1, math.ceil(rate / 1000))
    )
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    broker = parse_broker_url(url)
    sock = socket.create_connection((broker.host, broker.port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(mqtt5.ConnectPacket("", clean_start=True, keep_alive=0).write())
    incoming = PacketStream()
    acked = 0
    while not any(isinstance(p, mqtt5.ConnAckPacket) for p in incoming.feed(sock.recv(65536))):
        pass
    sock.setblocking(False)
    sent = 0
    started = time.monotonic()
    source = _until(stop, messages)
    try:
        while not stop.is_set():
            due = int((time.monotonic() - started) * rate) - sent
            chunks = []
            while due > 0 and sent - acked < MAX_IN_FLIGHT:
                message = next(source, None)
                if message is None:
                    stop.set()
                    break
                topic, payload = message
                packet_id = sent % 65_535 + 1
                chunks.append(
                    mqtt5.PublishPacket(topic, payload, qos=mqtt5.QoS.AT_LEAST_ONCE, packet_id=packet_id).write()
                )
                sent += 1
                due -= 1
            if chunks:
                sock.setblocking(True)
                sock.sendall(b"".join(chunks))
                sock.setblocking(False)
            acked += _acks(sock, incoming)
            time.sleep(TICK_S)
        deadline = time.monotonic() + 10
        while acked < sent and time.monotonic() < deadline:
            acked += _acks(sock, incoming)
            time.sleep(TICK_S)
    finally:
        sock.close()
    return acked / (time.monotonic() - started)


def _acks(sock: socket.socket, incoming: PacketStream) -> int:
    count = 0
    while True:
        try:
            data = sock.recv(1 << 20)
        except BlockingIOError:
            return count
        if not data:
            raise ConnectionError("the broker closed the connection")
        count += sum(1 for p in incoming.feed(data) if isinstance(p, mqtt5.PubAckPacket))


def _until(stop: threading.Event, messages: Iterator[tuple[str, bytes]]) -> Iterator[tuple[str, bytes]]:
    for message in messages:
        if stop.is_set():
            return
        yield message


def start(url: str, rate: float, seconds: float) -> subprocess.Popen[str]:
    """Run :func:`publish` in a child process; stop it with ``terminate()``, its rate is its last output line."""
    return subprocess.Popen(
        [sys.executable, "-m", "bench.traffic", "--mqtt-url", url, "--rate", str(rate), "--seconds", str(seconds)],
        stdout=subprocess.PIPE,
        text=True,
    )


def achieved_rate(process: subprocess.Popen[str], timeout_s: float = 30.0) -> float:
    process.terminate()
    output, _ = process.communicate(timeout=timeout_s)
    lines = output.strip().splitlines()
    return float(lines[-1]) if lines else 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.traffic", description=__doc__.split("\n")[0])
    parser.add_argument("--mqtt-url", required=True)
    parser.add_argument("--rate", type=float, default=2000.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    args = parser.parse_args(argv)
    print(f"{publish(args.mqtt_url, args.rate, args.seconds):.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
