"""``ridebuy api`` serving HTTPS itself (RIDEBUY_API_SSL_CERTFILE/KEYFILE), as docs/security-api.md says it can."""

from __future__ import annotations

import ssl
from pathlib import Path

import httpx

from tests.support.certificates import self_signed_certificate
from tests.support.ports import free_port
from tests.support.processes import Processes, RidebuyProcess
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until


def _api(processes: Processes, mosquitto: Mosquitto, registry: Path, port: int, env: dict[str, str]) -> RidebuyProcess:
    store = f"sqlite:///{registry.parent}/api.db"
    args = ["api", "--mqtt-url", mosquitto.url, "--store-url", store, "--registry", str(registry)]
    return processes.start_ridebuy([*args, "--api-port", str(port)], env=env)


def test_the_api_serves_https_with_a_certificate_and_key(
    processes: Processes, tmp_path: Path, mosquitto: Mosquitto, registry_file: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path, processes)
    port = free_port()
    api = _api(
        processes,
        mosquitto,
        registry_file,
        port,
        {"RIDEBUY_API_SSL_CERTFILE": str(cert), "RIDEBUY_API_SSL_KEYFILE": str(key)},
    )
    with httpx.Client(verify=ssl.create_default_context(cafile=cert), timeout=5) as client:

        def healthy() -> bool:
            try:
                return client.get(f"https://127.0.0.1:{port}/healthz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, timeout_s=30, what="the API over HTTPS")
        assert client.get(f"https://127.0.0.1:{port}/v1/parkings").json()["parkings"]
    try:
        plain = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code
    except httpx.TransportError:
        plain = 0
    assert plain != 200, "plain HTTP must not be served on the HTTPS port"
    api.wait_for_log(f"serving on https://127.0.0.1:{port}")


def test_a_missing_key_is_a_sentence_not_a_traceback(
    processes: Processes, tmp_path: Path, mosquitto: Mosquitto, registry_file: Path
) -> None:
    cert, _ = self_signed_certificate(tmp_path, processes)
    env = {"RIDEBUY_API_SSL_CERTFILE": str(cert), "RIDEBUY_API_SSL_KEYFILE": str(tmp_path / "missing.pem")}
    api = _api(processes, mosquitto, registry_file, free_port(), env)
    assert api.process is not None
    assert api.process.wait(30) == 2
    assert "RIDEBUY_API_SSL_KEYFILE" in api.log() and "Traceback" not in api.log()
    only_cert = _api(processes, mosquitto, registry_file, free_port(), {"RIDEBUY_API_SSL_CERTFILE": str(cert)})
    assert only_cert.process is not None
    assert only_cert.process.wait(30) == 2
    assert "go together" in only_cert.log()
