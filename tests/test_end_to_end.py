"""Issue 2's promise in one test: `ridebuy simulate` against `ridebuy ingest` fills InfluxDB with the Hannut sample."""

from __future__ import annotations

from pathlib import Path

import pytest

from ridebuy.devices.registry import DeviceFormat, load_registry, sample_registry_path
from tests.conftest import IngestFactory
from tests.support.processes import RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until


@pytest.fixture
def registry_file() -> Path:
    return sample_registry_path()


def test_simulated_hannut_traffic_lands_in_influxdb(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory, tmp_path: Path
) -> None:
    ingest = start_ingest(influxdb, database)
    simulate = RidebuyProcess(
        [
            "simulate",
            "--mqtt-url",
            mosquitto.url,
            "--backfill",
            "0.25",
            "--speed",
            "60",
            "--seed",
            "7",
            "--duration",
            "8",
        ],
        tmp_path / "simulate.log",
    ).start()
    assert simulate.process is not None
    assert simulate.process.wait(120) == 0, simulate.log()[-3000:]

    hannut = load_registry(sample_registry_path())
    racks_and_slots = {d.id for d in hannut.devices if d.parking is not None}
    counters = {d.id for d in hannut.devices if d.counter is not None}

    def tag_values(measurement: str, tag: str) -> set[str]:
        return {
            str(row[tag]) for row in influxdb.rows(database, f'SELECT last(*) FROM "{measurement}" GROUP BY "{tag}"')
        }

    wait_until(lambda: tag_values("occupancy", "device") == racks_and_slots, timeout_s=60, what="every rack and slot")
    wait_until(lambda: tag_values("passages", "device") == counters, timeout_s=60, what="every counter")
    wait_until(
        lambda: tag_values("device_status", "device") == {d.id for d in hannut.devices},
        timeout_s=60,
        what="a status from every device",
    )
    assert tag_values("availability", "parking") == set(hannut.parking_by_id)
    # The LoRaWAN devices of the sample came in through their network servers' envelopes.
    lorawan = {d.id for d in hannut.devices if d.format is not DeviceFormat.NATIVE}
    assert lorawan
    assert lorawan <= tag_values("occupancy", "device")
    radio = influxdb.rows(database, "SELECT last(f_cnt) FROM device_status WHERE device = 'hv-slot-01'")
    assert radio
    assert radio[0]["last"] >= 0
    assert influxdb.rows(database, "SELECT count(*) FROM ingest_errors") == []
    assert ingest.running
