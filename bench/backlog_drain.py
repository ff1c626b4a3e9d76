"""Backlog drain: N native QoS 1 messages wait in the ingest's persistent session; how fast does it store them?

    python -m bench.backlog_drain [--messages 300000] [--workers 1] [--protocol 5|3.1.1]

The ingest is started and stopped once so that the broker holds its session (and, with ``--workers 2``, the shared
subscription), then N messages are published and the ingest is started again. The clock runs from the moment the
ingest is connected until every point is in InfluxDB (the write returned, and a count query confirms it);
the figure with start-up included is printed too.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

from bench.machine import machine_lines
from bench.rig import Ingest, Rig, count_points, rig
from bench.workload import Town, stream
from tests.support.mqtt import Publisher

DATABASE = "bench_drain"
GROUP = "ridebuy-ingest"


@dataclass(frozen=True, slots=True)
class DrainResult:
    messages: int
    workers: int
    protocol: str
    publish_s: float
    drain_s: float
    """From connected to every point stored."""
    total_s: float
    """From process start to every point stored."""
    points: int
    peak_rss_mib: float
    cpu_s: dict[str, float]
    """CPU seconds (user + system) each process used from ingest start to the end of the drain."""

    @property
    def rate(self) -> float:
        return self.messages / self.drain_s

    def lines(self) -> list[str]:
        return [
            f"backlog drain: {self.messages} messages, {self.workers} worker(s), MQTT {self.protocol}",
            f"  published (queued at the broker) in {self.publish_s:.1f} s",
            f"  drained in {self.drain_s:.2f} s: {self.rate:,.0f} msg/s "
            f"(with start-up {self.total_s:.2f} s: {self.messages / self.total_s:,.0f} msg/s)",
            f"  points in InfluxDB: {self.points}; peak ingest RSS {self.peak_rss_mib:.0f} MiB",
            "  CPU seconds during the drain: "
            + ", ".join(
                f"{name} {seconds:.1f} s ({100 * seconds / self.total_s:.0f} % of a core)"
                for name, seconds in self.cpu_s.items()
            ),
        ]


def publish_backlog(url: str, town: Town, messages: int) -> tuple[float, dict[str, int]]:
    """Publish the stream (QoS 1, every PUBACK awaited); the time it took and the points expected per measurement."""
    mix, messages_iter = stream(town, messages)
    started = time.monotonic()
    publisher = Publisher(url)
    try:
        publisher.publish(messages_iter)
        publisher.wait_all(timeout_s=600)
    finally:
        publisher.close()
    expected = {"occupancy": mix.occupancy, "passages": mix.passage, "device_status": mix.status}
    return time.monotonic() - started, expected


_FIELDS = {"occupancy": "occupied", "passages": "count", "device_status": "heartbeat"}


def stored_points(the_rig: Rig, database: str) -> dict[str, int]:
    return {m: count_points(the_rig.influxdb, database, m, f) for m, f in _FIELDS.items()}


def drain(
    the_rig: Rig,
    registry: Path,
    town: Town,
    messages: int,
    *,
    workers: int = 1,
    protocol: str = "5",
    extra: tuple[str, ...] = (),
    database: str = DATABASE,
    timeout_s: float = 900.0,
    profile: Path | None = None,
) -> DrainResult:
    """Run one drain on a rig (servers already running)."""
    group = GROUP if workers > 1 else None
    client_ids = [f"ridebuy-bench-{database}-{n}" for n in range(workers)]

    def start_all() -> list[Ingest]:
        return [
            the_rig.ingest(registry, database, client_id=c, protocol=protocol, shared_group=group, extra=extra)
            for c in client_ids
        ]

    # 1. Create the persistent session(s) and subscription, then go away: the broker now queues for us.
    for ingest in start_all():
        ingest.process.stop()
    the_rig.processes.clear()
    # 2. The backlog.
    publish_s, expected = publish_backlog(the_rig.mqtt_url(), town, messages)
    # 3. Drain it.
    servers = {"mosquitto": the_rig.mosquitto.process, "influxd": the_rig.influxdb.process}
    server_cpu = {name: cpu_seconds(p.pid) for name, p in servers.items() if p is not None}
    started = time.monotonic()
    ingests = start_all()
    connected = time.monotonic()
    profilers = [start_profiler(i.pid, profile, n) for n, i in enumerate(ingests)] if profile else []
    peak_rss = 0
    deadline = started + timeout_s
    while True:
        stored = sum(i.metrics().get("ridebuy_ingest_messages_stored", 0.0) for i in ingests)
        peak_rss = max(peak_rss, *(i.rss_bytes() for i in ingests))
        if stored >= messages:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {stored:.0f} of {messages} messages stored after {timeout_s} s")
        time.sleep(0.05)
    done = time.monotonic()
    cpu = {f"ingest {n}" if workers > 1 else "ingest": cpu_seconds(i.pid) for n, i in enumerate(ingests)}
    cpu.update({name: cpu_seconds(p.pid) - server_cpu[name] for name, p in servers.items() if p is not None})
    points = stored_points(the_rig, database)
    while points != expected:  # the write returned, so InfluxDB holds them; confirm, never assume
        if time.monotonic() > deadline:
            raise RuntimeError(f"InfluxDB holds {points}, expected {expected}")
        time.sleep(0.2)
        points = stored_points(the_rig, database)
        done = time.monotonic()
    for ingest in ingests:
        ingest.process.stop()
    the_rig.processes.clear()
    for profiler in profilers:
        profiler.wait(60)
    return DrainResult(
        messages=messages,
        workers=workers,
        protocol=protocol,
        publish_s=publish_s,
        drain_s=done - connected,
        total_s=done - started,
        points=sum(points.values()),
        peak_rss_mib=peak_rss / 1024**2,
        cpu_s=cpu,
    )


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def start_profiler(pid: int, base: Path, number: int) -> subprocess.Popen[bytes]:
    """py-spy (from the venv) sampling the ingest until it exits: a collapsed-stack file for flame graphs."""
    py_spy = Path(sys.executable).with_name("py-spy")
    output = base.with_name(f"{base.stem}-{number}{base.suffix or '.txt'}")
    return subprocess.Popen(
        [str(py_spy), "record", "--pid", str(pid), "--rate", "250", "--format", "raw", "--threads", "-o", str(output)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def run(
    messages: int,
    workers: int = 1,
    protocol: str = "5",
    town: Town | None = None,
    extra: tuple[str, ...] = (),
    profile: Path | None = None,
) -> DrainResult:
    town = town or Town()
    with rig() as the_rig:
        registry = town.write(the_rig.workdir / "registry.yaml")
        return drain(
            the_rig, registry, town, messages, workers=workers, protocol=protocol, extra=extra, profile=profile
        )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=300_000, help="backlog size (default 300,000)")
    parser.add_argument("--protocol", choices=("5", "3.1.1"), default="5", help="MQTT version of the ingest")
    parser.add_argument("--parkings", type=int, default=50, help="parkings of 20 slot sensors each (default 50)")
    parser.add_argument(
        "--ingest-arg",
        action="append",
        default=[],
        help="extra flag for ridebuy ingest, e.g. --ingest-arg=--batch-size=10000",
    )
    parser.add_argument(
        "--profile", type=Path, help="record the ingest with py-spy into this file (collapsed stacks, per worker)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.backlog_drain", description=__doc__.split("\n")[0])
    add_arguments(parser)
    parser.add_argument("--workers", type=int, default=1, help="ingest workers sharing one subscription")
    args = parser.parse_args(argv)
    result = run(
        args.messages, args.workers, args.protocol, Town(parkings=args.parkings), tuple(args.ingest_arg), args.profile
    )
    print(*machine_lines(), *result.lines(), sep="\n")
    print(f"  target >= 30,000 msg/s with one worker: {'met' if result.rate >= 30_000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
