"""Adopting unknown devices through the real path: Mosquitto, InfluxDB, ``ridebuy ingest`` and ``ridebuy api``.

A native device and a The Things Stack device missing from the registry publish; their messages are dead-lettered
and listed for adoption; one is adopted through the admin API, the other with ``ridebuy devices adopt``; their next
messages are stored and shown, and neither ingest nor api restarts.
"""

from __future__ import annotations

import time

from ridebuy.devices.envelopes import ttn
from ridebuy.devices.envelopes.uplink import Reception
from tests.api.conftest import Stack, now_ms
from tests.support.mqtt import publish_all
from tests.support.processes import Processes
from tests.support.waiting import wait_until

TOKEN = "p4-Zt8wQ1nV6yR3kL9mX2cB5hJ7dF0sG"
WRONG = "wrong-p4-Zt8wQ1nV6yR3"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TPS_EUI = "70B3D5E75E00A007"


def tps_uplink(f_cnt: int, occupied: bool) -> tuple[str, bytes]:
    """A Bosch TPS110 status change (port 1) as The Things Stack publishes it."""
    return ttn.ttn_uplink(
        application_id="hannut-parking",
        tenant_id="ttn",
        device_id="gp-tps-07",
        dev_eui=TPS_EUI,
        f_port=1,
        f_cnt=f_cnt,
        frm_payload=bytes([int(occupied)]),
        time_ns=time.time_ns(),
        receptions=[Reception("hannut-gw-1", -97.0, 6.5)],
    )


def stored_per_device(stack: Stack, measurement: str) -> dict[str, int]:
    return stack.influx.count_by(stack.database, measurement, "device")


def test_unknown_devices_are_listed_and_adopted_without_a_restart(stack: Stack, processes: Processes) -> None:
    ingest = stack.start_ingest()
    api = stack.start_api("--access-log", env={"RIDEBUY_API_TOKEN": TOKEN})
    pids = (ingest.process.pid if ingest.process else None, api.process.pid if api.process else None)

    stack.publish("gare-slot-9", "occupancy", {"ts": now_ms(), "occupied": True})
    publish_all(stack.mosquitto.url, [tps_uplink(1, True)])
    wait_until(lambda: stack.stored("ingest_errors") == 2, what="two dead letters")

    assert stack.get("/v1/admin/unknown-devices").status_code == 401
    assert stack.http.get("/v1/admin/unknown-devices", headers={"Authorization": f"Bearer {WRONG}"}).status_code == 403
    listed = stack.http.get("/v1/admin/unknown-devices", headers=ADMIN).json()["unknown_devices"]
    assert [(d["suggested_id"], d["format"], d["count"]) for d in listed] == [
        ("gp-tps-07", "ttn", 1),
        ("gare-slot-9", "native", 1),
    ]
    assert listed[0]["dev_eui"] == TPS_EUI and listed[0]["topic"] == "v3/hannut-parking@ttn/devices/gp-tps-07/up"
    letters = stack.http.get("/v1/admin/dead-letters", headers=ADMIN, params={"reason": "unknown_device"}).json()
    assert {d["device"] for d in letters["dead_letters"]} == {"gp-tps-07", "gare-slot-9"}

    # One through the admin API, the other from the command line.
    adopted = stack.http.post(
        "/v1/admin/devices",
        headers=ADMIN,
        json={"id": "gare-slot-9", "kind": "slot", "parking": "gare", "heartbeat_s": 60},
    )
    assert adopted.status_code == 201, adopted.text
    command = processes.ridebuy(
        "devices",
        "adopt",
        "--registry",
        str(stack.registry),
        "--id",
        "gp-tps-07",
        "--kind",
        "slot",
        "--parking",
        "grand-place",
        "--format",
        "ttn",
        "--codec",
        "bosch-tps110",
        "--dev-eui",
        TPS_EUI,
    )
    assert command.returncode == 0, command.stderr
    ingest.wait_for_log("registry reloaded", count=1)
    wait_until(
        lambda: "gp-tps-07" in {d["id"] for d in stack.json("/v1/devices")["devices"]},
        what="the API to take the registry edited from the command line",
    )
    ingest.wait_for_log("registry reloaded: 8 devices")

    stack.publish("gare-slot-9", "occupancy", {"ts": now_ms(), "occupied": True})
    publish_all(stack.mosquitto.url, [tps_uplink(2, True)])
    wait_until(
        lambda: stored_per_device(stack, "occupancy") == {"gare-slot-9": 1, "gp-tps-07": 1},
        what="the adopted devices' messages to be stored",
    )
    gare = wait_until(
        lambda: (p := stack.json("/v1/parkings/gare"))["occupied"] == 1 and p,
        what="the adopted slot in the gare's figures",
    )
    assert (gare["free"], gare["occupied"], gare["unknown"], gare["status"]) == (0, 1, 3, "stale")
    grand_place = wait_until(
        lambda: (p := stack.json("/v1/parkings/grand-place"))["occupied"] == 1 and p,
        what="the adopted TPS110 in the Grand-Place's figures",
    )
    assert grand_place["unknown"] == 11
    devices = {d["id"]: d for d in stack.json("/v1/devices")["devices"]}
    assert devices["gp-tps-07"]["stale"] is False and devices["gp-tps-07"]["rssi"] == -97.0
    assert devices["gp-tps-07"]["heartbeat_s"] == 24 * 3600  # the TPS110 codec's default
    assert stack.http.get("/v1/admin/unknown-devices", headers=ADMIN).json()["unknown_devices"] == []
    assert stack.stored("ingest_errors") == 2  # nothing new was refused

    assert ingest.running and api.running
    assert (ingest.process.pid if ingest.process else None, api.process.pid if api.process else None) == pids
    log = api.log()
    assert 'POST /v1/admin/devices HTTP/1.1" 201' in log  # the access log is on, and still:
    assert TOKEN not in log and WRONG not in log and TOKEN[:10] not in log
