"""Fixtures to run the real ``ridebuy ingest`` against the private Mosquitto and InfluxDB."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from tests.devices.helpers import SMALL
from tests.support.processes import RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto

IngestFactory = Callable[..., RidebuyProcess]


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    path = tmp_path / "registry.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    return path


def ingest_args(broker: Mosquitto, store_url: str, registry: Path, spool_dir: Path, *extra: str) -> list[str]:
    return [
        "ingest",
        "--spool-dir",
        str(spool_dir),
        "--mqtt-url",
        broker.url,
        "--store-url",
        store_url,
        "--registry",
        str(registry),
        "--client-id",
        "ridebuy-ingest-test",
        "--batch-interval-ms",
        "50",
        *extra,
    ]


@pytest.fixture
def start_ingest(tmp_path: Path, mosquitto: Mosquitto, registry_file: Path) -> Iterator[IngestFactory]:
    """Start ``ridebuy ingest`` processes against ``mosquitto`` and a given InfluxDB; all are killed afterwards."""
    started: list[RidebuyProcess] = []

    def start(influx: InfluxDB, database: str, *extra: str, wait: bool = True) -> RidebuyProcess:
        process = RidebuyProcess(
            ingest_args(mosquitto, influx.store_url(database), registry_file, tmp_path / "spool", *extra),
            tmp_path / f"ingest-{len(started)}.log",
        ).start()
        started.append(process)
        if wait:
            process.wait_for_log("subscribed to")
        return process

    yield start
    for process in started:
        process.kill()
