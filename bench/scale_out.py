"""Scale-out: the backlog drain with 1 and with 2 ingest workers sharing one subscription ($share/ridebuy-ingest/...).

    python -m bench.scale_out [--messages 300000] [--protocol 5|3.1.1]

Each run gets fresh servers; the workers are ``ridebuy ingest --shared-group ridebuy-ingest`` with client ids of
their own, so each keeps its own persistent session and the broker spreads the backlog over them.
"""

from __future__ import annotations

import argparse
import sys

from bench.backlog_drain import DrainResult
from bench.backlog_drain import run as drain
from bench.machine import machine_lines
from bench.workload import Town


def run(messages: int, protocol: str = "5", workers: tuple[int, ...] = (1, 2), parkings: int = 50) -> list[DrainResult]:
    return [drain(messages, n, protocol, Town(parkings=parkings)) for n in workers]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_out", description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=300_000)
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args(argv)
    results = run(args.messages, args.protocol, tuple(args.workers))
    print(*machine_lines(), sep="\n")
    for result in results:
        print(*result.lines(), sep="\n")
    base = results[0].rate
    for result in results[1:]:
        print(f"  {result.workers} workers: {result.rate / base:.2f}x the rate of {results[0].workers}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
