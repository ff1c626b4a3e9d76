"""Admin endpoints in-process: token checks, dead letters, unknown devices, adoption and removal.

The store is a real SQLite file and the registry a real YAML file; dead letters are made by the real decoders.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.settings import ApiSettings
from ridebuy.devices.codecs import CODECS, Values
from ridebuy.devices.decoding import decode_message
from ridebuy.devices.envelopes import chirpstack, ttn
from ridebuy.devices.envelopes.uplink import Reception
from ridebuy.devices.registry import load_registry
from ridebuy.devices.rejections import Rejected
from ridebuy.devices.topics import device_topic
from ridebuy.store.points import rejection_point
from ridebuy.store.sqlite import SqliteStore
from tests.api.fakes import Clock, InProcessApi
from tests.devices.helpers import SMALL
from tests.support.registry_files import begin_rewrite_in_place, finish_rewrite_in_place, split_before
from tests.support.waiting import wait_until

S = 1_000_000_000
NOW = 1_777_880_000 * S  # 2026-05-04T07:33:20Z
TOKEN = "k9-Vq2xL8mZ1rT4wY7pN3sB6dF0hJ5cG"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
TTN_EUI = "70B3D5E75E00A0F1"
CS_EUI = "24E124538B00A0F2"


@dataclass
class Admin(InProcessApi):
    store: SqliteStore
    registry_file: Path

    def dead_letter(self, topic: str, payload: bytes, at_ns: int) -> Rejected:
        """What the ingest does with a refused message: decode it for real, store its dead letter."""
        with pytest.raises(Rejected) as refused:
            decode_message(topic, payload, at_ns, self.live.registry)
        self.store.write([rejection_point(refused.value, topic, payload, at_ns)])
        return refused.value


def registry_text() -> str:
    return "# Small test town.\n# Keep this comment.\n" + yaml.safe_dump(SMALL, sort_keys=False)


def make_admin(tmp_path: Path, token: str | None = TOKEN, **settings: object) -> Iterator[Admin]:
    registry_file = tmp_path / "registry.yaml"
    registry_file.write_text(registry_text())
    store = SqliteStore(tmp_path / "ridebuy.db")
    clock = Clock(NOW)
    config = ApiSettings(
        registry=registry_file,
        api_token=token,
        api_expire_interval_s=3600,
        api_rate_limit="",
        **settings,  # type: ignore[arg-type]
    )
    app = create_app(config, store=store, clock_ns=clock, listen=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Admin(client=client, clock=clock, store=store, registry_file=registry_file)
    store.close()


@pytest.fixture
def admin(tmp_path: Path) -> Iterator[Admin]:
    yield from make_admin(tmp_path)


def ttn_unknown(device_id: str, f_cnt: int, time_ns: int) -> tuple[str, bytes]:
    return ttn.ttn_uplink(
        application_id="hannut-parking",
        tenant_id="ttn",
        device_id=device_id,
        dev_eui=TTN_EUI,
        f_port=1,
        f_cnt=f_cnt,
        frm_payload=b"\x01",
        time_ns=time_ns,
        receptions=[Reception("gw-1", -99.0, 7.0)],
    )


# --- the token ---------------------------------------------------------------------------------------------------


def test_admin_needs_the_token(admin: Admin) -> None:
    missing = admin.client.get("/v1/admin/dead-letters")
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"] == "Bearer"
    assert "Authorization: Bearer" in missing.json()["detail"]
    assert admin.client.get("/v1/admin/dead-letters", headers={"Authorization": f"Basic {TOKEN}"}).status_code == 401
    wrong = admin.client.get("/v1/admin/dead-letters", headers={"Authorization": f"Bearer {TOKEN}x"})
    assert (wrong.status_code, wrong.json()) == (403, {"detail": "the admin token is wrong"})
    assert admin.client.get("/v1/admin/dead-letters", headers={"Authorization": "Bearer "}).status_code == 401
    assert admin.client.post("/v1/admin/devices", json={"id": "x"}).status_code == 401  # before any validation
    assert (
        admin.client.delete("/v1/admin/devices/gare-rack", headers={"Authorization": "Bearer nope"}).status_code == 403
    )
    assert admin.client.get("/v1/admin/dead-letters", headers=ADMIN).status_code == 200
    metrics = admin.client.get("/metrics").text
    assert 'ridebuy_api_admin_refused_total{reason="missing_token"} 4.0' in metrics
    assert 'ridebuy_api_admin_refused_total{reason="wrong_token"} 2.0' in metrics
    assert "gare-rack" in admin.registry_file.read_text()  # the refused DELETE changed nothing


def test_the_token_is_compared_in_constant_time(admin: Admin, monkeypatch: pytest.MonkeyPatch) -> None:
    compared: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)  # api.auth looks it up at each call
    assert admin.client.get("/v1/admin/dead-letters", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert admin.client.get("/v1/admin/dead-letters", headers=ADMIN).status_code == 200
    assert compared == [(b"wrong", TOKEN.encode()), (TOKEN.encode(), TOKEN.encode())]


def test_without_a_configured_token_admin_is_off(tmp_path: Path) -> None:
    for admin in make_admin(tmp_path, token=None):
        response = admin.client.get("/v1/admin/unknown-devices", headers=ADMIN)
        assert response.status_code == 503
        assert "RIDEBUY_API_TOKEN" in response.json()["detail"]
        assert admin.client.post("/v1/admin/devices", headers=ADMIN, json={}).status_code == 503
        assert admin.client.get("/v1/parkings").status_code == 200  # the public API is unaffected


def test_the_token_never_reaches_the_log(admin: Admin, caplog: pytest.LogCaptureFixture) -> None:
    wrong = "wrong-" + TOKEN[:12]
    with caplog.at_level(logging.DEBUG):
        admin.client.get("/v1/admin/dead-letters", headers={"Authorization": f"Bearer {wrong}"})
        admin.client.get("/v1/admin/dead-letters", headers=ADMIN)
        admin.client.post(
            "/v1/admin/devices", headers=ADMIN, json={"id": "gare-slot-9", "kind": "slot", "parking": "gare"}
        )
    assert "wrong token" in caplog.text
    assert TOKEN not in caplog.text and TOKEN[:12] not in caplog.text


# --- dead letters and unknown devices ---------------------------------------------------------------------------


def test_dead_letters_newest_first_with_reason_and_preview(admin: Admin) -> None:
    admin.dead_letter(device_topic("gare-rack", "occupancy"), b'{"occupied": "lots"}', NOW - 30 * S)
    admin.dead_letter(device_topic("stranger", "occupancy"), b'{"occupied": 1}', NOW - 20 * S)
    admin.dead_letter(device_topic("gare-rack", "occupancy"), b"{not json", NOW - 10 * S)
    body = admin.client.get("/v1/admin/dead-letters", headers=ADMIN).json()
    assert [(d["reason"], d["device"]) for d in body["dead_letters"]] == [
        ("invalid_json", "gare-rack"),
        ("unknown_device", "stranger"),
        ("invalid_payload", "gare-rack"),
    ]
    first = body["dead_letters"][0]
    assert (first["time"], first["preview"], first["topic"]) == (
        "2026-05-04T07:33:10Z",
        "{not json",
        "ridebuy/v1/devices/gare-rack/occupancy",
    )
    assert first["detail"]
    only = admin.client.get("/v1/admin/dead-letters", headers=ADMIN, params={"reason": "invalid_payload"}).json()
    assert [d["preview"] for d in only["dead_letters"]] == ['{"occupied": "lots"}']
    limited = admin.client.get("/v1/admin/dead-letters", headers=ADMIN, params={"limit": 1, "since": "15s"})
    assert limited.status_code == 422  # a window shorter than a minute
    limited = admin.client.get("/v1/admin/dead-letters", headers=ADMIN, params={"limit": 1, "since": "1m"}).json()
    assert len(limited["dead_letters"]) == 1
    bad = admin.client.get("/v1/admin/dead-letters", headers=ADMIN, params={"reason": "boredom"})
    assert bad.status_code == 422 and "reason" in bad.json()["detail"]


def test_unknown_devices_of_every_format_are_listed_for_adoption(admin: Admin) -> None:
    for i in range(3):
        admin.dead_letter(device_topic("gare-slot-9", "occupancy"), b'{"occupied": true}', NOW - (300 - i) * S)
    for i in range(2):
        topic, payload = ttn_unknown("gp-tps-07", i + 1, NOW - (200 - i) * S)
        admin.dead_letter(topic, payload, NOW - (200 - i) * S)
    vs340 = CODECS["milesight-vs340"]
    port, data = vs340.encode(Values(occupied=1))
    topic, payload = chirpstack.chirpstack_up(
        application_id="5f9e5a3c-7d3e-4d0a-9a57-9a1d6c1b2e01",
        dev_eui=CS_EUI,
        device_name="desk-42",
        f_port=port,
        f_cnt=5,
        data=data,
        time_ns=NOW - 100 * S,
        receptions=[Reception("gw-1", -101.0, 3.5)],
    )
    admin.dead_letter(topic, payload, NOW - 100 * S)
    admin.dead_letter(device_topic("gare-rack", "occupancy"), b"{not json", NOW - 50 * S)  # not unknown_device

    body = admin.client.get("/v1/admin/unknown-devices", headers=ADMIN).json()
    assert body["scanned"] == 6
    found = {d["suggested_id"]: d for d in body["unknown_devices"]}
    assert [d["suggested_id"] for d in body["unknown_devices"]] == [CS_EUI.lower(), "gp-tps-07", "gare-slot-9"]
    native = found["gare-slot-9"]
    assert (native["format"], native["count"], native["device_id"], native["dev_eui"]) == (
        "native",
        3,
        "gare-slot-9",
        None,
    )
    assert (native["first_seen"], native["last_seen"]) == ("2026-05-04T07:28:20Z", "2026-05-04T07:28:22Z")
    assert native["topic"] == "ridebuy/v1/devices/gare-slot-9/occupancy"
    assert native["adopt"] == {"id": "gare-slot-9", "format": "native"}
    lorawan = found["gp-tps-07"]
    assert (lorawan["format"], lorawan["count"], lorawan["dev_eui"], lorawan["application_id"]) == (
        "ttn",
        2,
        TTN_EUI,
        "hannut-parking",
    )
    assert lorawan["topic"] == "v3/hannut-parking@ttn/devices/gp-tps-07/up"
    assert lorawan["adopt"] == {"id": "gp-tps-07", "format": "ttn", "dev_eui": TTN_EUI}
    cs = found[CS_EUI.lower()]
    assert (cs["format"], cs["dev_eui"], cs["device_id"], cs["count"]) == ("chirpstack", CS_EUI, "desk-42", 1)

    recent = admin.client.get("/v1/admin/unknown-devices", headers=ADMIN, params={"since": "3m"}).json()
    assert [d["suggested_id"] for d in recent["unknown_devices"]] == [CS_EUI.lower()]


# --- adoption ---------------------------------------------------------------------------------------------------


def test_adopting_a_device_takes_effect_at_once_and_keeps_the_file(admin: Admin) -> None:
    admin.dead_letter(device_topic("gare-slot-9", "occupancy"), b'{"occupied": true}', NOW - 60 * S)
    response = admin.client.post(
        "/v1/admin/devices",
        headers=ADMIN,
        json={"id": "gare-slot-9", "kind": "slot", "parking": "gare", "heartbeat_s": 60},
    )
    assert response.status_code == 201, response.text
    assert response.json() == {
        "device": {"id": "gare-slot-9", "kind": "slot", "parking": "gare", "heartbeat_s": 60},
        "devices": 7,
    }
    text = admin.registry_file.read_text()
    assert text.startswith(registry_text().rstrip("\n"))  # comments and every other entry as they were
    assert load_registry(admin.registry_file).device_by_id["gare-slot-9"].parking == "gare"
    assert admin.client.get("/v1/admin/unknown-devices", headers=ADMIN).json()["unknown_devices"] == []

    # Its next message is folded: the gare's 4 places are now a rack of 3 and this slot.
    admin.live.handle_message(device_topic("gare-slot-9", "occupancy"), b'{"occupied": true}', admin.clock())
    admin.live.handle_message(device_topic("gare-rack", "occupancy"), b'{"occupied": 1}', admin.clock())
    gare = admin.client.get("/v1/parkings/gare").json()
    assert (gare["free"], gare["occupied"], gare["unknown"], gare["status"]) == (2, 2, 0, "ok")
    devices = {d["id"]: d for d in admin.client.get("/v1/devices").json()["devices"]}
    assert devices["gare-slot-9"]["stale"] is False


def test_adoption_refuses_duplicates_and_invalid_entries_precisely(admin: Admin) -> None:
    before = admin.registry_file.read_bytes()

    def adopt(entry: dict[str, object]) -> tuple[int, str]:
        response = admin.client.post("/v1/admin/devices", headers=ADMIN, json=entry)
        return response.status_code, response.json()["detail"]

    assert adopt({"id": "gare-rack", "kind": "rack", "parking": "gare"}) == (
        409,
        "a device with id 'gare-rack' is already in the registry",
    )
    assert adopt({"id": "x-1", "kind": "slot", "parking": "nowhere"}) == (
        422,
        "device 'x-1', field 'parking': unknown parking 'nowhere'",
    )
    assert adopt({"id": "x-1", "kind": "rack", "parking": "gare", "spaces": 5}) == (
        422,
        "parkings[1] (id 'gare'), field 'capacity': its devices watch 5 spaces, more than the capacity 4",
    )
    assert adopt({"id": "x-1", "kind": "slot", "parking": "gare", "format": "ttn", "codec": "acme-9"})[1].startswith(
        "device 'x-1': unknown codec 'acme-9'"
    )
    assert adopt({"id": "x-1", "kind": "counter", "counter": "centre-north", "codec": "bosch-tps110"}) == (
        422,
        "device 'x-1': codec 'bosch-tps110' serves slot devices, not counter",
    )
    assert adopt({"id": "x-1", "kind": "slot", "parking": "gare", "format": "chirpstack"})[1] == (
        "device 'x-1': a chirpstack device needs 'dev_eui' (ChirpStack names devices by DevEUI)"
    )
    status, detail = adopt({"id": "x-1", "kind": "slot", "parking": "gare", "colour": "red"})
    assert status == 422 and "colour" in detail
    status, detail = adopt({"id": "x 1", "kind": "slot", "parking": "gare"})
    assert status == 422 and "id" in detail
    status, detail = adopt({"id": "x-1", "kind": "counter", "parking": "gare"})
    assert status == 422 and "a counter device needs 'counter'" in detail
    assert admin.registry_file.read_bytes() == before


def test_removing_a_device(admin: Admin) -> None:
    admin.live.handle_message(device_topic("gare-rack", "occupancy"), b'{"occupied": 1}', admin.clock())
    assert admin.client.get("/v1/parkings/gare").json()["free"] == 3
    assert admin.client.delete("/v1/admin/devices/gare-rack", headers=ADMIN).status_code == 204
    assert "gare-rack" not in load_registry(admin.registry_file).device_by_id
    gare = admin.client.get("/v1/parkings/gare").json()
    assert (gare["status"], gare["unknown"]) == ("unknown", 4)  # nothing watches it any more
    missing = admin.client.delete("/v1/admin/devices/gare-rack", headers=ADMIN)
    assert (missing.status_code, missing.json()["detail"]) == (404, "no device with id 'gare-rack' in the registry")


def test_an_unwritable_registry_is_a_503_and_nothing_changes(admin: Admin) -> None:
    admin.registry_file.write_text("devices: [")  # someone broke the file by hand
    response = admin.client.post(
        "/v1/admin/devices", headers=ADMIN, json={"id": "x-1", "kind": "slot", "parking": "gare"}
    )
    assert response.status_code == 503
    assert "not valid YAML" in response.json()["detail"]
    assert admin.registry_file.read_text() == "devices: ["


def test_an_edit_made_elsewhere_is_taken_without_a_restart(admin: Admin) -> None:
    data = yaml.safe_load(admin.registry_file.read_text())
    data["devices"].append({"id": "gare-slot-9", "kind": "slot", "parking": "gare"})
    admin.registry_file.write_text(json.dumps(data))  # JSON is YAML: any editor, any writer
    wait_until(
        lambda: "gare-slot-9" in admin.live.registry.device_by_id,
        timeout_s=10,
        what="the API to reload the edited registry",
    )


def test_a_registry_rewritten_in_place_is_not_taken_half_written(
    admin: Admin, caplog: pytest.LogCaptureFixture
) -> None:
    first, rest = split_before(admin.registry_file.read_text(), "gare-rack")
    descriptor = begin_rewrite_in_place(admin.registry_file, first)  # truncated, half written, then a pause
    wait_until(lambda: "rewritten in place and now lacks 3" in caplog.text, timeout_s=15, what="the half refused")
    assert "gare-rack" in admin.live.registry.device_by_id
    admin.live.handle_message(device_topic("gare-rack", "occupancy"), b'{"occupied": 1}', admin.clock())
    gare = admin.client.get("/v1/parkings/gare").json()
    assert (gare["status"], gare["free"], gare["unknown"]) == ("ok", 3, 0)
    finish_rewrite_in_place(descriptor, rest + "- {id: gare-slot-9, kind: slot, parking: gare}\n")
    wait_until(
        lambda: "gare-slot-9" in admin.live.registry.device_by_id,
        timeout_s=10,
        what="the API to take the finished registry",
    )
    assert "gare-rack" in admin.live.registry.device_by_id
