"""The cyclist page in Debian's headless Chromium, on the real stack with the Hannut sample registry.

Never downloads a browser: Playwright drives /usr/bin/chromium through ``executable_path``.
"""

from __future__ import annotations

import json
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Geolocation, expect

from tests.api.conftest import OSM_TILES, TOPIC, Stack, now_ms
from tests.support.mqtt import publish_all

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "web-page.png"
DESKTOP_SCREENSHOT = SCREENSHOT.with_name("web-page-desktop.png")
GARE_BUS = Geolocation(latitude=50.6741, longitude=5.0812)

# A morning in Hannut: (device, bikes). Grand-Place has room, the bus station is nearly full, the Athénée and
# rue de Tirlemont are full, the market square is half known; the church and the sports hall never spoke, so
# they must show as unknown.
MORNING = [
    ("gp-rack-1", 6),
    ("gp-rack-2", 3),
    ("gp-slot-01", True),
    ("gp-slot-02", False),
    ("gp-slot-03", False),
    ("gp-slot-04", True),
    ("gb-rack-1", 15),
    ("gb-rack-2", 14),
    ("gb-rack-3", 8),
    ("gb-slot-01", True),
    ("gb-slot-02", True),
    ("at-rack-1", 20),
    ("at-rack-2", 20),
    ("at-rack-3", 20),
    ("co-rack-1", 5),
    ("co-rack-2", 7),
    ("pm-rack-1", 2),
    ("rc-rack-1", 7),
    ("rc-slot-01", True),
    ("rc-slot-02", False),
    ("rc-slot-03", True),
    ("rt-rack-1", 8),
    ("rt-slot-01", True),
    ("rt-slot-02", True),
    ("bi-rack-1", 4),
    ("bi-slot-01", False),
    ("bi-slot-02", False),
    ("hv-rack-1", 9),
    ("cc-rack-1", 2),
    ("cc-rack-2", 3),
]


def test_the_page_shows_live_availability_and_updates_without_reload(hannut_stack: Stack, browser: Browser) -> None:
    stack = hannut_stack
    stack.start_ingest()
    stack.start_api()
    ts = now_ms() - 90_000  # a minute and a half ago: the page says how old each figure is
    publish_all(
        stack.mosquitto.url,
        [(TOPIC.format(device, "occupancy"), json.dumps({"ts": ts, "occupied": bikes})) for device, bikes in MORNING],
    )
    context = browser.new_context(
        viewport={"width": 412, "height": 915},
        device_scale_factor=1,
        locale="fr-BE",
        geolocation=GARE_BUS,
        permissions=["geolocation"],
    )
    context.route(OSM_TILES, lambda route: route.abort())  # no Internet here
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if _is_problem(m) else None)
    page.on("requestfailed", lambda r: None if _is_tile(r.url) else problems.append(f"request failed: {r.url}"))
    page.goto(stack.url + "/")

    cards = page.locator("li.parking")
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(12)  # the live list
    expect(page.locator("#origin")).to_have_text("Distances depuis le centre-ville.")  # nothing asked yet
    page.locator("#locate").click()
    expect(page.locator("#origin")).to_have_text("Distances depuis votre position.")
    expect(cards.first).to_have_attribute("data-id", "gare-bus")  # open, free places, and nearest
    grand_place = page.locator('li.parking[data-id="grand-place"]')
    expect(grand_place.locator(".count")).to_have_text("13")
    expect(grand_place).to_have_attribute("data-level", "good")
    expect(grand_place.locator(".age")).to_have_text("mis à jour il y a 2 min")
    expect(page.locator('li.parking[data-id="gare-bus"]')).to_have_attribute("data-level", "low")
    expect(page.locator('li.parking[data-id="rue-tirlemont"] .note')).to_have_text("complet")
    silent = page.locator('li.parking[data-id="eglise"]')
    expect(silent).to_have_attribute("data-level", "unknown")
    expect(silent.locator(".count")).to_have_text("?")
    expect(silent.locator(".note")).to_have_text("Places libres inconnues : capteurs muets")
    expect(page.locator('li.parking[data-id="place-marche"] .note')).to_have_text(
        "6 places libres · 8 places sans mesure"
    )
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")

    page.evaluate("window.__notReloaded = true")
    stack.publish("gp-rack-1", "occupancy", {"ts": now_ms(), "occupied": 9})
    expect(grand_place.locator(".count")).to_have_text("10")
    expect(grand_place.locator(".age")).to_have_text("mis à jour à l’instant")
    expect(page.locator("#announcer")).to_have_text("Grand-Place : 10 places libres")
    assert page.evaluate("window.__notReloaded") is True

    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_timeout(1600)  # the change highlight has faded
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))  # what a phone shows first

    assert problems == []
    page.reload()  # (which ends the event stream: a failed request that is no problem)
    expect(page.locator(".card-head[aria-expanded]")).to_have_count(12)
    problems.clear()
    page.keyboard.press("Tab")  # the skip link comes first for keyboard users
    expect(page.locator(".skip")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="FR", exact=True)).to_be_focused()
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # the language switch works from the keyboard
    expect(page.locator("h1")).to_contain_text("Bike parking")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="EN", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(silent.locator(".note")).to_have_text("Free places unknown: sensors silent")
    assert problems == []
    context.close()

    # The desktop: the map beside the list, the Grand-Place's card opened from its marker.
    desktop = browser.new_context(viewport={"width": 1366, "height": 820}, locale="fr-BE")
    desktop.route(OSM_TILES, lambda route: route.abort())
    wide = desktop.new_page()
    wide.goto(stack.url + "/p/grand-place")
    expect(wide.locator('li.parking[data-id="grand-place"] .details')).to_be_visible()
    expect(wide.locator('.pin[data-id="grand-place"]')).to_have_text("10")
    wide.evaluate("window.scrollTo(0, 0)")
    wide.wait_for_timeout(500)
    wide.screenshot(path=str(DESKTOP_SCREENSHOT))
    desktop.close()


def test_without_a_position_distances_start_from_the_town_centre(hannut_stack: Stack, browser: Browser) -> None:
    stack = hannut_stack
    stack.start_api()
    context = browser.new_context(locale="fr-BE")  # geolocation not granted: the browser refuses
    context.route(OSM_TILES, lambda route: route.abort())
    page = context.new_page()
    page.goto(stack.url + "/")
    expect(page.locator("li.parking")).to_have_count(12)
    page.locator("#locate").click()
    expect(page.locator("#origin")).to_have_text("Position non disponible : distances depuis le centre-ville.")
    # Nothing spoke yet: no parking is shown as free (unknown, or closed by its opening hours).
    expect(page.locator('li.parking[data-level="good"], li.parking[data-level="low"]')).to_have_count(0)
    expect(page.locator('li.parking[data-id="grand-place"]')).to_have_attribute("data-level", "unknown")
    context.close()


def _is_tile(url: str) -> bool:
    return url.startswith("https://tile.openstreetmap.org/")


def _is_problem(message: ConsoleMessage) -> bool:
    # Tiles cannot load here (no Internet): the page must work without them, and says nothing else.
    if message.type == "error" and "Failed to load resource" in message.text:
        return not any(_is_tile(location.get("url", "")) for location in [message.location])
    return message.type in ("error", "warning")
