"""The ingest's own work per message, without I/O: decode, fold, points, line protocol (and gzip).

    python -m bench.pipeline [--messages 100000]

The same handler and encoder the ingest runs, fed in-process from the backlog workload; a quick way to see what
an optimisation of the per-message path is worth before running the full backlog drain.
"""

from __future__ import annotations

import argparse
import gzip
import sys
import time

from bench.machine import machine_lines
from bench.workload import Town, stream
from ridebuy.devices.native import Limits
from ridebuy.devices.registry import parse_registry
from ridebuy.ingest.availability_writer import AvailabilityWriter
from ridebuy.ingest.dead_letters import DeadLetters
from ridebuy.ingest.message_handler import MessageHandler
from ridebuy.store.lineprotocol import LineEncoder
from ridebuy.store.points import Point

BATCH = 5_000


def run(messages: int, town: Town | None = None) -> dict[str, float]:
    """Microseconds per message of each stage (best of three rounds)."""
    town = town or Town()
    registry = parse_registry(town.registry(), "bench")
    _, generated = stream(town, messages)
    inputs = list(generated)
    best: dict[str, float] = {}
    for _ in range(3):
        handler = MessageHandler(registry, Limits(), AvailabilityWriter(registry), DeadLetters())
        encoder = LineEncoder()
        received_ns = time.time_ns()
        started = time.perf_counter()
        batches: list[list[Point]] = [[]]
        for topic, payload in inputs:
            points = handler.points_for(topic, payload, received_ns)
            if len(batches[-1]) + len(points) > BATCH:
                batches.append([])
            batches[-1].extend(points)
        decoded = time.perf_counter()
        bodies = [encoder.encode(batch) for batch in batches]
        encoded = time.perf_counter()
        for body in bodies:
            gzip.compress(body, compresslevel=1)
        zipped = time.perf_counter()
        figures = {
            "decode+fold+points": (decoded - started) / messages * 1e6,
            "line protocol": (encoded - decoded) / messages * 1e6,
            "gzip level 1": (zipped - encoded) / messages * 1e6,
        }
        best = {k: min(v, best.get(k, v)) for k, v in figures.items()}
    best["total"] = sum(best.values())
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pipeline", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--parkings", type=int, default=50, help="parkings of 20 slot sensors each")
    args = parser.parse_args(argv)
    figures = run(args.messages, Town(parkings=args.parkings))
    print(*machine_lines(), sep="\n")
    print(f"pipeline: {args.messages} messages, per message:")
    for stage, micros in figures.items():
        print(f"  {stage:<20} {micros:6.1f} µs")
    print(f"  = at most {1e6 / figures['total']:,.0f} msg/s on one core before any MQTT work")
    return 0


if __name__ == "__main__":
    sys.exit(main())
