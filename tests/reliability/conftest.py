"""Shared pieces of the tests that break things: a registry of many counters, traffic, figures for the docs."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.registries import counter, counting, parking, rack, registry_data, write_registry
from tests.support.servers import InfluxDB

FIGURES = Path(os.environ.get("RIDEBUY_FIGURES_DIR", "test-artifacts")) / "reliability.jsonl"
COUNTERS = 20


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """Twenty counters and a rack, so streams spread over many series."""
    data = registry_data(
        parkings=[parking("gare", 20)],
        counters=[counter(f"c{n}") for n in range(COUNTERS)],
        devices=[rack("gare-rack", "gare"), *(counting(f"count-{n}", f"c{n}") for n in range(COUNTERS))],
    )
    return write_registry(tmp_path / "registry.yaml", data)


def passage_stream(count: int, start_ms: int | None = None) -> Iterator[tuple[str, str]]:
    """``count`` distinct passages (distinct seq per device), spread over the counters."""
    start_ms = start_ms if start_ms is not None else int(time.time() * 1000) - 3_600_000
    for n in range(count):
        device = f"count-{n % COUNTERS}"
        payload = {"ts": start_ms + n // COUNTERS, "direction": "in" if n % 2 else "out", "seq": n}
        yield f"ridebuy/v1/devices/{device}/passage", json.dumps(payload)


def passages_stored(influx: InfluxDB, database: str) -> tuple[int, int]:
    """(points, sum of counts) of the passages measurement."""
    rows = influx.rows(database, "SELECT count(count), sum(count) FROM passages")
    if not rows:
        return 0, 0
    # While a shard is being written after an outage, InfluxDB may answer a row whose aggregates are still null.
    return int(rows[0]["count"] or 0), int(rows[0]["sum"] or 0)


def record_figures(test: str, **figures: object) -> None:
    """Append what a test measured, for docs/reliability.md."""
    FIGURES.parent.mkdir(parents=True, exist_ok=True)
    with FIGURES.open("a") as file:
        file.write(json.dumps({"test": test, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures}))
        file.write("\n")
