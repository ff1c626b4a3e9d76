"""The ingest's own work per message, without I/O: decode, fold, points, line protocol (and gzip).

    python -m bench.pipeline [--messages 100000]

The same handler and encoder the ingest runs, fed in-process from the backlog workload; a quick way to see what
an optimisation of the per-message path is worth before running the full backlog drain. Times are the CPU time of
the measuring thread, so that other work on a shared machine does not count (cache effects still do).
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
    """Microseconds per message of each stage, all from the same round: the round with the best total of three
    (stages from different rounds would add up to a round that never happened)."""
    town = town or Town()
    registry = parse_registry(town.registry(), "bench")
    _, generated = stream(town, messages)
    inputs = list(generated)
    best: dict[str, float] = {}
    for _ in range(3):
        handler = MessageHandler(registry, Limits(), AvailabilityWriter(registry), DeadLetters())
        encoder = LineEncoder()
        received_ns = time.time_ns()
        spent = {"decode+fold+points": 0.0, "line protocol": 0.0, "gzip level 1": 0.0}
        batch: list[Point] = []
        # Batch by batch, as the ingest does: only one batch of points is alive at a time (the garbage collector's
        # work grows with what is alive, so keeping every point of the round would measure something else).
        started = mark = time.thread_time()
        for topic, payload in inputs:
            points = handler.points_for(topic, payload, received_ns)
            if len(batch) + len(points) > BATCH:
                mark = _encode(encoder, batch, spent, mark)
                batch = []
            batch.extend(points)
        _encode(encoder, batch, spent, mark)
        figures = {stage: seconds / messages * 1e6 for stage, seconds in spent.items()}
        figures["total"] = (time.thread_time() - started) / messages * 1e6
        if not best or figures["total"] < best["total"]:
            best = figures
    return best


def _encode(encoder: LineEncoder, batch: list[Point], spent: dict[str, float], mark: float) -> float:
    """Line protocol and gzip for one batch; adds each stage's CPU time to ``spent``; returns the new mark."""
    decoded = time.thread_time()
    body = encoder.encode(batch)
    encoded = time.thread_time()
    gzip.compress(body, compresslevel=1)
    zipped = time.thread_time()
    spent["decode+fold+points"] += decoded - mark
    spent["line protocol"] += encoded - decoded
    spent["gzip level 1"] += zipped - encoded
    return zipped


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
