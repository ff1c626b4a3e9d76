"""``ridebuy demo`` serves its API as ``ridebuy api`` does: over HTTPS with the API's certificate and key, and with
its connection caps (the settings of ``ridebuy api`` that shape the server, which the demo once left out)."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from tests.demo.test_demo_process import LIVE
from tests.support.certificates import self_signed_certificate
from tests.support.ports import free_port
from tests.support.processes import Processes, RidebuyProcess
from tests.support.sockets import closed_by_server, held_connection
from tests.support.waiting import wait_until

PER_CLIENT = 4


def _demo(processes: Processes, tmp_path: Path, port: int, env: dict[str, str]) -> RidebuyProcess:
    return processes.start_ridebuy(
        ["demo", "--port", str(port), "--mqtt-port", str(free_port()), "--speed", "1", "--seed", "7", "--no-backfill"],
        env={"RIDEBUY_DEMO_DATA_DIR": str(tmp_path / "data"), **env},
    )


def test_the_demo_serves_https_with_the_apis_certificate(processes: Processes, tmp_path: Path) -> None:
    cert, key = self_signed_certificate(tmp_path, processes)
    port = free_port()
    demo = _demo(
        processes, tmp_path, port, {"RIDEBUY_API_SSL_CERTFILE": str(cert), "RIDEBUY_API_SSL_KEYFILE": str(key)}
    )
    # The demo's own status line reads the API over HTTPS: its "live" line comes only through it.
    demo.wait_for_log(LIVE, timeout_s=60)
    assert f"https://127.0.0.1:{port}/" in demo.log()  # the banner gives the address as it is
    with httpx.Client(verify=ssl.create_default_context(cafile=cert), timeout=5) as client:
        assert client.get(f"https://127.0.0.1:{port}/v1/parkings").json()["parkings"]
    try:
        plain = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
    except httpx.TransportError:
        plain = 0
    assert plain != 200, "plain HTTP must not be served on the HTTPS port"
    assert demo.stop() == 0


def test_a_bad_key_stops_the_demo_with_a_sentence(processes: Processes, tmp_path: Path) -> None:
    cert, _ = self_signed_certificate(tmp_path, processes)
    env = {"RIDEBUY_API_SSL_CERTFILE": str(cert), "RIDEBUY_API_SSL_KEYFILE": str(tmp_path / "missing.pem")}
    demo = _demo(processes, tmp_path, free_port(), env)
    assert demo.process is not None
    assert demo.process.wait(60) == 2
    assert "RIDEBUY_API_SSL_KEYFILE" in demo.log() and "Traceback" not in demo.log()


def _healthz_from(address: str, port: int) -> int:
    try:
        with httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=5) as client:
            return client.get(f"http://127.0.0.1:{port}/healthz").status_code
    except httpx.TransportError:
        return 0


def test_the_demo_caps_the_connections_of_one_client(processes: Processes, tmp_path: Path) -> None:
    port = free_port()
    env = {
        "RIDEBUY_API_MAX_CONNECTIONS_PER_CLIENT": str(PER_CLIENT),
        "RIDEBUY_API_HEADER_TIMEOUT_S": "120",  # the held connections stay for the whole test, even on a slow machine
        "RIDEBUY_API_TRUSTED_PROXIES": "192.0.2.1",  # 127.0.0.1 is then an ordinary client
        "RIDEBUY_API_RATE_LIMIT": "",
    }
    demo = _demo(processes, tmp_path, port, env)
    wait_until(lambda: _healthz_from("127.0.0.2", port) == 200, timeout_s=60, what="the demo's API")
    held = [c for c in (held_connection(port) for _ in range(PER_CLIENT + 2)) if c is not None]
    try:
        # The demo's status line holds one connection from 127.0.0.1 too: at most PER_CLIENT stay open in all.
        closed = [c for c in held if closed_by_server(c, wait_s=5)]
        assert len(held) - len(closed) <= PER_CLIENT and len(closed) >= 2
        demo.wait_for_log(f"{PER_CLIENT} connections open from 127.0.0.1", timeout_s=30)
        assert _healthz_from("127.0.0.2", port) == 200  # another client is served meanwhile
    finally:
        for connection in held:
            connection.close()
    assert demo.stop() == 0
