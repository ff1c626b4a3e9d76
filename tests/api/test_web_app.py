"""The cyclist app in Debian's headless Chromium, on the real Mosquitto, InfluxDB and ``ridebuy api``.

A small town built for the purpose has one parking of each kind the order must handle: two with free places and
fresh figures, one whose figure is older than its devices' heartbeat, a full one, a silent one, one closed in the
registry and one closed by its opening hours. Map tiles come from a test tile server name answered by the browser
(``page.route``), so no test reaches the Internet.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.store.influx import InfluxStore
from ridebuy.store.points import availability_point
from tests.api.conftest import INSECURE_HOST, TILE_PNG, TOPIC, Stack, now_ms
from tests.support.mqtt import publish_all
from tests.support.servers import InfluxDB, Mosquitto

TILES = "http://tiles.ridebuy.test/{z}/{x}/{y}.png"
ORDER = ["free-near", "free-far", "old-figure", "full-near", "silent", "shut", "night"]

TOWN: dict[str, Any] = {
    "parkings": [
        {"id": "full-near", "name": "Full near", "lat": 50.0005, "lon": 5.0, "capacity": 4},
        {"id": "free-far", "name": "Free far", "lat": 50.004, "lon": 5.0, "capacity": 10},
        {
            "id": "free-near",
            "name": "Free near",
            "lat": 50.002,
            "lon": 5.0,
            "capacity": 10,
            "covered": True,
            "address": "Rue du Test 1, 4280 Hannut",
            "opening_hours": "24/7",
            "secure": "locker",
            "places": {"regular": 6, "cargo": 2, "ebike": 2},
            "charging_points": 2,
            "price": "free",
            "max_stay_h": 24,
        },
        {"id": "old-figure", "name": "Old figure", "lat": 50.001, "lon": 5.0, "capacity": 10},
        {"id": "silent", "name": "Silent", "lat": 50.0003, "lon": 5.0, "capacity": 6},
        {"id": "shut", "name": "Shut", "lat": 50.0001, "lon": 5.0, "capacity": 6, "closed": True},
        {"id": "night", "name": "Night", "lat": 50.0002, "lon": 5.0, "capacity": 6, "opening_hours": "off"},
    ],
    "devices": [
        {"id": "full-rack", "kind": "rack", "parking": "full-near", "heartbeat_s": 600},
        {"id": "far-rack", "kind": "rack", "parking": "free-far", "heartbeat_s": 600},
        {"id": "near-rack", "kind": "rack", "parking": "free-near", "heartbeat_s": 600},
        # Silent for 150 s with a 100 s heartbeat: still counted (offline after 200 s), but an old figure.
        {"id": "old-rack", "kind": "rack", "parking": "old-figure", "heartbeat_s": 100},
        {"id": "silent-rack", "kind": "rack", "parking": "silent", "heartbeat_s": 600},
        {"id": "shut-rack", "kind": "rack", "parking": "shut", "heartbeat_s": 600},
        {"id": "night-rack", "kind": "rack", "parking": "night", "heartbeat_s": 600},
    ],
}


@pytest.fixture
def town(tmp_path: Path, mosquitto: Mosquitto, influxdb: InfluxDB, database: str) -> Iterator[Stack]:
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(TOWN, allow_unicode=True))
    running = Stack(tmp_path, mosquitto, influxdb, database, path)
    yield running
    running.close()


def start(stack: Stack, *extra: str) -> None:
    stack.start_api(
        "--town-lat", "50.0", "--town-lon", "5.0", "--town-name", "Testville",
        "--web-tile-url", TILES, "--web-tile-attribution", "© Test tiles", *extra,
    )  # fmt: skip


def morning(stack: Stack) -> None:
    ts = now_ms()
    publish_all(
        stack.mosquitto.url,
        [
            (TOPIC.format(device, "occupancy"), json.dumps({"ts": at, "occupied": bikes}))
            for device, bikes, at in [
                ("full-rack", 4, ts),
                ("far-rack", 2, ts),
                ("near-rack", 5, ts),
                ("old-rack", 9, ts - 150_000),
                ("shut-rack", 0, ts),
                ("night-rack", 0, ts),
            ]
        ],
    )


class Tiles:
    """The test tile server, answered inside the browser; remembers what was asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.referers: set[str | None] = set()

    def __call__(self, route: Route) -> None:
        self.asked.append(route.request.url)
        self.referers.add(route.request.headers.get("referer"))
        route.fulfill(status=200, content_type="image/png", body=TILE_PNG)


def open_app(
    browser: Browser, stack: Stack, path: str = "/", *, width: int = 1280, height: int = 800, **options: Any
) -> tuple[BrowserContext, Page, Tiles, list[str]]:
    options.setdefault("locale", "fr-BE")
    context = browser.new_context(viewport={"width": width, "height": height}, **options)
    tiles = Tiles()
    context.route("http://tiles.ridebuy.test/**", tiles)
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(stack.url + path)
    return context, page, tiles, problems


def listed(page: Page) -> list[str]:
    return [str(i) for i in page.locator("#parkings li.parking").evaluate_all("els => els.map(e => e.dataset.id)")]


def test_where_to_park_now_comes_first_and_old_figures_look_old(town: Stack, browser: Browser) -> None:
    start(town)
    morning(town)
    context, page, tiles, problems = open_app(browser, town)
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(7)  # the live list (app.js) is in
    expect(page.locator('li.parking[data-id="free-far"] .count')).to_have_text("8")
    assert listed(page) == ORDER
    old = page.locator('li.parking[data-id="old-figure"]')
    expect(old).to_have_attribute("data-fresh", "old")
    expect(old.locator(".age")).to_contain_text("chiffre ancien")
    expect(old.locator(".count")).to_have_text("1")
    muted = old.locator(".badge").evaluate("e => getComputedStyle(e).backgroundColor")
    assert muted == "rgb(141, 143, 138)"  # --old-bg, not the low level's yellow
    expect(page.locator('li.parking[data-id="free-near"]')).to_have_attribute("data-fresh", "fresh")
    expect(page.locator('li.parking[data-id="full-near"] .note')).to_have_text("complet")
    expect(page.locator('li.parking[data-id="silent"]')).to_have_attribute("data-level", "unknown")
    expect(page.locator('li.parking[data-id="shut"] .note')).to_have_text("Parking fermé")
    expect(page.locator('li.parking[data-id="night"] .note')).to_have_text("Fermé à cette heure")
    # The title names the town; the map asks the configured tile server and credits it.
    assert page.title() == "Parkings vélo – Testville – Où se garer maintenant"
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© Test tiles")
    assert tiles.asked and all(re.fullmatch(r"http://tiles\.ridebuy\.test/\d+/\d+/\d+\.png", u) for u in tiles.asked)
    assert tiles.referers == {town.url + "/"}  # the tile policy asks for a Referer: the origin, nothing more
    assert problems == []
    context.close()


def test_markers_show_free_places_open_the_card_on_tap_and_cluster_when_zoomed_out(
    town: Stack, browser: Browser
) -> None:
    start(town)
    morning(town)
    context, page, _, problems = open_app(browser, town, has_touch=True)
    pin = page.locator('.pin[data-id="free-far"]')
    expect(pin).to_have_text("8")
    expect(pin).to_have_attribute("data-level", "good")
    expect(page.locator('.pin[data-id="full-near"]')).to_have_attribute("data-level", "full")
    expect(page.locator('.pin[data-id="old-figure"]')).to_have_attribute("data-fresh", "old")
    size = pin.bounding_box()
    assert size is not None and size["width"] >= 44 and size["height"] >= 44  # big enough for a finger
    pin.tap()
    card = page.locator('li.parking[data-id="free-far"]')
    expect(card).to_have_class(re.compile(r"\bopen\b"))
    expect(card.locator(".card-head")).to_have_attribute("aria-expanded", "true")
    expect(card.locator(".directions")).to_be_visible()
    expect(page.locator('.pin[data-id="free-far"]')).to_have_class(re.compile(r"\bselected\b"))
    # The selection highlight is not the focus ring's colour: a selected card does not look focused.
    highlight = card.evaluate("e => getComputedStyle(e).borderTopColor")
    focus = page.locator("#locate").evaluate("e => { e.focus(); return getComputedStyle(e).outlineColor; }")
    assert highlight != focus
    # Zoomed out, nearby markers merge into clusters that add up the free places (5 + 8 + 1 old).
    for _ in range(5):
        page.locator(".leaflet-control-zoom-out").click()
        page.wait_for_timeout(300)
    expect(page.locator(".cluster-pin")).to_have_text("14")
    assert problems == []
    context.close()


def test_filters_narrow_the_list_and_stay_in_the_url(town: Stack, browser: Browser) -> None:
    start(town)
    morning(town)
    context, page, _, problems = open_app(browser, town, "/?covered=1")
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(1)
    assert listed(page) == ["free-near"]
    expect(page.locator('#filters input[name="covered"]')).to_be_checked()
    page.locator('#filters input[name="covered"]').uncheck()
    page.locator('#filters input[name="free"]').check()
    assert page.url.endswith("/?free=1")
    assert listed(page) == ["free-near", "free-far", "old-figure"]
    # The map shows what the list shows: the others' markers go, the free places on it add up to 5 + 8 + 1.
    for hidden in ("full-near", "silent", "shut", "night"):
        expect(page.locator(f'.pin[data-id="{hidden}"]')).to_have_count(0)
    assert page.locator(".pin").evaluate_all("pins => pins.reduce((n, p) => n + (Number(p.textContent) || 0), 0)") == 14
    page.locator('#filters input[name="cargo"]').check()
    assert page.url.endswith("/?free=1&cargo=1")
    assert listed(page) == ["free-near"]
    page.reload()
    expect(page.locator('#filters input[name="cargo"]')).to_be_checked()
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(1)
    for name in ("secure", "charging"):
        page.goto(f"{town.url}/?{name}=1")
        expect(page.locator(".card-head[aria-expanded]")).to_have_count(1)
        assert listed(page) == ["free-near"], name
    page.goto(f"{town.url}/?free=1&covered=1&secure=1&cargo=1&charging=1")
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(1)
    assert problems == []
    context.close()


def test_a_parking_page_opens_its_card_with_attributes_trend_and_directions(
    town: Stack, browser: Browser, influxdb: InfluxDB, database: str
) -> None:
    _history(influxdb, database, "free-near")  # three weeks in which it was full at 8:00 on weekdays
    start(town)
    morning(town)
    context, page, _, problems = open_app(
        browser,
        town,
        "/p/free-near",
        width=412,
        height=915,
        permissions=["geolocation"],
        geolocation={"latitude": 50.003, "longitude": 5.0},
    )
    card = page.locator('li.parking[data-id="free-near"]')
    expect(card).to_have_class(re.compile(r"\bopen\b"))
    details = card.locator(".details")
    expect(details).to_be_visible()
    expect(details).to_contain_text("Horaires : 24/7 (ouvert maintenant)")
    expect(details).to_contain_text("Sécurisé : casiers")
    expect(details).to_contain_text("Places : 6 classiques · 2 cargo · 2 électriques")
    expect(details).to_contain_text("Bornes de recharge : 2")
    expect(details).to_contain_text("Prix : gratuit")
    expect(details).to_contain_text("Durée maximale : 1 j")
    expect(details).to_contain_text("Adresse : Rue du Test 1, 4280 Hannut")
    expect(details.locator(".trend")).to_have_text("Habituellement complet vers 8:00 en semaine")
    directions = details.locator(".directions")
    # Before the button, no position is asked for: directions start wherever the routing site chooses.
    expect(page.locator("#origin")).to_have_text("Distances depuis le centre-ville.")
    expect(directions).to_have_attribute(
        "href", "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike&route=%3B50.002%2C5"
    )
    expect(details.locator(".geo")).to_have_attribute("href", "geo:50.002,5?q=50.002,5(Free%20near)")
    expect(details.locator(".share")).to_have_attribute("href", "/p/free-near")
    page.locator("#locate").click()
    expect(page.locator("#origin")).to_have_text("Distances depuis votre position.")
    expect(directions).to_have_attribute(
        "href", "https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike&route=50.003%2C5%3B50.002%2C5"
    )
    expect(page.locator("path.you")).to_have_count(1)  # "you are here" on the map
    # Live updates of other parkings redraw the list without taking the focus off the open card's links.
    directions.focus()
    town.publish("far-rack", "occupancy", {"ts": now_ms(), "occupied": 7})
    expect(page.locator('li.parking[data-id="free-far"] .count')).to_have_text("3")
    expect(directions).to_be_focused()
    assert problems == []
    context.close()


def test_geolocation_says_why_it_cannot_work_on_a_plain_http_page(town: Stack, browser: Browser) -> None:
    start(town)
    context = browser.new_context(
        locale="en-GB", permissions=["geolocation"], geolocation={"latitude": 50.0, "longitude": 5.0}
    )
    page = context.new_page()
    page.goto(town.url.replace("127.0.0.1", INSECURE_HOST) + "/")
    expect(page.locator("li.parking")).to_have_count(7)
    assert page.evaluate("window.isSecureContext") is False
    expect(page.locator("#geo-note")).to_be_hidden()
    page.locator("#locate").click()
    expect(page.locator("#geo-note")).to_have_text(
        "Location only works on a secure page (https://). Distances from the town centre."
    )
    expect(page.locator("#origin")).to_have_text("Distances from the town centre.")
    context.close()


def test_offline_banner_when_the_server_stops_and_last_figures_from_the_service_worker(
    town: Stack, browser: Browser
) -> None:
    start(town, "--web-tile-url", "")  # and no tiles at all: markers and list still work
    morning(town)
    context = browser.new_context(locale="fr-BE", viewport={"width": 412, "height": 915})
    page = context.new_page()
    page.goto(town.url + "/")
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    expect(page.locator(".pin").first).to_be_visible()  # markers without tiles
    assert page.locator(".pin").evaluate_all("pins => pins.reduce((n, p) => n + (Number(p.textContent) || 0), 0)") == 14
    assert page.evaluate("navigator.serviceWorker.ready.then(() => true)") is True
    # Chromium's own verdict: installable (the one error left is the test's throw-away profile, not the app).
    cdp = context.new_cdp_session(page)
    assert cdp.send("Page.getAppManifest").get("errors") == []
    errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
    assert [e["errorId"] for e in errors] in ([], ["in-incognito"])
    page.reload()  # now under the service worker: it keeps a copy of the list
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    cached = "caches.open('ridebuy-data-v1').then((c) => c.match('/v1/parkings')).then((r) => !!r)"
    deadline = time.monotonic() + 10
    while not page.evaluate(cached) and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert page.evaluate(cached) is True
    expect(page.locator("#offline")).to_be_hidden()

    assert town.api is not None
    town.api.kill()
    stopped = time.monotonic()
    banner = page.locator("#offline")
    expect(banner).to_be_visible(timeout=15_000)
    assert time.monotonic() - stopped < 10  # a few seconds, not minutes
    expect(banner).to_contain_text("Hors ligne depuis")
    expect(page.locator("#connection")).to_have_attribute("data-state", "offline")
    expect(page.locator('li.parking[data-fresh="fresh"]')).to_have_count(0)  # every figure marked as old
    expect(page.locator('.pin[data-fresh="fresh"]')).to_have_count(0)

    page.reload()  # the server is gone: the app shell and the last list come from the service worker
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(7)
    expect(page.locator("#offline")).to_contain_text("Hors ligne : derniers chiffres connus, reçus")
    expect(page.locator('li.parking[data-id="free-far"] .count')).to_have_text("8")
    expect(page.locator('li.parking[data-id="free-far"] .age')).to_contain_text("mis à jour")
    context.close()


def test_dutch_from_the_browser_and_the_choice_is_remembered(town: Stack, browser: Browser) -> None:
    start(town)
    morning(town)
    context, page, _, problems = open_app(browser, town, locale="nl-BE")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("h1")).to_contain_text("Fietsenstallingen")
    expect(page.locator('li.parking[data-id="full-near"] .note')).to_have_text("vol")
    expect(page.locator('li.parking[data-id="night"] .note')).to_have_text("Nu gesloten")
    expect(page.get_by_role("button", name="NL", exact=True)).to_have_attribute("aria-pressed", "true")
    page.get_by_role("button", name="EN", exact=True).click()
    expect(page.locator("h1")).to_contain_text("Bike parking")
    page.reload()
    expect(page.locator("html")).to_have_attribute("lang", "en")  # remembered over the browser's Dutch
    expect(page.locator('li.parking[data-id="full-near"] .note')).to_have_text("full")
    assert problems == []
    context.close()


@pytest.mark.parametrize(("scheme", "background"), [("dark", "rgb(18, 20, 19)"), ("light", "rgb(243, 244, 242)")])
def test_dark_mode_follows_the_system(town: Stack, browser: Browser, scheme: str, background: str) -> None:
    start(town)
    context, page, _, problems = open_app(browser, town, color_scheme=scheme)
    expect(page.locator("li.parking")).to_have_count(7)
    assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == background
    filtered = page.locator(".leaflet-tile-pane").evaluate("e => getComputedStyle(e).filter")
    assert (filtered != "none") == (scheme == "dark")  # tiles dimmed in the dark
    assert problems == []
    context.close()


def _history(influxdb: InfluxDB, database: str, parking: str) -> None:
    """Three weeks of hourly availability in which the parking is full from 8:00 to 9:00 on weekdays."""
    brussels = ZoneInfo("Europe/Brussels")
    store = InfluxStore.from_url(influxdb.store_url(database))
    store.ensure_ready()
    start = datetime.now(UTC).replace(minute=30, second=0, microsecond=0) - timedelta(days=21)
    points = []
    for hour in range(21 * 24):
        moment = start + timedelta(hours=hour)
        local = moment.astimezone(brussels)
        free = 0 if local.weekday() < 5 and local.hour == 8 else 6
        availability = Availability(parking, 10, free, 10 - free, 0, ParkingStatus.OK, None)
        points.append(availability_point(availability, int(moment.timestamp()) * 1_000_000_000))
    store.write(points)
    store.close()
