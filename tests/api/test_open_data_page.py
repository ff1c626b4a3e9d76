"""The open-data page in Debian's headless Chromium on the real stack (Hannut sample), and the live JSON-LD read
by a page of another origin (CORS), as a map or a route planner would."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Browser, expect

from tests.api.conftest import Stack, now_ms


class _MapPage(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>a map of another site</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def other_site() -> Iterator[str]:
    """A blank page served from another origin (another loopback port) for the length of the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _MapPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "open-data.png"


def test_open_data_page_lists_the_feeds_and_other_origins_read_live_documents(
    hannut_stack: Stack, browser: Browser
) -> None:
    stack = hannut_stack
    stack.start_ingest()
    stack.start_api("--open-data-publisher", "Commune de Hannut", "--open-data-publisher-url", "https://www.hannut.be")
    stack.publish("gp-rack-1", "occupancy", {"ts": now_ms(), "occupied": 4})

    context = browser.new_context(viewport={"width": 900, "height": 1100})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
    page.goto(stack.url + "/open-data/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes : parkings vélos et comptages")
    expect(page.locator("section")).to_have_count(6)
    expect(page.get_by_role("link", name="datex2/parking-status.xml")).to_be_visible()
    expect(page.locator("section#velopark li")).to_have_count(12)  # one document per Hannut parking
    embedded = page.locator('script[type="application/ld+json"]').text_content()
    assert embedded is not None and '"dcat:Catalog"' in embedded
    assert problems == []  # no CSP violation, nothing missing
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    page.get_by_role("link", name="datex2/parking-light.json").click()
    expect(page.locator("body")).to_contain_text('"parkingPublicationLight"')
    page.go_back()
    with page.expect_download() as download:  # the measures link asks for the last seven days
        page.locator('a[href*="/counters/measures.csv?from="]').click()
    assert download.value.suggested_filename.startswith("measures-")

    # A page of another origin (another port of the loopback: a routed or public page would meet Chromium's
    # local-network rules before CORS) fetches the live document, with its validators readable.
    with other_site() as other_origin:
        page.goto(f"{other_origin}/map.html")
        seen = page.evaluate(
            """async (url) => {
                const r = await fetch(url);
                const body = await r.json();
                return {status: r.status, etag: r.headers.get('ETag'), modified: r.headers.get('Last-Modified'),
                        free: body.freePlaces};
            }""",
            f"{stack.url}/open-data/velopark/grand-place/live.jsonld",
        )
    api_free = stack.json("/v1/parkings/grand-place")["free"]
    assert seen["status"] == 200 and seen["etag"] and seen["modified"]
    assert seen["free"] == api_free
    context.close()
