"""Page weight and load time of the cyclist app on a phone over slow 3G (Chromium's own network throttling).

    python -m bench.page_load [--runs 3] [--profile slow-3g|fast-3g|none]

``ridebuy api`` runs on the Hannut sample against a private Mosquitto and InfluxDB, with every sensor of the
sample heard once. Debian's Chromium (through Playwright) opens ``/`` in a phone-sized window with a cold cache,
throttled by the DevTools protocol (``Network.emulateNetworkConditions``) to the profile DevTools calls "Slow 3G":
2,000 ms round trip, 50,000 bytes/s each way. Map tiles are not fetched (no network here; and they load after the
list anyway). Figures per run:

- ``list painted``: when the first parking card was painted (Element Timing of the server-written list);
- ``live list``: when app.js had replaced it with the live list (``/v1/parkings`` answered and rendered);
- ``load``: the window's load event (scripts and map styles in);
- page weight: bytes over the wire for the page and everything it asked for, by type.

The target: the list shows in under 3 s on slow 3G.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import dataclass

from playwright.sync_api import sync_playwright

from bench.machine import machine_lines
from bench.rig import rig
from ridebuy.devices.registry import load_registry, sample_registry_path
from tests.support.mqtt import publish_all

CHROMIUM = "/usr/bin/chromium"
DATABASE = "bench_page"
PROFILES: dict[str, dict[str, float]] = {
    # DevTools' presets (front_end/core/sdk/NetworkManager.ts): throughput in bytes/s, latency in ms.
    "slow-3g": {"latency": 2000, "downloadThroughput": 50_000, "uploadThroughput": 50_000},
    "fast-3g": {"latency": 562.5, "downloadThroughput": 180_000, "uploadThroughput": 84_375},
    "none": {"latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
}
TARGET_S = 3.0


@dataclass(frozen=True, slots=True)
class PageFigure:
    list_painted_ms: float
    live_list_ms: float
    load_ms: float
    bytes_by_type: dict[str, int]

    @property
    def total_bytes(self) -> int:
        return sum(self.bytes_by_type.values())


_OBSERVE = """
window.__firstParking = null;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    if (entry.identifier === "first-parking" && window.__firstParking === null) {
      window.__firstParking = entry.renderTime || entry.loadTime;
    }
  }
}).observe({ type: "element", buffered: true });
window.__liveList = null;
new MutationObserver(() => {
  if (window.__liveList === null && document.querySelector("#parkings .card-head[aria-expanded]")) {
    window.__liveList = performance.now();
  }
}).observe(document, { subtree: true, childList: true });
"""


def measure(url: str, profile: str) -> PageFigure:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"],
        )
        try:
            context = browser.new_context(
                viewport={"width": 412, "height": 915}, device_scale_factor=2, is_mobile=True, locale="fr-BE"
            )
            context.add_init_script(_OBSERVE)
            page = context.new_page()
            page.route("https://tile.openstreetmap.org/**", lambda route: route.abort())
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **PROFILES[profile]})
            sizes: dict[str, int] = {}
            types: dict[str, str] = {}
            cdp.on("Network.responseReceived", lambda e: types.__setitem__(e["requestId"], e["type"]))
            cdp.on(
                "Network.loadingFinished",
                lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
            )
            page.goto(url, wait_until="load", timeout=120_000)
            page.wait_for_function(
                "() => window.__firstParking !== null && window.__liveList !== null", timeout=120_000
            )
            timing = page.evaluate(
                "({first: window.__firstParking, live: window.__liveList,"
                " load: performance.getEntriesByType('navigation')[0].loadEventEnd})"
            )
            by_type: dict[str, int] = {}
            for request_id, size in sizes.items():
                kind = types.get(request_id, "Other")
                by_type[kind] = by_type.get(kind, 0) + size
            return PageFigure(timing["first"], timing["live"], timing["load"], by_type)
        finally:
            browser.close()


def run(runs: int = 3, profile: str = "slow-3g") -> list[PageFigure]:
    registry = load_registry(sample_registry_path())
    with rig() as the_rig:
        api = the_rig.api(sample_registry_path(), DATABASE)
        messages = []
        for device in registry.devices:
            if device.kind.value == "rack":
                messages.append((f"ridebuy/v1/devices/{device.id}/occupancy", json.dumps({"occupied": 1})))
            elif device.kind.value == "slot":
                messages.append((f"ridebuy/v1/devices/{device.id}/occupancy", json.dumps({"occupied": False})))
        publish_all(the_rig.mosquitto.url, messages)
        return [measure(api.url + "/", profile) for _ in range(runs)]


def lines(figures: list[PageFigure], profile: str) -> list[str]:
    def median(values: list[float]) -> str:
        return f"{statistics.median(values) / 1000:.2f} s"

    first = figures[0]
    return [
        f"profile: {profile} {PROFILES[profile]}, phone viewport 412x915, cold cache, {len(figures)} runs",
        f"list painted (server-written list): median {median([f.list_painted_ms for f in figures])}, "
        f"max {max(f.list_painted_ms for f in figures) / 1000:.2f} s (target < {TARGET_S:.0f} s)",
        f"live list (app.js + /v1/parkings): median {median([f.live_list_ms for f in figures])}",
        f"load event (scripts, map styles): median {median([f.load_ms for f in figures])}",
        f"page weight: {first.total_bytes / 1024:.1f} KiB over the wire, "
        + ", ".join(f"{k} {v / 1024:.1f} KiB" for k, v in sorted(first.bytes_by_type.items())),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="slow-3g")
    args = parser.parse_args(argv)
    figures = run(args.runs, args.profile)
    for line in machine_lines() + lines(figures, args.profile):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
