"""Slow and greedy clients against a real ``ridebuy api`` whose open-file limit is low, on raw loopback sockets.

Before: 400 connections that never finished their headers were all still open after 40 s, and 1,100 of them with
1,024 open files made ordinary requests fail with "connection reset". The slow client connects from 127.0.0.1,
ordinary clients from 127.0.0.2 (another address of the loopback network on Linux).
"""

from __future__ import annotations

import resource
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.ports import free_port
from tests.support.processes import RIDEBUY, RidebuyProcess
from tests.support.servers import Mosquitto
from tests.support.sockets import closed_by_server, held_connection
from tests.support.waiting import wait_until

OPEN_FILES = 256
SLOW_CONNECTIONS = 400
HEADER_TIMEOUT_S = 2.0
PER_CLIENT = 50
ORDINARY = "127.0.0.2"


class LimitedApi(RidebuyProcess):
    """``ridebuy api`` with RLIMIT_NOFILE lowered (soft and hard) before it starts."""

    def start(self) -> LimitedApi:
        def lower_limit() -> None:
            resource.setrlimit(resource.RLIMIT_NOFILE, (OPEN_FILES, OPEN_FILES))

        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [RIDEBUY, *self.args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            stdin=subprocess.DEVNULL,
            preexec_fn=lower_limit,
        )
        log.close()
        return self


@pytest.fixture
def api(tmp_path: Path, mosquitto: Mosquitto, registry_file: Path) -> Iterator[tuple[LimitedApi, int]]:
    port = free_port()
    process = LimitedApi(
        [
            "api",
            "--mqtt-url",
            mosquitto.url,
            "--store-url",
            f"sqlite:///{tmp_path}/api.db",
            "--registry",
            str(registry_file),
            "--api-port",
            str(port),
        ],
        tmp_path / "api.log",
        env={
            # Settings the old code did not know (it ignores them): the test then shows the old behaviour.
            "RIDEBUY_API_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT_S),
            "RIDEBUY_API_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
            "RIDEBUY_API_TRUSTED_PROXIES": "192.0.2.1",
            "RIDEBUY_API_RATE_LIMIT": "",
        },
    ).start()
    try:
        wait_until(lambda: _get(port, "/readyz") == 200, timeout_s=30, what="the API to be ready")
        yield process, port
    finally:
        process.kill()


def _get(port: int, path: str) -> int:
    try:
        transport = httpx.HTTPTransport(local_address=ORDINARY)
        with httpx.Client(transport=transport, timeout=5) as client:
            return client.get(f"http://127.0.0.1:{port}{path}").status_code
    except httpx.TransportError:
        return 0


def test_slow_clients_neither_stay_nor_starve_others(api: tuple[LimitedApi, int]) -> None:
    process, port = api
    slow = [
        c
        for c in (held_connection(port, "/v1/parkings", "X-Slow: 1\r\n") for _ in range(SLOW_CONNECTIONS))
        if c is not None
    ]
    opened = time.monotonic()
    try:
        statuses = [_get(port, path) for path in ("/healthz", "/v1/parkings", "/v1/counters") * 10]
        assert statuses == [200] * len(statuses), (
            f"ordinary requests failed while slow clients were connected: {statuses}"
        )
        wait_until(
            lambda: all(closed_by_server(c) for c in slow),
            timeout_s=HEADER_TIMEOUT_S + 5,
            what="the server to close every connection without complete headers",
        )
        closed_after_s = time.monotonic() - opened
        assert closed_after_s < HEADER_TIMEOUT_S + 5
        assert _get(port, "/healthz") == 200
    finally:
        for connection in slow:
            connection.close()
    log = process.log()
    assert "Too many open files" not in log and "Traceback" not in log, log[-3000:]
    assert f"{PER_CLIENT} connections open from 127.0.0.1" in log  # the refusal is said, once


def test_trusted_proxies_are_exempt_from_the_per_client_cap() -> None:
    from ridebuy.api.connection_guard import ConnectionLimits

    limits = ConnectionLimits(10.0, 100, 10, exempt=("127.0.0.1", "172.16.0.0/12", "not-an-address"))
    assert limits.is_exempt("127.0.0.1") and limits.is_exempt("172.18.0.5")
    assert not limits.is_exempt("192.0.2.7") and not limits.is_exempt("unix-socket")
    assert ConnectionLimits(10.0, 100, 10, exempt=("*",)).is_exempt("203.0.113.9")
