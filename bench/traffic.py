"""Background traffic at a steady rate, in a process of its own so that it never competes with a measurement.

python -m bench.traffic --mqtt-url mqtt://127.0.0.1:1883 --rate 2000 --seconds 60
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType

from bench.workload import Town, stream
from tests.support.mqtt import Publisher


def publish(url: str, rate: float, seconds: float, parkings: int = 50) -> float:
    """Publish the workload stream at ``rate`` messages/s for ``seconds`` (or until SIGTERM); the rate achieved."""
    town = Town(parkings=parkings)
    # Measurement times start 10 minutes back and advance 1 ms a message: at up to 2,000 msg/s they stay behind
    # the clock for 10 minutes, well within the ingest's future-time allowance afterwards.
    _, messages = stream(town, int(rate * seconds), start_ms=time.time_ns() // 1_000_000 - 600_000)
    stop = threading.Event()

    def on_term(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    publisher = Publisher(url)
    started = time.monotonic()
    try:
        count = publisher.publish(_until(stop, messages), rate_per_s=rate)
    finally:
        publisher.close()
    return count / (time.monotonic() - started)


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
