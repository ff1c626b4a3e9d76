"""The Content-Security-Policy in a real browser (Debian's headless Chromium): the cyclist page and the Swagger UI
work under it without a single violation, and an injected inline script is blocked on both."""

from __future__ import annotations

import contextlib

from playwright.sync_api import Browser, ConsoleMessage, Error, Page, expect

from tests.api.conftest import OSM_TILES, TILE_PNG, Stack


def _inline_script_runs(page: Page) -> bool:
    with contextlib.suppress(Error):  # Playwright may report the blocked script as an error
        page.add_script_tag(content="window.__inlineRan = true")
    return bool(page.evaluate("window.__inlineRan === true"))


def test_the_page_and_the_docs_work_under_the_policy(stack: Stack, browser: Browser) -> None:
    stack.start_api()
    context = browser.new_context(locale="fr-BE")
    # Map tiles from the default server, answered here (no Internet in tests): the policy must let them show.
    context.route(OSM_TILES, lambda route: route.fulfill(status=200, content_type="image/png", body=TILE_PNG))
    page = context.new_page()
    problems: list[str] = []
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type in ("error", "warning"):
            (violations if "Content Security Policy" in message.text else problems).append(message.text)

    page.on("console", on_console)
    page.goto(stack.url + "/")
    expect(page.locator("li.parking")).to_have_count(3)
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()  # tiles allowed by img-src
    expect(page.locator(".pin").first).to_be_visible()
    assert violations == [] and problems == []

    page.goto(stack.url + "/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="admin")).to_be_visible()
    assert violations == [] and problems == []

    for path in ("/", "/docs"):  # the policy bites: an injected inline script does not run
        page.goto(stack.url + path)
        assert _inline_script_runs(page) is False, path
    assert violations and all("script-src" in v for v in violations)
    context.close()
