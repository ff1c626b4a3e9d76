"""Open data: what a feed costs to build per change of the live state, and how fast the measures table streams.

    python -m bench.open_data [--parkings 100 1000 10000] [--days 366]

Builds run in-process on a synthetic town whose every slot has spoken (figures known): the DATEX II status
publication, the Parking Light JSON and one Velopark live document, each built from the live state the way the
routes do on a cache miss (once per change; between changes the cached bytes are served). For the first two the
routes take the figures on the event loop and serialise in a worker thread: both parts are timed. The measures table is
streamed through the app (FastAPI's test client) from a store that answers every quarter hour of every channel,
so the figure is ridebuy's own formatting and streaming, not a database's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from bench.machine import machine_lines
from bench.workload import Town
from ridebuy.api.app import create_app
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.api.open_data import datex2, datex2_light, velopark
from ridebuy.api.open_data.figures import LiveFigures, live_figures, open_now
from ridebuy.api.open_data.publication import Publisher, Uris
from ridebuy.api.settings import ApiSettings
from ridebuy.api.views import Moment
from ridebuy.devices.registry import parse_registry
from ridebuy.devices.topics import device_topic
from ridebuy.store.base import CountBucket
from tests.api.fakes import Clock, FakeStore

NS = 1_000_000_000
PUBLISHER = Publisher("Commune de Hannut", None, "https://creativecommons.org/publicdomain/zero/1.0/", "BE", "fr")
URIS = Uris("https://velo.hannut.be")


@dataclass(frozen=True, slots=True)
class BuildFigure:
    parkings: int
    on_loop_ms: float
    """Taking the figures and opening hours from the live state: on the event loop."""
    status_ms: float
    status_bytes: int
    light_ms: float
    light_bytes: int
    live_ms: float

    def line(self) -> str:
        return (
            f"{self.parkings:>6} parkings: on the loop {self.on_loop_ms:6.1f} ms, then in a thread:"
            f" DATEX II status {self.status_ms:7.1f} ms "
            f"({self.status_bytes / 1024:,.0f} KiB)"
            f" · Parking Light {self.light_ms:7.1f} ms ({self.light_bytes / 1024:,.0f} KiB)"
            f" · one Velopark live {self.live_ms * 1000:6.0f} µs"
        )


def _best_ms(build: Callable[[], object], repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        build()
        best = min(best, time.perf_counter() - started)
    return best * 1000


def builds(parkings: int) -> BuildFigure:
    town = Town(parkings=parkings, slots_per_parking=4, counters=1)
    registry = parse_registry(town.registry(), "bench")
    live = LiveState(registry, ApiMetrics())
    now_ns = time.time_ns()
    for index, slot in enumerate(town.slot_ids):
        payload = json.dumps({"ts": now_ns // 1_000_000 - 1000, "occupied": index % 3 == 0}).encode()
        live.handle_message(device_topic(slot, "occupancy"), payload, now_ns)
    parkings_list = list(registry.parkings)

    def on_loop() -> tuple[dict[str, LiveFigures], dict[str, bool | None]]:
        snapshot = live.snapshot()
        figures = {p.id: live_figures(p, snapshot.get(p.id)) for p in parkings_list}
        moment = Moment(now_ns, ZoneInfo("Europe/Brussels"))
        return figures, {p.id: open_now(p, moment) for p in parkings_list}

    figures, hours = on_loop()

    def status() -> bytes:
        return datex2.parking_status(parkings_list, figures, hours, PUBLISHER, now_ns)

    def light() -> bytes:
        return datex2_light.dumps(datex2_light.publication(parkings_list, figures, hours, PUBLISHER, URIS, now_ns))

    first = parkings_list[0]

    def one_live() -> bytes:
        return velopark.dumps(
            velopark.live_document(first, live_figures(first, live.availability(first.id)), URIS, now_ns)
        )

    return BuildFigure(
        parkings,
        _best_ms(on_loop),
        _best_ms(status),
        len(status()),
        _best_ms(light),
        len(light()),
        _best_ms(one_live, 50),
    )


class _FullStore(FakeStore):
    """Every quarter hour of every channel holds a count (the worst case for the table's size)."""

    def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None = None
    ) -> list[CountBucket]:
        step = every_s * NS
        return [
            CountBucket(t, d, "bike", (t // step) % 7)
            for t in range(start_ns - start_ns % step, end_ns, step)
            for d in ("in", "out")
            if direction is None or d == direction
        ]


@dataclass(frozen=True, slots=True)
class StreamFigure:
    days: int
    counters: int
    rows: int
    megabytes: float
    seconds: float
    peak_mib: float

    def line(self) -> str:
        return (
            f"measures.csv, {self.days} days x {self.counters} counters x 2 channels: {self.rows:,} rows, "
            f"{self.megabytes:.1f} MB in {self.seconds:.1f} s ({self.rows / self.seconds:,.0f} rows/s, "
            f"{self.megabytes / self.seconds:.1f} MB/s); Python heap peak while streaming {self.peak_mib:.1f} MiB"
        )


def stream(days: int, counters: int = 3) -> StreamFigure:
    town = Town(parkings=1, slots_per_parking=1, counters=counters)
    registry = parse_registry(town.registry(), "bench")
    today = datetime.now(UTC).date()
    first = today - timedelta(days=days)
    settings = ApiSettings(registry=Path("unused.yaml"), api_expire_interval_s=3600, open_data_max_days=max(days, 1))
    app = create_app(settings, store=_FullStore(), registry=registry, clock_ns=Clock(time.time_ns()), listen=False)
    params = {"from": first.isoformat(), "to": (first + timedelta(days=days - 1)).isoformat()}
    with TestClient(app) as client:

        def read() -> tuple[int, int]:
            rows = size = 0
            with client.stream("GET", "/open-data/counters/measures.csv", params=params) as response:
                assert response.status_code == 200, response.read()
                for chunk in response.iter_bytes():
                    rows += chunk.count(b"\n")
                    size += len(chunk)
            return rows, size

        started = time.perf_counter()
        rows, size = read()
        seconds = time.perf_counter() - started
        tracemalloc.start()  # a second pass for memory: tracing slows Python down several times
        read()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return StreamFigure(days, counters, rows - 1, size / 1e6, seconds, peak / 2**20)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.open_data", description=__doc__.splitlines()[0])
    parser.add_argument("--parkings", type=int, nargs="+", default=[100, 1000, 10_000])
    parser.add_argument("--days", type=int, default=366)
    args = parser.parse_args(argv)
    for line in machine_lines():
        print(line)
    print("build per change of the live state (best of 3):")
    for parkings in args.parkings:
        print("  " + builds(parkings).line(), flush=True)
    print(stream(args.days).line())
    return 0


if __name__ == "__main__":
    sys.exit(main())
