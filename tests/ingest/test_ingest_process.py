"""The real ``ridebuy ingest`` between a private Mosquitto and a private InfluxDB."""

from __future__ import annotations

import json
import time
import urllib.request
from pathlib import Path

import yaml

from ridebuy.devices.rejections import RejectReason
from tests.devices.helpers import SMALL
from tests.ingest.conftest import IngestFactory, stored_everything_published
from tests.support.mqtt import mosquitto_pub, publish_all
from tests.support.ports import free_port
from tests.support.processes import Processes
from tests.support.registry_files import begin_rewrite_in_place, finish_rewrite_in_place, registry_text, split_before
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

TS_MS = int(time.time() * 1000) - 60_000
TOPIC = "ridebuy/v1/devices/{}/{}"


def test_measurements_land_in_influxdb(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database)
    mosquitto_pub(mosquitto.url, TOPIC.format("gp-rack-1", "occupancy"), json.dumps({"ts": TS_MS, "occupied": 4}))
    publish_all(
        mosquitto.url,
        [
            (TOPIC.format("gp-slot-01", "occupancy"), json.dumps({"ts": TS_MS, "occupied": True})),
            (TOPIC.format("cn-count-1", "passage"), json.dumps({"ts": TS_MS, "direction": "in", "class": "cargo"})),
            (TOPIC.format("cn-count-1", "passage"), json.dumps({"ts": TS_MS, "direction": "in", "count": 3, "seq": 9})),
            (TOPIC.format("gp-rack-1", "status"), json.dumps({"ts": TS_MS, "battery_v": 3.61, "rssi": -97})),
        ],
    )
    wait_until(lambda: influxdb.count(database, "device_status") == 1, what="status point")
    wait_until(lambda: influxdb.count(database, "passages") == 2, what="both passages")
    occupancy = influxdb.rows(database, "SELECT occupied, device, parking, kind FROM occupancy ORDER BY time")
    assert sorted((r["device"], r["occupied"], r["kind"], r["parking"]) for r in occupancy) == [
        ("gp-rack-1", 4, "rack", "grand-place"),
        ("gp-slot-01", 1, "slot", "grand-place"),
    ]
    assert all(r["time"] == TS_MS * 1_000_000 for r in occupancy)
    passages = influxdb.rows(database, "SELECT count, interval_s, direction, class, counter FROM passages")
    assert sorted((r["count"], r["class"], r["direction"], r["counter"]) for r in passages) == [
        (1, "cargo", "in", "centre-north"),
        (3, "bike", "in", "centre-north"),
    ]
    status = influxdb.rows(database, "SELECT battery_v, rssi FROM device_status WHERE device = 'gp-rack-1'")
    assert (status[0]["battery_v"], status[0]["rssi"]) == (3.61, -97)
    availability = influxdb.rows(
        database,
        "SELECT last(free) AS free, last(occupied) AS occupied, last(unknown) AS unknown "
        "FROM availability WHERE parking = 'grand-place'",
    )
    # 12 places: the rack watches 10 with 4 bikes, slot 01 is taken, slot 02 never spoke.
    assert (availability[0]["free"], availability[0]["occupied"], availability[0]["unknown"]) == (6, 5, 1)
    assert ingest.running


def test_every_rejection_reason_is_dead_lettered_and_the_stream_goes_on(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    start_ingest(influxdb, database, "--max-payload-bytes", "1024")
    future_ms = int(time.time() * 1000) + 3_600_000
    bad = {
        RejectReason.BAD_TOPIC: ("ridebuy/v1/devices/gp-rack-1/temperature", b'{"occupied": 1}'),
        RejectReason.UNKNOWN_DEVICE: (TOPIC.format("stranger", "occupancy"), b'{"occupied": 1}'),
        RejectReason.WRONG_KIND: (TOPIC.format("cn-count-1", "occupancy"), b'{"occupied": 1}'),
        RejectReason.INVALID_JSON: (TOPIC.format("gp-rack-1", "occupancy"), b'{"occupied": '),
        RejectReason.INVALID_PAYLOAD: (TOPIC.format("gp-rack-1", "occupancy"), b'{"occupied": "many"}'),
        RejectReason.TOO_LARGE: (
            TOPIC.format("gp-rack-1", "occupancy"),
            b'{"occupied": 1, "x": "' + b"y" * 2000 + b'"}',
        ),
        RejectReason.TIMESTAMP_IN_FUTURE: (
            TOPIC.format("gp-rack-1", "occupancy"),
            json.dumps({"occupied": 1, "ts": future_ms}).encode(),
        ),
    }
    for topic, payload in bad.values():
        mosquitto_pub(mosquitto.url, topic, payload)
    good = json.dumps({"ts": TS_MS, "occupied": 2}).encode()
    mosquitto_pub(mosquitto.url, TOPIC.format("gare-rack", "occupancy"), good)

    wait_until(lambda: influxdb.count(database, "occupancy") == 1, what="the valid message after the bad ones")
    wait_until(
        lambda: len(influxdb.rows(database, "SELECT * FROM ingest_errors")) == len(bad),
        what="one dead letter per bad message",
    )
    errors = influxdb.rows(database, "SELECT * FROM ingest_errors")
    by_reason = {row["reason"]: row for row in errors}
    assert set(by_reason) == {reason.value for reason in bad}
    assert by_reason["unknown_device"]["device"] == "stranger"
    assert "occupied" in str(by_reason["invalid_payload"]["detail"])
    assert by_reason["bad_topic"]["topic"] == "ridebuy/v1/devices/gp-rack-1/temperature"
    assert str(by_reason["invalid_json"]["preview"]).startswith('{"occupied":')


def test_redelivered_message_rewrites_the_same_point(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    start_ingest(influxdb, database)
    passage = json.dumps({"ts": TS_MS, "direction": "out"})
    occupancy = json.dumps({"ts": TS_MS, "occupied": 1})
    for _ in range(3):
        publish_all(
            mosquitto.url,
            [(TOPIC.format("cn-count-1", "passage"), passage), (TOPIC.format("gare-rack", "occupancy"), occupancy)],
        )
    other = json.dumps({"ts": TS_MS, "direction": "out", "count": 2})  # distinct passage, same millisecond
    publish_all(mosquitto.url, [(TOPIC.format("cn-count-1", "passage"), other)])
    stored_everything_published(mosquitto, influxdb, database)
    assert influxdb.count(database, "passages") == 2
    assert influxdb.count(database, "occupancy") == 1
    total = influxdb.rows(database, "SELECT sum(count) FROM passages")
    assert total[0]["sum"] == 3


def crash_traffic(count_per_kind: int) -> list[tuple[str, str]]:
    """Occupancy plus two distinct passages in each millisecond (they must neither overwrite nor double)."""
    messages = []
    for n in range(count_per_kind):
        ts = TS_MS + n * 10
        messages.append((TOPIC.format("gare-rack", "occupancy"), json.dumps({"ts": ts, "occupied": n % 5})))
        for seq in (2 * n, 2 * n + 1):
            messages.append(
                (TOPIC.format("cn-count-1", "passage"), json.dumps({"ts": ts, "direction": "in", "seq": seq}))
            )
    return messages


def assert_stored_exactly_once(mosquitto: Mosquitto, influx: InfluxDB, database: str, count_per_kind: int) -> None:
    wait_until(lambda: influx.count(database, "passages") >= 2 * count_per_kind, timeout_s=60, what="all passages")
    wait_until(lambda: influx.count(database, "occupancy") >= count_per_kind, timeout_s=60, what="all occupancy")
    stored_everything_published(mosquitto, influx, database)  # anything duplicated would be stored by now
    assert influx.count(database, "passages") == 2 * count_per_kind
    assert influx.count(database, "occupancy") == count_per_kind
    assert influx.rows(database, "SELECT sum(count) FROM passages")[0]["sum"] == 2 * count_per_kind
    times = {row["time"] for row in influx.rows(database, "SELECT count FROM passages")}
    assert len(times) == 2 * count_per_kind


def health(port: int) -> dict[str, object]:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_sigkill_with_messages_received_but_not_stored_loses_and_duplicates_nothing(
    mosquitto: Mosquitto, private_influxdb: InfluxDB, start_ingest: IngestFactory
) -> None:
    database = "crash"
    port = free_port()
    ingest = start_ingest(private_influxdb, database, "--health-port", str(port))
    private_influxdb.pause()  # the store hangs: writes neither succeed nor fail for a while
    publish_all(mosquitto.url, crash_traffic(200))
    # Every message is in the ingest, none is stored: the write in flight hangs on the frozen database.
    wait_until(lambda: health(port)["messages_received"] == 600, what="every message received")
    assert health(port)["messages_stored"] == 0
    ingest.kill()

    private_influxdb.resume()
    start_ingest(private_influxdb, database)
    assert_stored_exactly_once(mosquitto, private_influxdb, database, 200)


def test_sigkill_after_spooling_replays_the_spool_exactly_once(
    mosquitto: Mosquitto, private_influxdb: InfluxDB, start_ingest: IngestFactory
) -> None:
    database = "spooled"
    port = free_port()
    ingest = start_ingest(private_influxdb, database, "--health-port", str(port))
    private_influxdb.stop()  # the store goes away: the ingest spools to disk and acknowledges
    publish_all(mosquitto.url, crash_traffic(200))
    ingest.wait_for_log("store unavailable, spooling to disk")
    wait_until(lambda: health(port)["messages_stored"] == 600, what="every message spooled")
    assert health(port)["status"] == "degraded"
    assert int(health(port)["spool_bytes"]) > 0  # type: ignore[call-overload]
    ingest.kill()

    private_influxdb.start()
    restarted = start_ingest(private_influxdb, database)
    assert_stored_exactly_once(mosquitto, private_influxdb, database, 200)
    restarted.wait_for_log("replayed")


def test_sigterm_flushes_then_exits_cleanly(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    port = free_port()
    ingest = start_ingest(influxdb, database, "--batch-interval-ms", "5000", "--health-port", str(port))
    publish_all(mosquitto.url, [(TOPIC.format("gare-rack", "occupancy"), json.dumps({"ts": TS_MS, "occupied": 3}))])
    wait_until(lambda: health(port)["messages_received"] == 1, what="the message received, not yet stored")
    assert influxdb.count(database, "occupancy") == 0
    assert ingest.stop() == 0
    assert influxdb.count(database, "occupancy") == 1


def test_device_added_to_the_registry_is_accepted_without_a_restart(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory, registry_file: Path
) -> None:
    ingest = start_ingest(influxdb, database)
    topic = TOPIC.format("gare-rack-2", "occupancy")
    mosquitto_pub(mosquitto.url, topic, json.dumps({"ts": TS_MS, "occupied": 1}))
    wait_until(lambda: influxdb.count(database, "ingest_errors") == 1, what="the unknown device dead-lettered")

    data = yaml.safe_load(registry_file.read_text())
    data["devices"].append({"id": "gare-rack-2", "kind": "rack", "parking": "gare", "spaces": 2})
    registry_file.write_text(yaml.safe_dump(data))
    ingest.wait_for_log("registry reloaded")

    mosquitto_pub(mosquitto.url, topic, json.dumps({"ts": TS_MS + 1, "occupied": 2}))
    wait_until(lambda: influxdb.count(database, "occupancy") == 1, what="the adopted device's reading")
    assert influxdb.rows(database, "SELECT occupied, device FROM occupancy")[0]["device"] == "gare-rack-2"


def test_bad_registry_edit_keeps_the_running_registry(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory, registry_file: Path
) -> None:
    ingest = start_ingest(influxdb, database)
    # The bad edit also drops gare-rack: its readings are still stored only if the running registry was kept.
    data = yaml.safe_load(registry_file.read_text())
    data["devices"] = [d for d in data["devices"] if d["id"] != "gare-rack"]
    registry_file.write_text(yaml.safe_dump(data) + "\n  - {id: broken, kind: nonsense}\n")
    ingest.wait_for_log("registry changed but cannot be used")
    mosquitto_pub(mosquitto.url, TOPIC.format("gare-rack", "occupancy"), json.dumps({"ts": TS_MS, "occupied": 1}))
    wait_until(lambda: influxdb.count(database, "occupancy") == 1, what="data still flowing")
    assert influxdb.count(database, "ingest_errors") == 0  # not taken for an unknown device


def test_a_registry_rewritten_in_place_is_not_taken_half_written(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory, registry_file: Path
) -> None:
    registry_file.write_text(registry_text(SMALL))
    ingest = start_ingest(influxdb, database)
    first, rest = split_before(registry_file.read_text(), "gare-rack")
    descriptor = begin_rewrite_in_place(registry_file, first)  # truncated, half written, then a pause
    ingest.wait_for_log("rewritten in place and now lacks 3", timeout_s=15)
    topic = TOPIC.format("gare-rack", "occupancy")
    publish_all(mosquitto.url, [(topic, json.dumps({"ts": TS_MS + n, "occupied": n % 3})) for n in range(100)])
    wait_until(lambda: influxdb.count(database, "occupancy") == 100, what="the readings of gare-rack")
    assert influxdb.count(database, "ingest_errors") == 0
    finish_rewrite_in_place(descriptor, rest)
    ingest.wait_for_log("registry reloaded: 6 devices")


def test_shared_workers_write_data_and_one_availability_worker_writes_availability(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory, tmp_path: Path
) -> None:
    for worker in ("a", "b"):
        start_ingest(
            influxdb,
            database,
            "--shared-group",
            "ridebuy-ingest",
            "--ingest-role",
            "data",
            "--client-id",
            f"ridebuy-ingest-{worker}",
            "--spool-dir",
            str(tmp_path / f"spool-{worker}"),
        )
    start_ingest(
        influxdb,
        database,
        "--ingest-role",
        "availability",
        "--client-id",
        "ridebuy-availability",
        "--spool-dir",
        str(tmp_path / "spool-availability"),
    )
    messages = [
        (
            TOPIC.format("gp-rack-1" if n % 2 else "gare-rack", "occupancy"),
            json.dumps({"ts": TS_MS + n, "occupied": n % 3}),
        )
        for n in range(200)
    ]
    publish_all(mosquitto.url, messages)
    wait_until(lambda: influxdb.count(database, "occupancy") == 200, what="every reading, once, from the workers")
    # The availability worker saw the whole stream: its last figures are those of the last readings.
    wait_until(
        lambda: (
            influxdb.rows(database, "SELECT last(occupied) FROM availability WHERE parking = 'gare'")
            and influxdb.rows(database, "SELECT last(occupied) FROM availability WHERE parking = 'gare'")[0]["last"]
            == 198 % 3
        ),
        what="availability from the whole stream",
    )
    stored_everything_published(mosquitto, influxdb, database, workers=2)
    assert influxdb.count(database, "occupancy") == 200


def test_a_shared_worker_must_leave_availability_to_another(processes: Processes) -> None:
    result = processes.ridebuy("ingest", "--shared-group", "ridebuy-ingest")
    assert result.returncode == 2
    assert "RIDEBUY_INGEST_ROLE=data" in result.stderr
