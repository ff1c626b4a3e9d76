"""LoRaWAN envelopes through the real ingest: TTN v3 and ChirpStack v4 uplinks published with mosquitto_pub."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import IngestFactory
from tests.ingest.conftest import stored_everything_published
from tests.support.mqtt import mosquitto_pub
from tests.support.registries import counter, counting, parking, registry_data, slot, write_registry
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

REGISTRY = registry_data(
    parkings=[parking("grand-place", 2)],
    counters=[counter("centre-nord")],
    devices=[
        slot("gp-slot-tps", "grand-place", format="ttn", codec="bosch-tps110", dev_eui="70B3D5E75E000001"),
        slot("gp-slot-vs340", "grand-place", format="chirpstack", codec="milesight-vs340", dev_eui="24E124538B000002"),
        counting(
            "cn-count-cs", "centre-nord", format="chirpstack", codec="milesight-vs350", dev_eui="24E124713D000003"
        ),
    ],
)
WHEN = datetime.fromtimestamp(time.time() - 120, UTC)
WHEN_TEXT = WHEN.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
WHEN_NS = int(WHEN.timestamp()) * 10**9 + WHEN.microsecond * 1000


def b64(data: list[int]) -> str:
    return base64.b64encode(bytes(data)).decode()


def ttn_uplink(f_cnt: int, port: int, data: list[int], gateways: list[tuple[str, float, float]]) -> str:
    """A The Things Stack v3 uplink as its MQTT integration publishes it (zero values omitted)."""
    return json.dumps(
        {
            "end_device_ids": {
                "device_id": "gp-slot-tps",
                "application_ids": {"application_id": "hannut-parking"},
                "dev_eui": "70B3D5E75E000001",
                "dev_addr": "260B1234",
            },
            "correlation_ids": ["as:up:01HZY"],
            "received_at": WHEN_TEXT,
            "uplink_message": {
                "session_key_id": "AYy6bhw9jZ0jzRyNv0ek6w==",
                "f_port": port,
                "f_cnt": f_cnt,
                "frm_payload": b64(data),
                "rx_metadata": [
                    {"gateway_ids": {"gateway_id": gw}, "rssi": rssi, "snr": snr, "time": WHEN_TEXT}
                    for gw, rssi, snr in gateways
                ],
                "settings": {
                    "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 9}},
                    "frequency": "868100000",
                },
                "received_at": WHEN_TEXT,
            },
        }
    )


def chirpstack_up(dev_eui: str, name: str, f_cnt: int, port: int, data: list[int]) -> str:
    """A ChirpStack v4 `up` event as its MQTT integration publishes it."""
    return json.dumps(
        {
            "deduplicationId": f"3b9c2a9e-0000-4000-8000-{f_cnt:012d}",
            "time": WHEN_TEXT,
            "deviceInfo": {
                "tenantName": "Hannut",
                "applicationId": "0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a",
                "applicationName": "velo",
                "deviceProfileName": "milesight",
                "deviceName": name,
                "devEui": dev_eui.lower(),
                "tags": {},
            },
            "devAddr": "01f2a3b4",
            "dr": 5,
            "fCnt": f_cnt,
            "fPort": port,
            "data": b64(data),
            "rxInfo": [{"gatewayId": "a84041fffe1e2f3a", "rssi": -101, "snr": 4.5}],
            "txInfo": {"frequency": 868300000},
        }
    )


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "registry.yaml", REGISTRY)


def rows(influx: InfluxDB, database: str, query: str) -> list[dict[str, object]]:
    return influx.rows(database, query)


def test_ttn_and_chirpstack_uplinks_land_as_points(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    start_ingest(influxdb, database)
    # Bosch TPS110 heartbeat (port 2): occupied, -1 °C - the vendor's own example bytes.
    mosquitto_pub(
        mosquitto.url,
        "v3/hannut-parking@ttn/devices/gp-slot-tps/up",
        ttn_uplink(42, 2, [1, 255], [("gw-hotel-de-ville", -97.0, 6.5), ("gw-gare", -112.0, -3.25)]),
    )
    # Milesight VS340 occupied (channel 3, type 0x00 = occupied).
    mosquitto_pub(
        mosquitto.url,
        "application/0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a/device/24e124538b000002/event/up",
        chirpstack_up("24E124538B000002", "gp-slot-vs340", 7, 85, [0x03, 0x00, 0x01]),
    )
    # Milesight VS350 period counts: 1000 in, 1001 out - the vendor's example bytes.
    mosquitto_pub(
        mosquitto.url,
        "application/0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a/device/24e124713d000003/event/up",
        chirpstack_up(
            "24E124713D000003",
            "cn-count-cs",
            3,
            85,
            [0x84, 0xCC, 0x01, 0x11, 0x08, 0x11, 0x01, 0x85, 0xCC, 0xE8, 0x03, 0xE9, 0x03, 0x01],
        ),
    )

    wait_until(lambda: len(rows(influxdb, database, "SELECT * FROM occupancy")) == 2, what="both slots")
    occupancy = rows(influxdb, database, "SELECT * FROM occupancy")
    assert {(r["device"], r["occupied"]) for r in occupancy} == {("gp-slot-tps", 1), ("gp-slot-vs340", 1)}
    tps = next(r for r in occupancy if r["device"] == "gp-slot-tps")
    assert tps["time"] == WHEN_NS
    wait_until(lambda: len(rows(influxdb, database, "SELECT * FROM passages")) == 2, what="in and out counts")
    passages = rows(influxdb, database, "SELECT * FROM passages")
    assert {(r["direction"], r["count"], r["counter"]) for r in passages} == {
        ("in", 1000, "centre-nord"),
        ("out", 1001, "centre-nord"),
    }
    status = wait_until(
        lambda: (r := rows(influxdb, database, "SELECT * FROM device_status WHERE device = 'gp-slot-tps'")) and r,
        what="radio metadata of the TTN device",
    )
    assert status[0]["rssi"] == -97.0  # the best of the two gateways
    assert status[0]["gateways"] == 2
    assert status[0]["f_cnt"] == 42
    assert status[0]["temperature_c"] == -1.0


def test_same_uplink_twice_is_stored_once(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    ingest = start_ingest(influxdb, database, "--health-port", "0")
    topic = "application/0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a/device/24e124713d000003/event/up"
    uplink = chirpstack_up("24E124713D000003", "cn-count-cs", 9, 85, [0x05, 0xCC, 0x0C, 0x00, 0x07, 0x00])
    for _ in range(2):  # the network server published the same uplink twice
        mosquitto_pub(mosquitto.url, topic, uplink)
    # Through two gateways on The Things Stack: one uplink, one point, whatever the metadata says.
    for gateways in ([("gw-a", -90.0, 7.0)], [("gw-b", -115.0, -5.0)]):
        mosquitto_pub(mosquitto.url, "v3/hannut-parking@ttn/devices/gp-slot-tps/up", ttn_uplink(43, 1, [0], gateways))
    wait_until(lambda: len(rows(influxdb, database, "SELECT * FROM passages")) == 2, what="the passages")
    wait_until(lambda: len(rows(influxdb, database, "SELECT * FROM occupancy")) == 1, what="the TTN occupancy")
    stored_everything_published(mosquitto, influxdb, database)
    assert rows(influxdb, database, "SELECT sum(count) FROM passages")[0]["sum"] == 19
    status = rows(influxdb, database, "SELECT * FROM device_status WHERE device = 'gp-slot-tps'")
    assert len(status) == 1
    assert status[0]["rssi"] == -90.0  # the first copy was taken; the second was dropped as a duplicate
    assert ingest.running


def test_unknown_lorawan_device_is_dead_lettered_with_its_ids(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    start_ingest(influxdb, database)
    mosquitto_pub(
        mosquitto.url,
        "application/0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a/device/24e1240000000099/event/up",
        chirpstack_up("24E1240000000099", "new-sensor", 1, 85, [0x03, 0x00, 0x01]),
    )
    errors = wait_until(lambda: rows(influxdb, database, "SELECT * FROM ingest_errors"), what="the dead letter")
    assert errors[0]["reason"] == "unknown_device"
    assert errors[0]["device"] == "24e1240000000099"
    assert "24e1240000000099" in str(errors[0]["detail"]).lower()


def test_frame_counter_reset_after_a_rejoin_is_not_taken_for_a_replay(
    mosquitto: Mosquitto, influxdb: InfluxDB, database: str, start_ingest: IngestFactory
) -> None:
    start_ingest(influxdb, database)
    topic = "application/0b4e5a2c-6f3b-4c2e-9d0a-1f2e3d4c5b6a/device/24e124713d000003/event/up"
    before = json.loads(chirpstack_up("24E124713D000003", "cn-count-cs", 57, 85, [0x05, 0xCC, 0x02, 0x00, 0x03, 0x00]))
    # The device rejoined: a new session (DevAddr) and its frame counter starts again, with the same bytes.
    after = json.loads(chirpstack_up("24E124713D000003", "cn-count-cs", 0, 85, [0x05, 0xCC, 0x02, 0x00, 0x03, 0x00]))
    del after["fCnt"]  # ChirpStack omits zero values
    after["devAddr"] = "01f2ffff"
    after["deduplicationId"] = "3b9c2a9e-0000-4000-8000-999999999999"
    after["time"] = (WHEN + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    mosquitto_pub(mosquitto.url, topic, json.dumps(before))
    mosquitto_pub(mosquitto.url, topic, json.dumps(after))
    wait_until(lambda: len(rows(influxdb, database, "SELECT * FROM passages")) == 4, what="both uplinks' passages")
    assert rows(influxdb, database, "SELECT sum(count) FROM passages")[0]["sum"] == 10
