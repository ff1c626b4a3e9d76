"""The API in-process on a small fake store (injected through the Store protocol); live state fed directly."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.settings import ApiSettings
from ridebuy.store.base import AvailabilityBucket, CountBucket, DeviceSnapshot
from tests.api.fakes import Clock, FakeStore, InProcessApi
from tests.devices.helpers import small_registry
from tests.support.waiting import wait_until

S = 1_000_000_000
NOW = 1_777_880_000 * S  # 2026-05-04T07:33:20Z


@dataclass
class Api(InProcessApi):
    store: FakeStore


def make_api(store: FakeStore, tmp_path: Path) -> Iterator[Api]:
    clock = Clock(NOW)
    settings = ApiSettings(registry=tmp_path / "unused.yaml", api_expire_interval_s=3600)
    app = create_app(settings, store=store, registry=small_registry(), clock_ns=clock, listen=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, clock=clock, store=store)


@pytest.fixture
def store() -> FakeStore:
    return FakeStore(
        snapshots=[DeviceSnapshot("gp-rack-1", occupied=4, occupied_ns=NOW - 10 * S, last_seen_ns=NOW - 10 * S)]
    )


@pytest.fixture
def api(store: FakeStore, tmp_path: Path) -> Iterator[Api]:
    yield from make_api(store, tmp_path)


def test_live_state_is_bootstrapped_before_the_first_answer(api: Api) -> None:
    body = api.client.get("/v1/parkings/grand-place").json()
    assert (body["free"], body["occupied"], body["unknown"], body["status"]) == (6, 4, 2, "stale")
    assert body["last_updated"] == "2026-05-04T07:33:10Z"
    assert api.store.calls == [("device_snapshots",)]


def test_parkings_are_sorted_by_distance_and_filtered(api: Api) -> None:
    api.send("gare-rack", "occupancy", {"ts": NOW // 1_000_000, "occupied": 3})
    near_gare = api.client.get("/v1/parkings", params={"near": "50.67,5.08"}).json()["parkings"]
    assert [p["id"] for p in near_gare] == ["gare", "shut", "grand-place"]  # equal distances: by id
    assert near_gare[0]["distance_m"] == near_gare[1]["distance_m"] == 0
    # 0.0016 degrees north and 0.003 degrees west, on a plane at this latitude (metres per degree: 111,195).
    planar_m = math.hypot(0.0016 * 111_195, 0.003 * 111_195 * math.cos(math.radians(50.67)))
    assert near_gare[-1]["distance_m"] == pytest.approx(planar_m, rel=1e-3)

    within = api.client.get("/v1/parkings", params={"near": "50.67,5.08", "radius_m": 100}).json()["parkings"]
    assert {p["id"] for p in within} == {"gare", "shut"}
    with_room = api.client.get("/v1/parkings", params={"min_free": 2}).json()["parkings"]
    assert [(p["id"], p["free"]) for p in with_room] == [("grand-place", 6)]
    unsorted = api.client.get("/v1/parkings").json()["parkings"]
    assert [p["id"] for p in unsorted] == ["grand-place", "gare", "shut"]
    assert all(p["distance_m"] is None for p in unsorted)


def test_closed_and_silent_parkings_are_never_free(api: Api) -> None:
    api.send("shut-rack", "occupancy", {"occupied": 0})
    shut = api.client.get("/v1/parkings/shut").json()
    assert (shut["status"], shut["free"]) == ("closed", 0)
    never_heard = api.client.get("/v1/parkings/gare").json()
    assert (never_heard["status"], never_heard["free"], never_heard["unknown"]) == ("unknown", 0, 4)

    api.clock.now_ns += 3600 * S  # far past the 60 s heartbeat allowance of gp-rack-1
    api.live.expire(api.clock())
    silent = api.client.get("/v1/parkings/grand-place").json()
    assert (silent["status"], silent["free"], silent["unknown"]) == ("unknown", 0, 12)
    devices = {d["id"]: d for d in api.client.get("/v1/devices").json()["devices"]}
    assert devices["gp-rack-1"]["stale"] is True
    assert devices["gp-rack-1"]["last_seen"] == "2026-05-04T07:33:10Z"


def test_geojson_follows_rfc_7946(api: Api) -> None:
    response = api.client.get("/v1/parkings.geojson")
    assert response.headers["content-type"] == "application/geo+json"
    body = response.json()
    assert body["type"] == "FeatureCollection"
    first = body["features"][0]
    assert (first["type"], first["id"], first["geometry"]) == (
        "Feature",
        "grand-place",
        {"type": "Point", "coordinates": [5.077, 50.6716]},  # lon, lat
    )
    assert (first["properties"]["free"], first["properties"]["status"]) == (6, "stale")


def test_unknown_ids_are_404_with_a_message(api: Api) -> None:
    for path, message in [
        ("/v1/parkings/nowhere", "no parking with id 'nowhere'"),
        ("/v1/parkings/nowhere/history", "no parking with id 'nowhere'"),
        ("/v1/counters/nowhere/counts", "no counter with id 'nowhere'"),
        ("/v1/nothing-here", "no such path: /v1/nothing-here"),
    ]:
        response = api.client.get(path)
        assert (response.status_code, response.json()) == (404, {"detail": message}), path


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/v1/parkings", {"near": "fifty,five"}, "near"),
        ("/v1/parkings", {"near": "95,5"}, "near"),
        ("/v1/parkings", {"radius_m": "100"}, "radius_m"),
        ("/v1/parkings", {"near": "50.67,5.08", "radius_m": "-3"}, "radius_m"),
        ("/v1/parkings", {"min_free": "-1"}, "min_free"),
        ("/v1/parkings.geojson", {"min_free": "many"}, "min_free"),
        ("/v1/parkings/gare/history", {"every": "fortnight"}, "every"),
        ("/v1/parkings/gare/history", {"every": "1s"}, "every"),
        ("/v1/parkings/gare/history", {"from": "yesterday"}, "from"),
        ("/v1/parkings/gare/history", {"from": "2026-05-04T08:00:00"}, "from"),
        ("/v1/parkings/gare/history", {"from": "2026-05-04T09:00:00Z", "to": "2026-05-04T08:00:00Z"}, "from"),
        ("/v1/parkings/gare/history", {"from": "2020-01-01T00:00:00Z", "every": "1m"}, "every"),
        ("/v1/counters/centre-north/counts", {"every": "2h"}, "every"),
        ("/v1/counters/centre-north/counts", {"direction": "up"}, "direction"),
    ],
)
def test_bad_parameters_are_422_naming_them(api: Api, path: str, params: dict[str, str], parameter: str) -> None:
    response = api.client.get(path, params=params)
    assert response.status_code == 422
    body = response.json()
    assert body["detail"].startswith(f"parameter '{parameter}': ")
    assert body["errors"][0]["parameter"] == parameter


def test_errors_never_show_a_stack_trace(api: Api) -> None:
    api.store.broken = True
    response = api.client.get("/v1/parkings/gare/history")
    assert (response.status_code, response.json()) == (500, {"detail": "internal error; it was logged"})
    api.store.broken, api.store.down = False, True
    response = api.client.get("/v1/counters/centre-north/counts")
    assert response.status_code == 503
    assert response.headers["retry-after"] == "10"
    assert "unavailable" in response.json()["detail"]
    assert api.client.get("/v1/parkings/gare").status_code == 200  # live figures never need the store


def test_history_asks_the_store_for_the_range(api: Api) -> None:
    api.store.history = [
        AvailabilityBucket(NOW - 1800 * S, 3.5, 0.5, 0.0, 4),
        AvailabilityBucket(NOW - 900 * S, None, None, None, None),
    ]
    body = api.client.get(
        "/v1/parkings/gare/history", params={"from": "2026-05-04T07:03:20Z", "to": "2026-05-04T09:33:20+02:00"}
    ).json()
    assert api.store.calls[-1] == ("parking_history", "gare", NOW - 1800 * S, NOW, 900)
    assert (body["parking"], body["from"], body["to"], body["every"]) == (
        "gare",
        "2026-05-04T07:03:20Z",
        "2026-05-04T07:33:20Z",
        "15m",
    )
    assert body["buckets"] == [
        {"start": "2026-05-04T07:03:20Z", "free": 3.5, "occupied": 0.5, "unknown": 0.0, "capacity": 4},
        {"start": "2026-05-04T07:18:20Z", "free": None, "occupied": None, "unknown": None, "capacity": None},
    ]
    api.client.get("/v1/parkings/gare/history", params={"every": "1h"})
    assert api.store.calls[-1] == ("parking_history", "gare", NOW - 86_400 * S, NOW, 3600)  # default: last 24 h


def test_counts_are_grouped_by_direction_and_class_with_gaps_as_null(api: Api) -> None:
    start = NOW - 7200 * S
    api.store.counts = [
        CountBucket(start, "in", "bike", 4),
        CountBucket(start, "in", "cargo", None),
        CountBucket(start + 3600 * S, "in", "bike", None),
        CountBucket(start + 3600 * S, "in", "cargo", 1),
        CountBucket(start, "out", "bike", 0),
        CountBucket(start + 3600 * S, "out", "bike", 2),
    ]
    body = api.client.get("/v1/counters/centre-north/counts", params={"every": "1h"}).json()
    assert [(s["direction"], s["class"], s["total"], [c["count"] for c in s["counts"]]) for s in body["series"]] == [
        ("in", "bike", 4, [4, None]),
        ("in", "cargo", 1, [None, 1]),
        ("out", "bike", 2, [0, 2]),
    ]
    inbound = api.client.get("/v1/counters/centre-north/counts", params={"direction": "in", "every": "15m"}).json()
    assert api.store.calls[-1][-2:] == (900, "in")
    assert {s["direction"] for s in inbound["series"]} == {"in"}


@pytest.mark.parametrize(
    ("path", "device", "kind", "payload"),
    [
        ("/v1/parkings", "gare-rack", "occupancy", {"occupied": 1}),
        ("/v1/parkings.geojson", "gare-rack", "occupancy", {"occupied": 1}),
        ("/v1/counters", "cn-count-1", "passage", {"direction": "in"}),
        ("/v1/devices", "gp-slot-02", "status", {"battery_pct": 50}),
    ],
)
def test_list_endpoints_answer_304_when_nothing_changed(
    api: Api, path: str, device: str, kind: str, payload: dict[str, object]
) -> None:
    first = api.client.get(path)
    etag, last_modified = first.headers["etag"], first.headers["last-modified"]
    assert last_modified == "Mon, 04 May 2026 07:33:20 GMT"
    assert api.client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert api.client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert api.client.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert api.client.get(path, headers={"If-Modified-Since": "not a date"}).status_code == 200

    api.clock.now_ns += 5 * S
    api.send(device, kind, payload)
    changed = api.client.get(path, headers={"If-None-Match": etag, "If-Modified-Since": last_modified})
    assert changed.status_code == 200
    assert changed.headers["etag"] != etag
    assert changed.headers["last-modified"] == "Mon, 04 May 2026 07:33:25 GMT"


def test_readiness_needs_broker_store_and_bootstrap(store: FakeStore, tmp_path: Path) -> None:
    store.down = True
    for api in make_api(store, tmp_path):
        not_ready = api.client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"] == {"broker": False, "store": False, "bootstrap": False}
        assert api.client.get("/healthz").json() == {"status": "ok"}
        api.store.down = False  # the bootstrap is retried in the background
        wait_until(lambda: api.live.bootstrapped, what="the retried bootstrap")  # noqa: B023
        api.live.broker_connected = True  # what the listener sets (the real one is tested in test_live_path)
        assert api.client.get("/readyz").json() == {
            "ready": True,
            "checks": {"broker": True, "store": True, "bootstrap": True},
        }


def test_the_docs_are_complete_and_served_without_a_cdn(api: Api) -> None:
    html = api.client.get("/docs").text
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") for a in assets), assets
    for asset in assets:
        assert api.client.get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()

    spec = api.client.get("/openapi.json").json()
    expected = {
        "/v1/parkings",
        "/v1/parkings.geojson",
        "/v1/parkings/{parking_id}",
        "/v1/parkings/{parking_id}/history",
        "/v1/parkings/{parking_id}/trend",
        "/v1/counters",
        "/v1/counters/{counter_id}/counts",
        "/v1/devices",
        "/v1/stream",
        "/v1/panels/{panel_id}",
        "/v1/panels/{panel_id}.txt",
        "/healthz",
        "/readyz",
        "/metrics",
        "/v1/admin/dead-letters",
        "/v1/admin/unknown-devices",
        "/v1/admin/devices",
        "/v1/admin/devices/{device_id}",
        *("/open-data/", "/open-data/catalogue.jsonld", "/open-data/velopark/{parking_id}.jsonld"),
        *("/open-data/velopark/{parking_id}/live.jsonld", "/open-data/datex2/parking-table.xml"),
        *("/open-data/datex2/parking-status.xml", "/open-data/datex2/parking-light.json"),
        *("/open-data/counters/sites.csv", "/open-data/counters/channels.csv", "/open-data/counters/measures.csv"),
    }
    assert set(spec["paths"]) == expected
    for path, item in spec["paths"].items():
        for operation in item.values():
            assert operation.get("description"), path
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), (path, parameter["name"])
    admin = spec["paths"]["/v1/admin/devices"]["post"]
    assert admin["security"] == [{"admin token": []}]
    assert {"401", "403", "409", "422", "503"} <= set(admin["responses"])
    for name in (
        "ParkingOut",
        "ParkingList",
        "ParkingFeatureCollection",
        "ParkingHistory",
        "CounterCounts",
        "DeviceOut",
        "Readiness",
        "ErrorOut",
        "ValidationErrorOut",
        "DeadLetterList",
        "UnknownDeviceList",
    ):
        assert spec["components"]["schemas"][name].get("examples"), name


def test_the_web_page_and_its_assets_are_served_here(api: Api) -> None:
    page = api.client.get("/")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    config = re.search(r'<script id="ridebuy-config" type="application/json">(.*?)</script>', page.text)
    assert config is not None
    centre = json.loads(config[1])["centre"]
    assert centre == pytest.approx({"lat": (50.6716 + 50.67 + 50.67) / 3, "lon": (5.077 + 5.08 + 5.08) / 3})
    assets = re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text)
    assert set(assets) == {
        "/static/favicon.svg",
        "/static/icons/icon-192.png",
        "/static/app.js",
        "/static/vendor/leaflet/leaflet.js",
        "/static/vendor/leaflet/leaflet.css",
        "/static/vendor/leaflet.markercluster/leaflet.markercluster.js",
        "/static/vendor/leaflet.markercluster/MarkerCluster.css",
    }
    for asset in assets:
        assert api.client.get(asset).status_code == 200, asset
    assert not re.search(r'(?:src|href)="(?:https?:)?//', page.text)


def test_metrics_are_prometheus_text(api: Api) -> None:
    api.send("gare-rack", "occupancy", {"occupied": 1})
    api.send("nobody", "occupancy", {"occupied": 1})
    response = api.client.get("/metrics")
    assert response.headers["content-type"].startswith("text/plain")
    assert "ridebuy_api_messages_received_total 2.0" in response.text
    assert 'ridebuy_api_messages_rejected_total{reason="unknown_device"} 1.0' in response.text
    assert 'ridebuy_api_store_seconds_count{operation="device_snapshots"} 1.0' in response.text
