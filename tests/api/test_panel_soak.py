"""SOAK TEST (minutes, not seconds): the panel page runs for days without growing.

Chromium shows a panel while its parkings change many times a second (an accelerated day: 20 occupancy messages
a second through the real Mosquitto and ``ridebuy api``; the language rotates every half second, the burn-in
shift moves every half second, the page polls its panel every second). Every 30 s the test forces a garbage
collection through the DevTools protocol (HeapProfiler.collectGarbage) and reads Performance.getMetrics: the
JS heap in use and the DOM node count must not grow between the start and the end of the run.

Marked ``soak`` (and, from its fixtures, integration and browser): it runs in CI with the rest of the suite, for
RIDEBUY_SOAK_S seconds (600 unless set; shorter only for a quick local try: ``RIDEBUY_SOAK_S=120 pytest -m soak -s``).
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, CDPSession

from tests.api.conftest import TOPIC, Stack, now_ms
from tests.api.panel_stack import write_panel_registry
from tests.support.mqtt import Publisher
from tests.support.servers import InfluxDB, Mosquitto

SOAK_S = float(os.environ.get("RIDEBUY_SOAK_S", "600"))
WARM_UP_S = 60.0
SAMPLE_EVERY_S = 30.0
RATE_PER_S = 20.0
HEAP_SLACK_BYTES = 256 * 1024
"""Allowed difference of the heap after GC between start and end: noise of V8's allocator, not a leak (a leak of
100 bytes per change would add over 1 MB in ten minutes)."""
NODE_SLACK = 10
"""Allowed difference of the DOM node count between start and end: what is shown moves it by a node or two (seen:
105 and 106 nodes for the same rows at two samples of one run), while a leak of one node per change would add
12,000 in ten minutes."""

pytestmark = [pytest.mark.soak, pytest.mark.timeout(SOAK_S + 600)]


@pytest.fixture
def panel_stack(tmp_path: Path, mosquitto: Mosquitto, influxdb: InfluxDB, database: str) -> Iterator[Stack]:
    running = Stack(tmp_path, mosquitto, influxdb, database, write_panel_registry(tmp_path / "registry.yaml"))
    running.start_api()
    yield running
    running.close()


def changes(stop: threading.Event) -> Iterator[tuple[str, str]]:
    """Occupancy messages that change a figure of the panel each time, until ``stop`` is set."""
    for i in itertools.count():
        if stop.is_set():
            return
        device, occupied = [
            ("gare-rack", i % 5),
            ("gp-rack-1", (i * 7) % 11),
            ("gp-slot-01", i % 3 == 0),
            ("gp-slot-02", i % 4 == 0),
        ][i % 4]
        yield TOPIC.format(device, "occupancy"), json.dumps({"ts": now_ms(), "occupied": occupied})


def metrics(cdp: CDPSession) -> dict[str, float]:
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("HeapProfiler.collectGarbage")  # a second pass frees what the first one's finalizers released
    return {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}


def test_soak_the_panel_page_keeps_its_heap_and_dom_flat(panel_stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="fr-BE")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{panel_stack.url}/panel/entree?rotate_s=0.5&shift_s=0.5&poll_s=1")
    page.wait_for_selector("li.row")
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    cdp.send("HeapProfiler.enable")

    stop = threading.Event()
    publisher = Publisher(panel_stack.mosquitto.url)
    sent: list[int] = []
    feeder = threading.Thread(target=lambda: sent.append(publisher.publish(changes(stop), RATE_PER_S)), daemon=True)
    started = time.monotonic()
    feeder.start()
    samples: list[tuple[float, dict[str, float], str]] = []
    try:
        time.sleep(WARM_UP_S)
        while True:
            shown = (
                " ".join(page.locator("li.row .count").all_text_contents())
                + " "
                + page.evaluate("document.documentElement.lang")
            )
            samples.append((time.monotonic() - started, metrics(cdp), shown))
            if time.monotonic() - started >= SOAK_S:
                break
            time.sleep(SAMPLE_EVERY_S)
    finally:
        stop.set()
        feeder.join(30)
        publisher.close()

    print(f"\npanel soak: {sent[0] if sent else '?'} messages over {SOAK_S:.0f} s at {RATE_PER_S:.0f}/s")
    print(" t (s)  JS heap used (KiB)  DOM nodes  listeners  shown")
    for at, m, shown in samples:
        heap_kib, nodes, listeners = m["JSHeapUsedSize"] / 1024, m["Nodes"], m["JSEventListeners"]
        print(f"{at:6.0f}  {heap_kib:18.1f}  {nodes:9.0f}  {listeners:9.0f}  {shown}")
    assert errors == []
    assert len(samples) >= 3
    assert len({shown for _, _, shown in samples}) > 1, "the page did not follow the changes"
    first, last = samples[:3], samples[-3:]
    heap_start = statistics.median(m["JSHeapUsedSize"] for _, m, _ in first)
    heap_end = statistics.median(m["JSHeapUsedSize"] for _, m, _ in last)
    assert heap_end <= heap_start + HEAP_SLACK_BYTES, f"JS heap grew from {heap_start:.0f} to {heap_end:.0f} bytes"
    nodes_start = min(m["Nodes"] for _, m, _ in first)
    assert max(m["Nodes"] for _, m, _ in last) <= nodes_start + NODE_SLACK, "DOM nodes grew"
    listeners_start = min(m["JSEventListeners"] for _, m, _ in first)
    assert max(m["JSEventListeners"] for _, m, _ in last) <= listeners_start, "event listeners grew"
    context.close()
