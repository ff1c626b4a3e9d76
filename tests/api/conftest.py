"""Fixtures for the API: an in-process app on a fake store (unit tests) and the real stack (integration tests).

The real stack is a private Mosquitto and InfluxDB with the real ``ridebuy ingest`` and ``ridebuy api`` processes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from ridebuy.devices.registry import sample_registry_path
from tests.support.mqtt import publish_all
from tests.support.ports import free_port
from tests.support.processes import RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto
from tests.support.waiting import wait_until

TOPIC = "ridebuy/v1/devices/{}/{}"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class Stack:
    """Mosquitto + InfluxDB + ``ridebuy ingest`` + ``ridebuy api``, the way a town runs them."""

    def __init__(self, tmp_path: Path, mosquitto: Mosquitto, influx: InfluxDB, database: str, registry: Path) -> None:
        self.tmp_path = tmp_path
        self.mosquitto = mosquitto
        self.influx = influx
        self.database = database
        self.registry = registry
        self.api_port = free_port()
        self.url = f"http://127.0.0.1:{self.api_port}"
        self.processes: list[RidebuyProcess] = []
        self.api: RidebuyProcess | None = None
        self.http = httpx.Client(base_url=self.url, timeout=10.0)

    def _common(self) -> list[str]:
        return [
            "--mqtt-url",
            self.mosquitto.url,
            "--store-url",
            self.influx.store_url(self.database),
            "--registry",
            str(self.registry),
        ]

    def start_ingest(self) -> RidebuyProcess:
        process = RidebuyProcess(
            ["ingest", *self._common(), "--client-id", f"ingest-{self.database}", "--batch-interval-ms", "50"],
            self.tmp_path / f"ingest-{len(self.processes)}.log",
        ).start()
        self.processes.append(process)
        process.wait_for_log("subscribed to")
        return process

    def start_api(self, *extra: str, env: dict[str, str] | None = None) -> RidebuyProcess:
        process = RidebuyProcess(
            ["api", *self._common(), "--api-port", str(self.api_port), "--api-expire-interval-s", "0.5", *extra],
            self.tmp_path / f"api-{len(self.processes)}.log",
            env=env,
        ).start()
        self.processes.append(process)
        self.api = process
        wait_until(lambda: self._ready(process), timeout_s=30, what="the API to be ready")
        return process

    def _ready(self, process: RidebuyProcess) -> bool:
        if not process.running:
            raise AssertionError(f"ridebuy api exited:\n{process.log()[-3000:]}")
        try:
            return self.http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    def publish(self, device: str, kind: str, payload: dict[str, Any]) -> None:
        publish_all(self.mosquitto.url, [(TOPIC.format(device, kind), json.dumps(payload))])

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.http.get(path, params=params)

    def json(self, path: str, **params: Any) -> Any:
        response = self.get(path, **params)
        assert response.status_code == 200, response.text
        return response.json()

    def stored(self, measurement: str) -> int:
        return self.influx.count(self.database, measurement)

    def close(self) -> None:
        self.http.close()
        for process in self.processes:
            process.kill()


@pytest.fixture
def stack(
    tmp_path: Path, mosquitto: Mosquitto, influxdb: InfluxDB, database: str, registry_file: Path
) -> Iterator[Stack]:
    """The real stack on the small test registry; nothing started yet."""
    running = Stack(tmp_path, mosquitto, influxdb, database, registry_file)
    yield running
    running.close()


@pytest.fixture
def hannut_stack(tmp_path: Path, mosquitto: Mosquitto, influxdb: InfluxDB, database: str) -> Iterator[Stack]:
    """The real stack on the Hannut sample registry; nothing started yet."""
    running = Stack(tmp_path, mosquitto, influxdb, database, sample_registry_path())
    yield running
    running.close()


def time_prefix(ts_ms: int) -> str:
    """The RFC 3339 text of a time in epoch ms, to the second (how the API prints measurement times)."""
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts_ms // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")


TILE_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415408d763f8fbf71f0005fe02fe"
    "a7d6a1a40000000049454e44ae426082"
)
"""A 1x1 light-grey PNG: what browser tests answer for map tiles (no test reaches the Internet)."""
OSM_TILES = "https://tile.openstreetmap.org/**"
"""The default tile server's requests, for ``context.route`` in browser tests."""

CHROMIUM = Path("/usr/bin/chromium")
INSECURE_HOST = "ridebuy.test"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium driven by Playwright (never a downloaded browser). Module scope: Playwright's
    sync API keeps an event loop running in this thread, which other modules' tests must not inherit."""
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is not installed: run scripts/test.sh, which installs it")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=[
                "--no-sandbox",
                "--headless",
                "--disable-gpu",
                "--disable-background-networking",
                # A name for the loopback address that is not a secure context (127.0.0.1 and localhost are):
                # what a page served over plain http from a real host looks like (tests of the cyclist app).
                f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
            ],
        )
        yield chromium
        chromium.close()
