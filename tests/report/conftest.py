"""Sixteen days of simulated traffic of a small part of Hannut, written once into InfluxDB and once into SQLite,
with one device silent for six hours: what the report tests read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import yaml

from ridebuy.devices.registry import Registry, parse_registry, sample_registry_path
from ridebuy.simulators.engine import Message
from ridebuy.simulators.history import write_history
from ridebuy.store.influx import InfluxStore
from ridebuy.store.sqlite import SqliteStore
from tests.support.servers import InfluxDB

END = datetime(2026, 5, 12, tzinfo=UTC)
"""The history ends here; the report of May 2026 is then a month under way (1 to 12 May)."""
DAYS = 16
MONTH = date(2026, 5, 1)
SILENT_DEVICE = "hs-rack-1"
SILENCE = (datetime(2026, 5, 5, 10, tzinfo=UTC).timestamp(), datetime(2026, 5, 5, 16, tzinfo=UTC).timestamp())
PARKINGS = ("grand-place", "gare-bus", "hall-sports")
COUNTERS = ("centre-nord", "centre-sud")
DATABASE = "t_report"


def small_registry() -> Registry:
    data = yaml.safe_load(sample_registry_path().read_text())
    data["parkings"] = [p for p in data["parkings"] if p["id"] in PARKINGS]
    data["counters"] = [c for c in data["counters"] if c["id"] in COUNTERS]
    data["devices"] = [d for d in data["devices"] if d.get("parking") in PARKINGS or d.get("counter") in COUNTERS]
    data["panels"] = []  # the sample's panels show parkings left out here
    return parse_registry(data, "hannut.yaml (report tests)")


def _silent(message: Message) -> bool:
    return message.device_id == SILENT_DEVICE and SILENCE[0] <= message.real_s < SILENCE[1]


@dataclass(frozen=True, slots=True)
class Filled:
    registry: Registry
    influx_url: str
    sqlite_path: Path


@pytest.fixture(scope="session")
def filled(influxdb: InfluxDB, tmp_path_factory: pytest.TempPathFactory) -> Filled:
    registry = small_registry()
    sqlite_path = tmp_path_factory.mktemp("report") / "report.db"
    influx_url = influxdb.store_url(DATABASE)
    for store in (InfluxStore.from_url(influx_url), SqliteStore(sqlite_path)):
        try:
            store.ensure_ready()
            write_history(store, registry, days=DAYS, seed=11, end_s=END.timestamp(), drop=_silent)
        finally:
            store.close()
    return Filled(registry, influx_url, sqlite_path)
