"""The real ``ridebuy ingest`` and its MQTT session: issue 13, items 5 (takeover) and 11 (a 3.1.1-only broker)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from ridebuy.demo.embedded_broker import EmbeddedBroker
from tests.conftest import IngestFactory
from tests.support.mqtt import publish_all
from tests.support.ports import free_port
from tests.support.processes import Processes
from tests.support.servers import InfluxDB
from tests.support.waiting import wait_until

TOPIC = "ridebuy/v1/devices/gp-slot-01/occupancy"


def health(port: int) -> dict[str, Any]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as error:  # 503 while failing, with the same JSON body
        return dict(json.load(error))


def metric(port: int, name: str) -> float:
    """A counter of the ingest on ``port``; 0 while it is not serving yet."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    except urllib.error.URLError:
        return 0.0
    for line in body.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "_total "):
            return float(line.split()[-1])
    raise AssertionError(f"no {name} in /metrics")


def test_two_ingests_with_one_client_id_back_off_and_say_so(
    tmp_path: Path, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ports = [free_port(), free_port()]
    first = start_ingest(influxdb, database, "--health-port", str(ports[0]))
    # Each its own spool (the spool's lock would stop the second at once): only the client id is shared.
    second = start_ingest(
        influxdb, database, "--health-port", str(ports[1]), "--spool-dir", str(tmp_path / "spool-2"), wait=False
    )

    def takeovers() -> float:
        return sum(metric(port, "ridebuy_ingest_session_takeovers") for port in ports)

    wait_until(lambda: takeovers() >= 1, timeout_s=30, what="a takeover recognised by one of them")
    before = sum(metric(port, "ridebuy_ingest_broker_reconnects") for port in ports)
    time.sleep(10)
    fights = sum(metric(port, "ridebuy_ingest_broker_reconnects") for port in ports) - before
    assert fights <= 8, f"{fights} reconnections in 10 s: the two ingests still fight (unchecked, about 27)"
    problems = [p for port in ports for p in health(port)["problems"]]
    assert any("session taken over by another client with the client id 'ridebuy-ingest-test'" in p for p in problems)
    log = first.log() + second.log()
    assert "two ingests must not share a client id" in log
    assert log.count("took the session over") == takeovers()


def test_ingest_on_a_broker_that_speaks_only_311(
    tmp_path: Path, influxdb: InfluxDB, database: str, registry_file: Path, processes: Processes
) -> None:
    broker = EmbeddedBroker()
    url = broker.start().split("?")[0]  # without ?protocol=3.1.1, as someone would type it
    ingest = processes.start_ridebuy(
        [
            "ingest",
            "--mqtt-url",
            url,
            "--store-url",
            influxdb.store_url(database),
            "--registry",
            str(registry_file),
            "--spool-dir",
            str(tmp_path / "spool"),
            "--client-id",
            "ridebuy-ingest-311",
            "--batch-interval-ms",
            "50",
        ]
    )
    try:
        ingest.wait_for_log("subscribed to", timeout_s=40)
        log = ingest.log()
        assert "does not speak MQTT 5 (no MQTT 5 CONNACK: no CONNACK within 10 s)" in log
        assert f"{url}?protocol=3.1.1" in log
        assert "with MQTT 3.1.1" in log
        ts_ms = int(time.time() * 1000) - 1_000
        publish_all(url + "?protocol=3.1.1", [(TOPIC, json.dumps({"ts": ts_ms, "occupied": True}))])
        wait_until(
            lambda: influxdb.rows(database, 'SELECT count(*) FROM "occupancy"'), timeout_s=20, what="the reading stored"
        )
    finally:
        ingest.stop()
        broker.stop()
