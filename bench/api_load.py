"""API load: requests/s and latency of ``/v1/parkings`` and ``/v1/parkings?near=`` with 100 and 1,000 parkings.

    python -m bench.api_load [--parkings 100 1000] [--seconds 15] [--connections 8]

``ridebuy api`` runs against a private Mosquitto and InfluxDB; every slot sensor has spoken once, so the lists
carry real figures. The load comes from ``wrk`` (Debian's, a C load generator, in its own process) over
keep-alive connections, closed loop: each connection sends its next request when the previous one is answered,
so the rate is the most the API serves and the latency is the latency at that rate. Every second request of a
connection revalidates with the ETag it got before (If-None-Match) and must be answered 304.
The per-client rate limit of the API is lifted (see bench.rig): one address sends all the load here.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx

from bench.machine import machine_lines
from bench.rig import rig
from bench.workload import CENTRE, Town
from ridebuy.devices.topics import device_topic
from tests.support.mqtt import publish_all
from tests.support.waiting import wait_until

DATABASE = "bench_api"
PATHS = {"list": "/v1/parkings", "near": f"/v1/parkings?near={CENTRE[0]},{CENTRE[1]}"}
SCRIPT = Path(__file__).with_name("wrk_revalidate.lua")


@dataclass(frozen=True, slots=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    revalidations: int
    not_modified: int
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


@dataclass(frozen=True, slots=True)
class ApiFigure:
    parkings: int
    endpoint: str
    connections: int
    result: WrkResult

    def lines(self) -> list[str]:
        r = self.result
        return [
            f"{self.parkings} parkings, GET {PATHS[self.endpoint]} ({self.connections} connections):",
            f"  {r.rate:,.0f} req/s; latency p50 {r.p50_ms:.1f} ms, p90 {r.p90_ms:.1f} ms, p99 {r.p99_ms:.1f} ms, "
            f"max {r.max_ms:.1f} ms; {r.not_modified}/{r.revalidations} revalidations answered 304; "
            f"{r.errors} errors",
        ]


def wrk_binary() -> str:
    binary = shutil.which("wrk")
    if binary is None:
        raise RuntimeError("wrk is not installed: run scripts/test.sh (installs Debian's wrk) or apt-get install wrk")
    return binary


def run_wrk(url: str, seconds: float, connections: int, threads: int = 1) -> WrkResult:
    done = subprocess.run(
        [wrk_binary(), f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "-s", str(SCRIPT), url],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    line = next(line for line in done.stdout.splitlines() if line.startswith("{"))
    data = json.loads(line)
    return WrkResult(
        requests=data["requests"],
        seconds=data["duration_us"] / 1e6,
        p50_ms=data["p50_us"] / 1000,
        p90_ms=data["p90_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
        revalidations=data["revalidations"],
        not_modified=data["not_modified"],
        errors=data["errors"],
    )


def run(
    parkings_counts: tuple[int, ...] = (100, 1000),
    seconds: float = 15.0,
    connections: int = 8,
    endpoints: tuple[str, ...] = ("list", "near"),
) -> list[ApiFigure]:
    wrk_binary()
    figures = []
    for parkings in parkings_counts:
        town = Town(parkings=parkings, slots_per_parking=4, counters=0)
        with rig() as the_rig:
            registry = town.write(the_rig.workdir / "registry.yaml")
            api = the_rig.api(registry, DATABASE)
            now_ms = time.time_ns() // 1_000_000
            publish_all(
                the_rig.mqtt_url(),
                [
                    (device_topic(d, "occupancy"), json.dumps({"ts": now_ms, "occupied": n % 3 == 0}))
                    for n, d in enumerate(town.slot_ids)
                ],
            )
            wait_until(partial(_all_known, api.url), timeout_s=60, what="every parking known to the API")
            for endpoint in endpoints:
                result = run_wrk(api.url + PATHS[endpoint], seconds, connections)
                figures.append(ApiFigure(parkings, endpoint, connections, result))
    return figures


def _all_known(url: str) -> bool:
    parkings = httpx.get(f"{url}/v1/parkings", timeout=10).json()["parkings"]
    return all(p["status"] == "ok" for p in parkings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_load", description=__doc__.split("\n")[0])
    parser.add_argument("--parkings", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    figures = run(tuple(args.parkings), args.seconds, args.connections)
    print(*machine_lines(), sep="\n")
    for figure in figures:
        print(*figure.lines(), sep="\n")
    for figure in figures:
        if figure.parkings == 100 and figure.endpoint == "list":
            met = figure.result.rate >= 1000 and figure.result.p99_ms <= 50
            print(f"target p99 <= 50 ms at >= 1,000 req/s (100 parkings, list): {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
