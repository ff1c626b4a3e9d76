"""The app's HTML, manifest and service worker as served (in-process; the browser tests drive them in Chromium)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.settings import ApiSettings
from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.shared.settings import SettingsError, load_settings
from tests.api.fakes import Clock, FakeStore

S = 1_000_000_000
NOW = 1_777_880_000 * S  # Monday 2026-05-04, 9:33 in Brussels


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def client(tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = ApiSettings(registry=tmp_path / "unused.yaml", town_name="Hannut", api_expire_interval_s=3600)
    app = create_app(
        settings, store=FakeStore(), registry=load_registry(sample_registry_path()), clock_ns=clock, listen=False
    )
    with TestClient(app) as test_client:
        yield test_client


def test_the_page_carries_the_list_its_config_and_a_policy_for_its_inline_styles(client: TestClient) -> None:
    response = client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,fr;q=0.5"})
    page = response.text
    assert '<html lang="en">' in page
    ids = re.findall(r'<li class="parking" data-id="([^"]+)"', page)
    assert len(ids) == 12  # the list is in the first answer: no wait for scripts on a slow line
    assert 'elementtiming="first-parking"' in page
    assert "Free places unknown: sensors silent" in page  # nothing heard yet: unknown, never free
    found = re.search(r'<script id="ridebuy-config" type="application/json">(.*?)</script>', page)
    assert found is not None
    config = json.loads(found[1])
    assert config["town"] == "Hannut"
    assert config["tiles"]["url"] == "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    assert 'href="https://www.openstreetmap.org/copyright"' in config["tiles"]["attribution"]
    policy = response.headers["content-security-policy"]
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", policy)
    assert "img-src 'self' data: https:" in policy
    assert "script-src 'self';" in policy  # still no inline script
    assert "<style>" in page and "/static/style.css" not in page


def test_the_browser_language_picks_the_first_list(client: TestClient) -> None:
    dutch = client.get("/", headers={"Accept-Language": "nl-BE,nl;q=0.9,en;q=0.8"}).text
    assert '<html lang="nl">' in dutch and "Vrije plaatsen onbekend" in dutch
    german = client.get("/", headers={"Accept-Language": "de-DE,de;q=0.9"}).text
    assert '<html lang="fr">' in german  # none of ours: the town's French


def test_the_page_and_its_files_travel_gzipped(client: TestClient) -> None:
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip"
    leaflet = client.get("/static/vendor/leaflet/leaflet.js", headers={"Accept-Encoding": "gzip"})
    assert leaflet.headers["content-encoding"] == "gzip"
    assert "Leaflet" in leaflet.text  # httpx undoes the gzip


def test_a_parking_has_a_stable_page_that_previews_when_shared(client: TestClient) -> None:
    page = client.get("/p/gare-bus").text
    meta = dict(re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)"', page))
    assert meta["og:title"] == "Gare des bus (TEC) – Hannut"
    assert meta["og:url"] == "http://testserver/p/gare-bus"
    assert meta["og:image"] == "http://testserver/static/icons/icon-512.png"
    assert "40 places" in meta["og:description"] and "couvert" in meta["og:description"]
    assert '<link rel="canonical" href="http://testserver/p/gare-bus">' in page
    assert '"focus": "gare-bus"' in page
    missing = client.get("/p/nowhere")
    assert missing.status_code == 404
    assert "nowhere" in missing.text


def test_the_app_installs_with_a_manifest_icons_and_a_service_worker(client: TestClient) -> None:
    manifest = client.get("/manifest.webmanifest")
    assert manifest.headers["content-type"].startswith("application/manifest+json")
    body = manifest.json()
    assert body["name"] == "Parkings vélo Hannut"
    assert (body["start_url"], body["scope"], body["display"]) == ("/", "/", "standalone")
    sizes = {icon["sizes"] for icon in body["icons"]}
    assert {"192x192", "512x512"} <= sizes
    for icon in body["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon
        assert response.headers["content-type"] == icon["type"]
    worker = client.get("/sw.js")
    assert worker.headers["content-type"].startswith("text/javascript")
    assert "__RIDEBUY_SHELL_VERSION__" not in worker.text
    assert re.search(r'"ridebuy-shell-[0-9a-f]{16}"', worker.text)
    for path in re.findall(r'^  "(/[^"]*)",$', worker.text, re.MULTILINE):
        assert client.get(path).status_code == 200, path  # every file of the app shell exists


def test_the_api_documents_the_parking_attributes(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]
    fields = schema["ParkingOut"]["properties"]
    for name in (
        "opening_hours",
        "open_now",
        "secure",
        "places",
        "charging_points",
        "price",
        "max_stay_h",
        "address",
        "photo_url",
        "stale_after_s",
    ):
        assert name in fields, name
        assert fields[name].get("description") or name in ("secure", "places"), name
    assert schema["SecureKind"]["enum"] == ["none", "locker", "bike_room", "guarded"]
    gare = client.get("/v1/parkings/gare-bus").json()
    assert gare["places"] == {"regular": 32, "cargo": 4, "ebike": 4}
    assert (gare["secure"], gare["opening_hours"], gare["open_now"]) == ("bike_room", "24/7", True)
    athenee = client.get("/v1/parkings/athenee").json()
    assert (athenee["opening_hours"], athenee["open_now"]) == ("Mo-Fr 07:00-18:30", True)  # Monday 9:33
    feature = client.get("/v1/parkings.geojson").json()["features"][0]["properties"]
    assert "charging_points" in feature and "open_now" in feature


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"town_timezone": "Mars/Olympus"}, "RIDEBUY_TOWN_TIMEZONE"),
        ({"web_tile_url": "ftp://tiles/{z}/{x}/{y}.png"}, "RIDEBUY_WEB_TILE_URL"),
        ({"web_tile_url": "https://tiles.example.org/tile.png"}, "RIDEBUY_WEB_TILE_URL"),
    ],
)
def test_bad_web_settings_name_themselves(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        load_settings(ApiSettings, **overrides)
    assert load_settings(ApiSettings, web_tile_url="").web_tile_url == ""  # no tiles at all is allowed


def test_open_now_turns_with_the_clock_in_the_cached_list(client: TestClient, clock: Clock) -> None:
    def athenee(response: httpx.Response) -> dict[str, Any]:
        parkings: list[dict[str, Any]] = response.json()["parkings"]
        return next(p for p in parkings if p["id"] == "athenee")

    morning = client.get("/v1/parkings")
    assert athenee(morning)["open_now"] is True  # Monday 9:33 in Brussels, open Mo-Fr 07:00-18:30
    clock.now_ns = NOW + 10 * 3600 * S  # 19:33: nothing else changed, yet the school's racks are closed
    evening = client.get("/v1/parkings", headers={"If-None-Match": morning.headers["etag"]})
    assert evening.status_code == 200
    assert athenee(evening)["open_now"] is False
    assert evening.headers["last-modified"] != morning.headers["last-modified"]
    assert client.get("/v1/parkings", headers={"If-None-Match": evening.headers["etag"]}).status_code == 304


def test_the_vendored_libraries_are_the_pinned_versions_with_their_licences() -> None:
    vendor = Path(__file__).resolve().parents[2] / "api" / "static" / "vendor"
    pinned = {
        line.split()[0]: line.split()[1]
        for line in (vendor / "VERSIONS").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert pinned == {"leaflet": "1.9.4", "leaflet.markercluster": "1.5.3"}
    script = (Path(__file__).resolve().parents[2] / "scripts" / "vendor-web.sh").read_text()
    assert all(f"{name} {version} sha512-" in script for name, version in pinned.items())
    assert 't.version="1.9.4"' in (vendor / "leaflet" / "leaflet.js").read_text()
    assert "BSD 2-Clause" in (vendor / "leaflet" / "LICENSE").read_text()
    assert "Permission is hereby granted" in (vendor / "leaflet.markercluster" / "MIT-LICENCE.txt").read_text()
