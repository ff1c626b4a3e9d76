"""Render the app icons (PNG, for the web app manifest) from api/static/favicon.svg with Debian's Chromium.

Run again after changing the SVG: ``.venv/bin/python scripts/render-icons.py``. The icon is drawn on a full-bleed
green square with the bike inside the central 80 % (the "maskable" safe zone), so one PNG serves both purposes.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

STATIC = Path(__file__).resolve().parents[1] / "api" / "static"
SIZES = (192, 512)


def main() -> None:
    svg = (STATIC / "favicon.svg").read_text()
    inner = svg.replace('rx="12"', 'rx="0"')
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        for size in SIZES:
            page = browser.new_page(viewport={"width": size, "height": size})
            page.set_content(
                "<style>html,body{margin:0;background:#17743a}"
                "div{width:100vw;height:100vh;display:flex;align-items:center;justify-content:center}"
                "svg{width:80%;height:80%}</style>"
                f"<div>{inner}</div>"
            )
            page.screenshot(path=str(STATIC / "icons" / f"icon-{size}.png"))
            page.close()
        browser.close()


if __name__ == "__main__":
    main()
