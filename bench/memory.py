"""Memory: RSS of ``ridebuy ingest`` and ``ridebuy api`` with 100,000 registered devices, and live state per device.

    python -m bench.memory [--devices 100000]

Each process is measured with a one-device registry (its fixed cost), then with ``--devices`` slot sensors
(20 per parking) right after start and again once every device has spoken (one occupancy message each, so the
live state holds every device). Per device = (RSS with N devices, all spoken - fixed cost) / N: registry plus
live state. Live state alone is measured in-process with tracemalloc: the fold (ingest) and LiveState (api) after
one reading per device, registry excluded.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
import tracemalloc
from dataclasses import dataclass

from bench.machine import machine_lines
from bench.rig import rig
from bench.workload import Town
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.native import decode_native
from ridebuy.devices.registry import parse_registry
from ridebuy.devices.topics import device_topic
from ridebuy.ingest.availability_writer import AvailabilityWriter
from tests.support.mqtt import Publisher
from tests.support.waiting import wait_until

DATABASE = "bench_memory"
MIB = 1024**2


@dataclass(frozen=True, slots=True)
class MemoryResult:
    devices: int
    fixed_mib: dict[str, float]
    registered_mib: dict[str, float]
    spoken_mib: dict[str, float]
    live_bytes_per_device: dict[str, float]

    def per_device_bytes(self, name: str) -> float:
        return (self.spoken_mib[name] - self.fixed_mib[name]) * MIB / self.devices

    def lines(self) -> list[str]:
        lines = [f"memory with {self.devices:,} devices ({self.devices // 20:,} parkings of 20 slots):"]
        for name in ("ingest", "api"):
            lines.append(
                f"  {name:<6} RSS: one device {self.fixed_mib[name]:.0f} MiB; "
                f"registered {self.registered_mib[name]:.0f} MiB; all spoken {self.spoken_mib[name]:.0f} MiB "
                f"-> {self.per_device_bytes(name):,.0f} bytes/device (registry + live state)"
            )
        lines.append(
            "  live state alone (tracemalloc): "
            + ", ".join(f"{k} {v:,.0f} bytes/device" for k, v in self.live_bytes_per_device.items())
        )
        return lines


def _rss(the_rig_processes: dict[str, int]) -> dict[str, float]:
    from bench.rig import rss_bytes

    return {name: rss_bytes(pid) / MIB for name, pid in the_rig_processes.items()}


def measure_processes(town: Town) -> tuple[dict[str, float], dict[str, float]]:
    """RSS of ingest and api right after start, and once every slot device has spoken."""
    with rig() as the_rig:
        registry = town.write(the_rig.workdir / "registry.yaml")
        ingest = the_rig.ingest(registry, DATABASE)
        api = the_rig.api(registry, DATABASE)
        pids = {"ingest": ingest.pid, "api": api.pid}
        time.sleep(1.0)
        registered = _rss(pids)
        now_ms = time.time_ns() // 1_000_000
        publisher = Publisher(the_rig.mqtt_url())
        try:
            publisher.publish(
                (device_topic(d, "occupancy"), json.dumps({"ts": now_ms, "occupied": n % 2 == 0}))
                for n, d in enumerate(town.slot_ids)
            )
            publisher.wait_all(timeout_s=600)
        finally:
            publisher.close()
        slots = len(town.slot_ids)
        wait_until(
            lambda: ingest.metrics().get("ridebuy_ingest_messages_stored", 0) >= slots,
            timeout_s=600,
            interval_s=0.5,
            what="every message stored",
        )
        wait_until(lambda: _api_received(api.url) >= slots, timeout_s=600, interval_s=0.5, what="api folded all")
        time.sleep(1.0)
        return registered, _rss(pids)


def _api_received(url: str) -> float:
    import httpx

    text = httpx.get(f"{url}/metrics", timeout=10).text
    for line in text.splitlines():
        if line.startswith("ridebuy_api_messages_received_total"):
            return float(line.split()[-1])
    return 0.0


def live_state_bytes(town: Town) -> dict[str, float]:
    """Bytes per device of the ingest's and the API's live state after one reading per device (registry excluded)."""
    registry = parse_registry(town.registry(), "bench")
    now_ns = time.time_ns()
    readings = [
        decode_native(device_topic(d, "occupancy"), b'{"occupied": true}', now_ns, registry) for d in town.slot_ids
    ]
    figures = {}
    for name in ("ingest", "api"):
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        if name == "ingest":
            live = AvailabilityWriter(registry)
            for reading in readings:
                live.apply(reading)
        else:
            state = LiveState(registry, ApiMetrics())
            for reading in readings:
                state.apply(reading, now_ns)
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        figures[name] = (after - before) / town.devices
    return figures


def run(devices: int = 100_000) -> MemoryResult:
    parkings = max(1, devices // 20)
    town = Town(parkings=parkings, slots_per_parking=20, counters=0)
    _, fixed = measure_processes(Town(parkings=1, slots_per_parking=1, counters=0))
    registered, spoken = measure_processes(town)
    return MemoryResult(town.devices, fixed, registered, spoken, live_state_bytes(town))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=100_000)
    args = parser.parse_args(argv)
    result = run(args.devices)
    print(*machine_lines(), *result.lines(), sep="\n")
    live_ok = all(v <= 1024 for v in result.live_bytes_per_device.values())
    print(f"  target <= 1 KB live state per device: {'met' if live_ok else 'NOT met'}")
    if args.devices >= 100_000:
        print(f"  target ingest RSS <= 300 MB: {'met' if result.spoken_mib['ingest'] * MIB <= 300e6 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
