"""Issue 13, points 1 and 2: points the database refuses for good (a field whose type a stray write poisoned).

The stream must go on: a refused dead letter ends in its fallback form (or the log), a refused derived point is the
ingest's own problem (not a dead letter of the device's message), and finding the refused points costs a few
requests per batch, not one per message.
"""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request

from tests.conftest import IngestFactory
from tests.reliability.conftest import passage_stream, passages_stored, record_figures
from tests.reliability.test_store_outage import health
from tests.support.mqtt import Publisher
from tests.support.ports import free_port
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

S = 1_000_000_000


def poison(influx: InfluxDB, database: str, line: str) -> None:
    """Write one point straight to InfluxDB, as someone else's tool might: its field types then hold for the shard."""
    create = "/query?" + urllib.parse.urlencode({"q": f'CREATE DATABASE "{database}"'})
    for path, body in ((create, b""), (f"/write?db={database}&precision=ns", line.encode())):
        request = urllib.request.Request(f"http://127.0.0.1:{influx.http_port}{path}", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310 - a loopback test server
            pass


def metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.rsplit(" ", 1)[0] == name)


def test_a_dead_letter_the_database_refuses_does_not_wedge_the_ingest(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    poison(influxdb, database, f"ingest_errors,reason=manual detail=1i {time.time_ns()}")
    port = free_port()
    ingest = start_ingest(influxdb, database, "--health-port", str(port))
    publisher = Publisher(mosquitto.url)
    started = time.monotonic()
    publisher.publish([("ridebuy/v1/devices/count-0/passage", "{not json"), *passage_stream(300)])
    publisher.wait_all()
    publisher.close()

    wait_until(lambda: passages_stored(influxdb, database)[0] == 300, timeout_s=30, what="the 300 valid messages")
    wait_until(lambda: health(port)["messages_stored"] == 301, timeout_s=10, what="all 301 acknowledged")
    record_figures("dead_letter_refused", messages=301, stored_and_acked_s=round(time.monotonic() - started, 1))
    status = health(port)
    assert (status["status"], status["pending_messages"]) == ("ok", 0)
    fallback = influxdb.rows(database, "SELECT fallback_text FROM ingest_errors WHERE reason = 'invalid_json'")
    assert len(fallback) == 1 and "topic=ridebuy/v1/devices/count-0/passage" in fallback[0]["fallback_text"]
    assert metric(port, "ridebuy_ingest_dead_letters_fallback_total") == 1
    time.sleep(1)
    assert ingest.log().count("finding the refused ones") <= 2  # settled once, not rewritten forever


def test_a_refused_availability_point_is_not_a_dead_letter_and_the_stream_keeps_its_pace(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    now_ns = time.time_ns()
    poison(influxdb, database, f"availability,parking=gare free=0.5 {now_ns - 600 * S}")  # free is an integer
    port = free_port()
    ingest = start_ingest(influxdb, database, "--health-port", str(port))
    messages = 5_000
    start_ms = now_ns // 1_000_000 - 300_000
    stream = [
        ("ridebuy/v1/devices/gare-rack/occupancy", json.dumps({"ts": start_ms + n, "occupied": n % 2}))
        for n in range(messages)
    ]
    publisher = Publisher(mosquitto.url)
    started = time.monotonic()
    publisher.publish(stream)
    publisher.wait_all()
    publisher.close()

    def stored() -> int:
        rows = influxdb.rows(database, "SELECT count(occupied) FROM occupancy")
        return int(rows[0]["count"]) if rows else 0

    wait_until(lambda: stored() == messages, timeout_s=120, what="every reading")
    elapsed = time.monotonic() - started
    record_figures(
        "availability_refused", messages=messages, seconds=round(elapsed, 1), msg_per_s=round(messages / elapsed)
    )

    assert influxdb.rows(database, "SELECT count(*) FROM ingest_errors") == []  # no false dead letters
    refused = 'ridebuy_ingest_points_refused_total{measurement="availability"}'
    wait_until(lambda: metric(port, refused) == messages, timeout_s=10, what="every availability point refused")
    wait_until(lambda: health(port)["messages_stored"] == messages, timeout_s=10, what="every message acknowledged")
    assert ingest.running
