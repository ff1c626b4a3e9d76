"""Freshness: from publishing a sensor message to seeing it through the API (GET and server-sent events).

    python -m bench.freshness [--probes 300] [--background 20000] [--profile FILE]

The ingest and the API run against a private Mosquitto and InfluxDB while a publisher sends ``--background``
messages/s of ordinary traffic (occupancy, passages, status of a 1,000-device town). A probe device flips its
parking every ``--interval`` seconds; for each flip the time from publish to (a) the ``availability`` event on an
open ``/v1/stream`` and (b) the first ``GET /v1/parkings/{id}`` that shows it (polled every ``--poll-ms``).
``--profile`` records the API with py-spy (collapsed stacks in FILE-0.txt; ``python -m bench.profile_summary``).
``--without-ingest`` leaves the ingest out: what the API alone can do with the cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import yaml

from bench import traffic
from bench.backlog_drain import start_profiler
from bench.machine import machine_lines
from bench.rig import CpuMeter, rig, server_pid
from bench.workload import Town
from ridebuy.devices.topics import device_topic
from tests.support.mqtt import Publisher

PROBE_PARKING = "probe"
PROBE_DEVICE = "probe-slot"
DATABASE = "bench_freshness"


@dataclass(frozen=True, slots=True)
class FreshnessResult:
    probes: int
    background_rate: float
    sse_ms: list[float]
    get_ms: list[float]
    poll_ms: float
    cpu_share: dict[str, float]
    """Share of one core each process used while probing."""
    sse_missed: int = 0
    """Probes whose availability event never came on the stream within 1 s of their GET (a stream listener that
    falls too far behind is dropped by the API and would have to reconnect)."""

    def lines(self) -> list[str]:
        return [
            f"freshness: {self.probes} probes under {self.background_rate:,.0f} msg/s of background traffic",
            f"  SSE event: {_summary(self.sse_ms) if self.sse_ms else 'none seen'}"
            + (f"; {self.sse_missed} of {self.probes} probes never came as an event" if self.sse_missed else ""),
            f"  GET      : {_summary(self.get_ms)} (polled every {self.poll_ms:g} ms: includes up to one interval)",
            "  CPU (share of one core): " + ", ".join(f"{k} {100 * v:.0f} %" for k, v in self.cpu_share.items()),
        ]


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (``share`` in 0..1)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def _summary(values: list[float]) -> str:
    return (
        f"p50 {percentile(values, 0.5):.1f} ms, p90 {percentile(values, 0.9):.1f} ms, "
        f"p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms, mean {statistics.fmean(values):.1f} ms"
    )


def write_registry(town: Town, path: Path) -> Path:
    registry = town.registry()
    registry["parkings"].append(  # type: ignore[attr-defined]
        {"id": PROBE_PARKING, "name": "Probe", "lat": 50.67, "lon": 5.07, "capacity": 1}
    )
    registry["devices"].append(  # type: ignore[attr-defined]
        {"id": PROBE_DEVICE, "kind": "slot", "parking": PROBE_PARKING, "heartbeat_s": 86_400}
    )
    path.write_text(yaml.safe_dump(registry, sort_keys=False), encoding="utf-8")
    return path


class StreamWatcher:
    """Reads ``/v1/stream`` in a thread; records when the probe parking reached each occupied value."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._cond = threading.Condition()
        self._seen: list[tuple[int, float]] = []
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True, name="sse")

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("no snapshot on /v1/stream")

    def _read(self) -> None:
        try:
            self._follow()
        except httpx.HTTPError:
            if not self._stop.is_set():
                raise

    def _follow(self) -> None:
        with httpx.Client(timeout=httpx.Timeout(60.0)) as client, client.stream("GET", f"{self._url}/v1/stream") as r:
            event = ""
            for line in r.iter_lines():
                if self._stop.is_set():
                    return
                if line.startswith("event:"):
                    event = line[6:].strip()
                elif line.startswith("data:"):
                    if event == "snapshot":
                        self._ready.set()
                    elif event == "availability":
                        data = json.loads(line[5:])
                        if data["id"] == PROBE_PARKING:
                            with self._cond:
                                self._seen.append((int(data["occupied"]), time.monotonic()))
                                self._cond.notify_all()

    def wait_for(self, occupied: int, after: float, timeout_s: float = 10.0) -> float:
        """The time the stream said ``occupied`` (first event after ``after``)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while True:
                for value, at in self._seen:
                    if value == occupied and at >= after:
                        return at
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"no availability event with occupied={occupied} in {timeout_s} s")
                self._cond.wait(left)

    def stop(self) -> None:
        self._stop.set()


def run(
    probes: int = 300,
    background: float = 2000.0,
    interval_s: float = 0.1,
    poll_ms: float = 5.0,
    profile: Path | None = None,
    with_ingest: bool = True,
) -> FreshnessResult:
    town = Town()
    duration_s = probes * (interval_s + 0.05) + 10
    with rig() as the_rig:
        registry = write_registry(town, the_rig.workdir / "registry.yaml")
        ingest = the_rig.ingest(registry, DATABASE) if with_ingest else None
        api = the_rig.api(registry, DATABASE)
        background_process = traffic.start(the_rig.mqtt_url(), background, duration_s)
        meter = CpuMeter(
            {
                **({"ingest": ingest.pid} if ingest is not None else {}),
                "api": api.pid,
                "mosquitto": server_pid(the_rig.mosquitto),
                "influxd": server_pid(the_rig.influxdb),
                "background publisher": background_process.pid,
                "bench (probe, GET, SSE)": os.getpid(),
            }
        )
        watcher = StreamWatcher(api.url)
        watcher.start()

        probe_publisher = Publisher(the_rig.mqtt_url())
        topic = device_topic(PROBE_DEVICE, "occupancy")
        profiler = None
        sse_ms: list[float] = []
        sse_missed = 0
        get_ms: list[float] = []
        try:
            time.sleep(1.0)  # let the background reach its pace
            meter.start()
            profiler = start_profiler(api.pid, profile, 0) if profile else None
            with httpx.Client(base_url=api.url, timeout=10.0) as client:
                for number in range(probes):
                    occupied = (number + 1) % 2
                    ts_ms = time.time_ns() // 1_000_000
                    payload = json.dumps({"ts": ts_ms, "occupied": bool(occupied)})
                    sent_at = time.monotonic()
                    probe_publisher.publish([(topic, payload)])
                    while client.get(f"/v1/parkings/{PROBE_PARKING}").json()["occupied"] != occupied:
                        time.sleep(poll_ms / 1000)
                        if time.monotonic() - sent_at > 10:
                            shares = ", ".join(f"{k} {100 * v:.0f} %" for k, v in meter.shares().items())
                            raise RuntimeError(
                                f"probe {number + 1} never showed through GET within 10 s (CPU, share of one core, "
                                f"since the probes began: {shares}): the API's subscription falls behind the stream"
                            )
                    get_ms.append((time.monotonic() - sent_at) * 1000)
                    try:
                        sse_ms.append((watcher.wait_for(occupied, sent_at, timeout_s=1.0) - sent_at) * 1000)
                    except RuntimeError:
                        sse_missed += 1
                    time.sleep(interval_s)
            cpu_share = meter.shares()
        finally:
            rate = traffic.achieved_rate(background_process)
            watcher.stop()
            probe_publisher.close()
    if profiler is not None:
        profiler.wait(60)
    return FreshnessResult(probes, rate, sse_ms, get_ms, poll_ms, cpu_share, sse_missed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.freshness", description=__doc__.split("\n")[0])
    parser.add_argument("--probes", type=int, default=300)
    parser.add_argument("--background", type=float, default=20_000.0, help="background messages per second")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between probes")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="GET polling interval (each poll is a request)")
    parser.add_argument("--profile", type=Path, help="record the API with py-spy into this file (collapsed stacks)")
    parser.add_argument("--without-ingest", action="store_true", help="leave the ingest out (the API alone)")
    args = parser.parse_args(argv)
    result = run(args.probes, args.background, args.interval, args.poll_ms, args.profile, not args.without_ingest)
    print(*machine_lines(), *result.lines(), sep="\n")
    worst = max(percentile(result.sse_ms, 0.99) if result.sse_ms else float("inf"), percentile(result.get_ms, 0.99))
    worst = worst if not result.sse_missed else float("inf")
    print(f"  target p99 <= 50 ms: {'met' if worst <= 50 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
