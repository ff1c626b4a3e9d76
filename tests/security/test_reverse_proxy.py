"""deploy/caddy/Caddyfile, the HTTPS front of the compose stack, run by Debian's Caddy in front of a real API.

The site blocks are the shipped ones; only the global options change for a test: certificates from Caddy's own
local authority instead of an ACME CA (no Internet here), unprivileged ports, no admin endpoint.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import _need
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import Processes, RidebuyProcess
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
TOWN = {
    "RIDEBUY_DOMAIN": "velo.example.org",
    "GRAFANA_DOMAIN": "grafana.velo.example.org",
    "ACME_EMAIL": "it@example.org",
}
ENV = {**TOWN, "RIDEBUY_DOMAIN": "localhost", "GRAFANA_DOMAIN": "grafana.localhost"}
HEADER_TIMEOUT_S = 10


def _caddy(processes: Processes, *args: str) -> subprocess.CompletedProcess[str]:
    """Caddy run as a town would: its domains, ACME certificates."""
    _need("caddy")
    caddy = shutil.which("caddy") or "/usr/bin/caddy"
    return processes.run([caddy, *args], env={**os.environ, **TOWN})


def test_the_caddyfile_is_valid_and_sets_header_timeouts(processes: Processes) -> None:
    adapted = _caddy(processes, "adapt", "--config", str(CADDYFILE), "--adapter", "caddyfile")
    assert adapted.returncode == 0, adapted.stderr
    assert '"read_header_timeout":10000000000' in adapted.stdout
    assert '"write_timeout"' not in adapted.stdout, "a write timeout would cut /v1/stream"
    assert '"dial":"api:8000"' in adapted.stdout and '"dial":"grafana:3000"' in adapted.stdout
    assert '"email":"it@example.org","module":"acme"' in adapted.stdout
    assert '"host":["velo.example.org"]' in adapted.stdout
    validated = _caddy(processes, "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile")
    assert validated.returncode == 0, validated.stderr


@dataclass
class Front:
    https_port: int
    http_port: int
    root_ca: Path
    api: RidebuyProcess


@pytest.fixture
def front(processes: Processes, tmp_path: Path, mosquitto: Mosquitto, registry_file: Path) -> Front:
    _need("caddy")
    api_port, http_port, https_port = free_port(), free_port(), free_port()
    store = f"sqlite:///{tmp_path}/api.db"
    args = ["--mqtt-url", mosquitto.url, "--store-url", store, "--registry", str(registry_file)]
    api = processes.start_ridebuy(["api", *args, "--api-port", str(api_port)])
    text = CADDYFILE.read_text()
    test_options = (
        f"{{\n\tlocal_certs\n\tskip_install_trust\n\tadmin off\n\thttp_port {http_port}\n\thttps_port {https_port}\n"
    )
    assert text.count("\n{\n") == 1
    config = tmp_path / "Caddyfile"
    config.write_text(text.replace("\n{\n", "\n" + test_options, 1))
    home = tmp_path / "caddy-home"
    env = {
        **os.environ,
        **ENV,
        "RIDEBUY_API_UPSTREAM": f"127.0.0.1:{api_port}",
        "GRAFANA_UPSTREAM": f"127.0.0.1:{free_port()}",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    with (tmp_path / "caddy.log").open("ab") as log:
        processes.popen(
            [shutil.which("caddy") or "/usr/bin/caddy", "run", "--config", str(config), "--adapter", "caddyfile"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
        )
    wait_for_port(https_port)
    root_ca = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    wait_until(root_ca.exists, timeout_s=30, what="Caddy's local certificate authority")

    def ready() -> bool:  # the site's certificate is issued and the API behind answers
        try:
            with httpx.Client(verify=ssl.create_default_context(cafile=root_ca), timeout=10) as client:
                return client.get(f"https://localhost:{https_port}/readyz").status_code == 200
        except (httpx.TransportError, ssl.SSLError):
            return False

    wait_until(ready, timeout_s=30, what="the API behind Caddy over HTTPS")
    return Front(https_port, http_port, root_ca, api)


def test_caddy_serves_the_api_over_https_with_its_event_stream(front: Front) -> None:
    base = f"https://localhost:{front.https_port}"
    with httpx.Client(verify=ssl.create_default_context(cafile=front.root_ca), timeout=10) as client:
        assert client.get(f"{base}/v1/parkings").json()["parkings"]
        with client.stream("GET", f"{base}/v1/stream") as stream:
            assert stream.headers["content-type"].startswith("text/event-stream")
            lines = stream.iter_lines()
            assert next(lines) == "event: snapshot", "the first event comes through at once, not buffered"
    redirect = httpx.get(f"http://localhost:{front.http_port}/v1/parkings", timeout=10)
    assert redirect.status_code == 308 and redirect.headers["location"].startswith("https://localhost")


def test_caddy_closes_a_connection_that_does_not_finish_its_headers(front: Front) -> None:
    context = ssl.create_default_context(cafile=str(front.root_ca))
    raw = socket.create_connection(("127.0.0.1", front.https_port), timeout=HEADER_TIMEOUT_S + 10)
    slow = context.wrap_socket(raw, server_hostname="localhost")
    slow.sendall(b"GET /v1/parkings HTTP/1.1\r\nHost: localhost\r\n")
    started = time.monotonic()
    try:
        answer = slow.recv(4096)
    except (ConnectionResetError, ssl.SSLError):
        answer = b""
    waited_s = time.monotonic() - started
    slow.close()
    assert not answer.startswith(b"HTTP/1.1 200"), answer[:200]
    assert HEADER_TIMEOUT_S - 1 <= waited_s <= HEADER_TIMEOUT_S + 5, f"closed after {waited_s:.1f} s"
