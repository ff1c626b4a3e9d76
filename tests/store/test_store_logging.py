"""What the store leaves in the services' logs: no line per HTTP request to InfluxDB at INFO."""

from __future__ import annotations

import json
import time

from tests.conftest import IngestFactory
from tests.support.mqtt import publish_all
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until


def test_the_ingest_does_not_log_each_store_request(
    start_ingest: IngestFactory, mosquitto: Mosquitto, influxdb: InfluxDB, database: str
) -> None:
    ingest = start_ingest(influxdb, database)  # at the default log level, INFO
    start_ms = int(time.time() * 1000) - 60_000
    messages = [
        ("ridebuy/v1/devices/gp-rack-1/occupancy", json.dumps({"occupied": n % 4, "ts": start_ms + n}))
        for n in range(20)
    ]
    publish_all(mosquitto.url, messages)

    def stored() -> bool:
        rows = influxdb.rows(database, 'SELECT count("occupied") FROM "occupancy"')
        return bool(rows) and int(rows[0]["count"]) >= 20

    wait_until(stored, timeout_s=30, what="the readings in InfluxDB")
    log = ingest.log()
    assert "subscribed to" in log, "INFO lines are kept"
    assert "HTTP Request:" not in log, log[-2000:]
