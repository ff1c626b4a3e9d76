"""``ridebuy demo`` as a user runs it: a process, data end to end, Ctrl-C ends it with exit code 0.

Speed 1 keeps the simulated traffic still after every device has announced itself (within a few seconds), so
the API's live figures and the store's last availability can be compared exactly.
"""

from __future__ import annotations

import signal
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from ridebuy.devices.registry import Registry, load_registry, sample_registry_path
from ridebuy.store.influx import InfluxStore
from tests.support.ports import free_port
from tests.support.processes import Processes, RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

LIVE = "live availability visible in the API"


@pytest.fixture(scope="module")
def hannut() -> Registry:
    return load_registry(sample_registry_path())


def start_demo(processes: Processes, tmp_path: Path, *extra: str) -> tuple[RidebuyProcess, str]:
    port = free_port()
    history = () if "--backfill" in extra else ("--no-backfill",)
    demo = processes.start_ridebuy(
        ["demo", "--port", str(port), "--speed", "1", "--seed", "7", *extra, *history],
        env={"RIDEBUY_DEMO_DATA_DIR": str(tmp_path / "data")},
    )
    return demo, f"http://127.0.0.1:{port}"


def parkings(api: str) -> dict[str, dict[str, Any]]:
    response = httpx.get(f"{api}/v1/parkings", timeout=5)
    response.raise_for_status()
    return {p["id"]: p for p in response.json()["parkings"]}


def all_announced(api: str, registry: Registry) -> dict[str, dict[str, Any]]:
    """The API's parkings once every parking with devices is watched in full (status ok), else nothing."""
    watched = {d.parking for d in registry.devices if d.parking}
    now = parkings(api)
    return now if all(now[p]["status"] == "ok" for p in watched) else {}


def sqlite_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)  # a reader beside the running demo (WAL)
    try:
        return connection.execute(sql).fetchall()
    finally:
        connection.close()


def check_hannut_figures(live: dict[str, dict[str, Any]], registry: Registry) -> None:
    """Every Hannut parking with its registry name and capacity; the figures add up."""
    assert set(live) == {p.id for p in registry.parkings}
    for parking in registry.parkings:
        figures = live[parking.id]
        assert (figures["name"], figures["capacity"]) == (parking.name, parking.capacity)
        assert figures["free"] + min(figures["occupied"], parking.capacity) + figures["unknown"] >= parking.capacity


def test_demo_runs_everything_embedded_and_stops_cleanly_on_ctrl_c(
    tmp_path: Path, hannut: Registry, processes: Processes
) -> None:
    demo, api = start_demo(processes, tmp_path, "--mqtt-port", str(free_port()))
    db = tmp_path / "data" / "demo.db"
    try:
        demo.wait_for_log(LIVE, timeout_s=30)
        log = demo.log()
        assert f"SQLite store at {db}" in log
        assert "embedded amqtt, loopback only" in log
        assert "?protocol=3.1.1 (embedded amqtt" in log  # issue 13 item 11: the URL another ridebuy can use as is
        live = wait_until(lambda: all_announced(api, hannut), timeout_s=30, what="every parking announced")
        check_hannut_figures(live, hannut)

        # Device -> embedded broker -> ingest -> SQLite: every device of the registry has spoken into the file.
        def stored_devices() -> set[str]:
            return {row[0] for row in sqlite_rows(db, "SELECT DISTINCT device FROM points WHERE device IS NOT NULL")}

        wait_until(lambda: stored_devices() == {d.id for d in hannut.devices}, timeout_s=10, what="every device")

        # The ingest's own fold and the API's fold of the same stream agree, parking by parking.
        def stored_equals_live() -> bool:
            last = sqlite_rows(
                db,
                "SELECT parking, json_extract(fields, '$.free'), json_extract(fields, '$.occupied'), "
                "json_extract(fields, '$.unknown'), max(time_ns) FROM points WHERE measurement = 'availability' "
                "GROUP BY parking",
            )
            stored = {parking: (free, occupied, unknown) for parking, free, occupied, unknown, _ in last}
            now = parkings(api)
            return stored == {p: (f["free"], f["occupied"], f["unknown"]) for p, f in now.items() if p in stored}

        wait_until(stored_equals_live, timeout_s=20, what="stored availability equal to the API's")
        rows_before = sqlite_rows(db, "SELECT count(*) FROM points")[0][0]
        assert demo.signal(signal.SIGINT) == 0
    finally:
        demo.kill()
    log = demo.log()
    assert "Traceback" not in log
    assert "stopped; the data stays in" in log
    connection = sqlite3.connect(db)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM points").fetchone()[0] >= rows_before
    finally:
        connection.close()
    assert not Path(f"{db}-wal").exists()  # checkpointed and closed: the file alone holds everything


def test_demo_uses_a_real_broker_and_influxdb_when_given(
    tmp_path: Path, hannut: Registry, mosquitto: Mosquitto, influxdb: InfluxDB, database: str, processes: Processes
) -> None:
    store_url = influxdb.store_url(database)
    demo, api = start_demo(processes, tmp_path, "--mqtt-url", mosquitto.url, "--store-url", store_url)
    try:
        demo.wait_for_log(LIVE, timeout_s=30)
        log = demo.log()
        assert "amqtt" not in log
        assert "SQLite" not in log
        assert f"{mosquitto.url} (given)" in log
        check_hannut_figures(wait_until(lambda: all_announced(api, hannut), timeout_s=30), hannut)
        store = InfluxStore.from_url(store_url)
        try:
            snapshots = wait_until(
                lambda: {s.device_id for s in store.device_snapshots()} == {d.id for d in hannut.devices},
                timeout_s=20,
                what="every device stored in InfluxDB",
            )
            assert snapshots
        finally:
            store.close()
        assert demo.signal(signal.SIGINT) == 0
    finally:
        demo.kill()
    assert not (tmp_path / "data").exists()  # no SQLite file was made
    assert "Traceback" not in demo.log()
