"""The display panel page in Debian's headless Chromium, on the real stack (Mosquitto, InfluxDB, ``ridebuy ingest``
and ``ridebuy api``) with the Hannut sample registry and its two panels.

The screenshots of docs/panel.md are taken here, at the three screen sizes a town is likely to hang up.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from ridebuy.cli import main
from tests.api.conftest import TOPIC, Stack, now_ms
from tests.support.mqtt import publish_all

IMAGES = Path(__file__).resolve().parents[2] / "docs" / "images"
STILL = "rotate_s=3600&shift_s=3600&poll_s=1"
"""Query of a page that keeps its first language and position (screenshots) and polls every second."""

# A weekday morning at the centre's parkings: the bus station is nearly full, rue de Landen is full, the market
# square is only half measured (stale), the church never spoke (unknown), the town hall's LoRaWAN slots are silent.
MORNING: list[tuple[str, Any]] = [
    ("gb-rack-1", 13),
    ("gb-rack-2", 12),
    ("gb-rack-3", 10),
    ("gb-slot-01", True),
    ("gb-slot-02", False),
    ("rc-rack-1", 9),
    ("rc-slot-01", True),
    ("rc-slot-02", True),
    ("rc-slot-03", True),
    ("gp-rack-1", 6),
    ("gp-rack-2", 3),
    ("gp-slot-01", True),
    ("gp-slot-02", False),
    ("gp-slot-03", False),
    ("gp-slot-04", True),
    ("pm-rack-1", 2),
    ("hv-rack-1", 3),
    ("rt-rack-1", 5),
    ("rt-slot-01", True),
    ("rt-slot-02", False),
    ("bi-rack-1", 4),
    ("bi-slot-01", False),
    ("bi-slot-02", True),
]
# This month's cyclists at the three entrances (hourly totals), and walkers, who are not counted as visits.
PASSAGES: list[tuple[str, dict[str, Any]]] = [
    ("cn-count-1", {"direction": "in", "count": 412, "class": "bike"}),
    ("cn-count-1", {"direction": "out", "count": 380, "class": "bike"}),
    ("cs-count-1", {"direction": "in", "count": 57, "class": "ebike"}),
    ("co-count-1", {"direction": "in", "count": 23, "class": "cargo"}),
    ("co-count-1", {"direction": "in", "count": 900, "class": "pedestrian"}),
]
VISITS, TRIPS = 412 + 57 + 23, 412 + 380 + 57 + 23


def morning(stack: Stack) -> None:
    ts = now_ms() - 30_000
    occupancy = [(TOPIC.format(d, "occupancy"), json.dumps({"ts": ts, "occupied": v})) for d, v in MORNING]
    passages = [
        (TOPIC.format(d, "passage"), json.dumps({"ts": ts - 60_000, "interval_s": 3600, **p})) for d, p in PASSAGES
    ]
    publish_all(stack.mosquitto.url, occupancy + passages)


@pytest.fixture
def town(hannut_stack: Stack) -> Stack:
    hannut_stack.start_ingest()
    hannut_stack.start_api("--panel-ride-and-buy-refresh-s", "1")
    morning(hannut_stack)
    return hannut_stack


def open_panel(browser: Browser, url: str, width: int, height: int) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1, locale="fr-BE")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if _is_problem(m) else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    origin = url.split("/panel/")[0]
    # Nothing from elsewhere: every request goes to the API's own origin.
    page.on("request", lambda r: None if r.url.startswith(origin + "/") else problems.append(f"external: {r.url}"))
    page.goto(url)
    return page, problems


def expect_figures_of_the_api(page: Page, stack: Stack, panel_id: str) -> None:
    """Every row shows what GET /v1/panels/{id} says: the number, complet, or — (no number)."""
    body = stack.json(f"/v1/panels/{panel_id}")
    expect(page.locator("li.row")).to_have_count(len(body["parkings"]))
    for parking in body["parkings"]:
        row = page.locator(f'li.row[data-id="{parking["id"]}"]')
        expect(row.locator(".name")).to_have_text(parking["name"])
        free = parking["free"]
        expected = "—" if free is None else "complet" if free == 0 else str(free)
        if parking["status"] == "closed":
            expected = "fermé"
        expect(row.locator(".count")).to_have_text(expected)


@pytest.mark.parametrize(
    ("panel_id", "width", "height", "image"),
    [
        ("entree-nord", 1920, 1080, "panel-1920x1080.png"),
        ("grand-place", 1080, 1920, "panel-1080x1920.png"),
        ("entree-nord", 800, 480, "panel-800x480.png"),
    ],
)
def test_the_panel_at_each_screen_size(
    town: Stack, browser: Browser, panel_id: str, width: int, height: int, image: str
) -> None:
    page, problems = open_panel(browser, f"{town.url}/panel/{panel_id}?{STILL}", width, height)
    expect(page.locator("#panel")).to_have_attribute("data-connection", "live")
    expect(page.locator("#ride-and-buy")).to_contain_text(f"{VISITS} visites à vélo au centre", timeout=15_000)
    expect(page.locator("#ride-and-buy")).to_contain_text(f"{round(TRIPS * 0.255)} kg de CO₂ évités")
    expect_figures_of_the_api(page, town, panel_id)
    expect(page.locator("#updated")).to_contain_text("Mis à jour à ")
    expect(page.locator("#clock")).to_have_text(
        page.evaluate("""() => new Intl.DateTimeFormat("fr-BE",
        {hour: "2-digit", minute: "2-digit", timeZone: "Europe/Brussels"}).format(Date.now())""")
    )

    # Everything fits on the screen: nothing scrolls, no row is cut, every figure and the clock are in view.
    sizes = page.evaluate("""() => ({
        scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
        rowsOverflow: [...document.querySelectorAll('li.row')].some(r => r.scrollWidth > r.clientWidth + 1),
        outside: [...document.querySelectorAll('li.row .count, #clock, li.row')].filter(e => {
            const box = e.getBoundingClientRect();
            return box.left < 0 || box.top < 0 || box.right > innerWidth || box.bottom > innerHeight;
        }).length,
        countPx: Math.min(...[...document.querySelectorAll('li.row .count')].map(
            c => parseFloat(getComputedStyle(c).fontSize) * (c.closest('li').dataset.state === 'full' ? 1.8 : 1)))
    })""")
    assert (sizes["scrollW"], sizes["scrollH"]) == (width, height)
    assert not sizes["rowsOverflow"]
    assert sizes["outside"] == 0
    if (width, height) == (1920, 1080):
        # Figures in digits at least 11 % of the screen height: about 8 cm on a 55-inch screen (docs/panel.md).
        assert sizes["countPx"] >= 0.11 * height
    IMAGES.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(IMAGES / image))
    assert problems == []
    page.context.close()


def test_unknown_and_stale_parkings_show_a_dash_and_the_languages_rotate(town: Stack, browser: Browser) -> None:
    page, problems = open_panel(browser, f"{town.url}/panel/grand-place?rotate_s=1&shift_s=0.5&poll_s=1", 1080, 1920)
    body = town.json("/v1/panels/grand-place")
    statuses = {p["id"]: p["status"] for p in body["parkings"]}
    assert (statuses["eglise"], statuses["place-marche"], statuses["grand-place"]) == ("unknown", "stale", "ok")
    for parking_id in ("eglise", "place-marche"):
        row = page.locator(f'li.row[data-id="{parking_id}"]')
        expect(row.locator(".count")).to_have_text("—")
        expect(row).to_have_attribute("data-state", "unknown")
    expect(page.locator('li.row[data-id="grand-place"] .count')).to_have_text("13")
    # fr, nl, en in turn, one second each: the words change, the figures stay.
    expect(page.locator("html")).to_have_attribute("lang", "nl", timeout=5000)
    expect(page.locator('li.row[data-id="grand-place"] .unit')).to_have_text("vrije plaatsen")
    expect(page.locator("html")).to_have_attribute("lang", "en", timeout=5000)
    expect(page.locator('li.row[data-id="grand-place"] .unit')).to_have_text("free places")
    expect(page.locator('li.row[data-id="eglise"] .count')).to_have_text("—")
    # The burn-in shift moves the whole panel by a few pixels.
    moves = set()
    for _ in range(3):
        page.wait_for_timeout(600)
        moves.add(page.evaluate("document.getElementById('panel').style.transform"))
    assert len(moves) >= 2 and all(m.startswith("translate(") for m in moves)

    town.publish("gp-rack-1", "occupancy", {"ts": now_ms(), "occupied": 10})  # live, without a reload
    expect(page.locator('li.row[data-id="grand-place"] .count')).to_have_text("9")
    assert problems == []
    page.context.close()


def test_the_panel_hides_its_figures_while_the_api_is_away_and_recovers_after_a_restart(
    town: Stack, browser: Browser
) -> None:
    page, _ = open_panel(browser, f"{town.url}/panel/entree-nord?{STILL}&stale_after_s=3", 1920, 1080)
    gare = page.locator('li.row[data-id="gare-bus"] .count')
    expect(page.locator("#panel")).to_have_attribute("data-connection", "live")
    expect(gare).not_to_have_text("—")
    before = gare.text_content()

    assert town.api is not None
    town.api.stop()
    # Never an old number shown as current: once out of touch, every figure turns into a dash.
    expect(page.locator("#panel")).to_have_attribute("data-connection", "offline", timeout=10_000)
    expect(page.locator("li.row .count")).to_have_text(["—"] * 4)
    expect(page.locator("#connection")).to_have_text("Connexion perdue : chiffres masqués")
    page.wait_for_timeout(3000)  # a few failed reconnections later...

    town.start_api("--panel-ride-and-buy-refresh-s", "1")  # ...the API comes back on the same address
    expect(page.locator("#panel")).to_have_attribute("data-connection", "live", timeout=40_000)
    expect(gare).to_have_text(before or "")
    town.publish("gb-slot-02", "occupancy", {"ts": now_ms(), "occupied": True})  # and the stream is live again
    expect(gare).not_to_have_text(before or "", timeout=10_000)
    page.context.close()


def _is_problem(message: ConsoleMessage) -> bool:
    return message.type in ("error", "warning")


def test_panel_preview_shows_the_panel_scaled_into_an_ordinary_window(
    town: Stack, browser: Browser, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["panel-preview", "nowhere", "--api-url", town.url, "--no-browser"]) == 2
    assert f"the registry of the API at {town.url} has no panel 'nowhere'" in capsys.readouterr().err

    assert main(["panel-preview", "entree-nord", "--api-url", town.url, "--size", "1080x1920", "--no-browser"]) == 0
    url = capsys.readouterr().out.strip()
    assert url == f"{town.url}/panel/entree-nord?size=1080x1920"
    page, problems = open_panel(browser, url, 1280, 800)  # a laptop's window
    expect(page.locator("body")).to_have_class("preview")
    expect(page.locator("li.row")).to_have_count(4)
    box = page.locator("#stage").bounding_box()
    assert box is not None
    assert box["height"] == pytest.approx(800, abs=1)  # the portrait screen, scaled to the window's height
    assert box["width"] == pytest.approx(1080 * 800 / 1920, abs=1)
    assert problems == []
    page.context.close()
