"""API security in-process: security headers and CSP, CORS allow-list, body size limit, per-client rate limit."""

from __future__ import annotations

import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import anyio
import httpx
import pytest
from fastapi.testclient import TestClient
from starlette.types import ASGIApp

from ridebuy.api.app import create_app
from ridebuy.api.security import script_hashes
from ridebuy.api.settings import ApiSettings
from ridebuy.shared.settings import SettingsError, load_settings
from tests.api.fakes import FakeStore
from tests.devices.helpers import small_registry

TOKEN = "x7-Rq2vL8mZ1rT4wY7pN3sB6dF0hJ5cG"
ADMIN = {"Authorization": f"Bearer {TOKEN}"}


def client_for(tmp_path: Path, **settings: object) -> Iterator[TestClient]:
    config = ApiSettings(
        registry=tmp_path / "unused.yaml",
        api_token=TOKEN,
        api_expire_interval_s=3600,
        **settings,  # type: ignore[arg-type]
    )
    app = create_app(config, store=FakeStore(), registry=small_registry(), listen=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    yield from client_for(tmp_path, api_rate_limit="")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for part in policy.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


# --- headers and CSP -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/v1/parkings", "/static/app.js", "/v1/nowhere", "/openapi.json"])
def test_every_answer_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    policy = directives(response.headers["Content-Security-Policy"])
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]
    # The app's page inlines its stylesheet (one request less on a slow line), allowed by its hash alone.
    inline_styles = [source for source in policy["style-src"] if source.startswith("'sha256-")]
    assert policy["style-src"] == ["'self'", *inline_styles] and len(inline_styles) == (1 if path == "/" else 0)
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]


def test_the_page_has_no_inline_script_or_style() -> None:
    html = (resources.files("ridebuy.api") / "static" / "index.html").read_text(encoding="utf-8")
    scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL | re.IGNORECASE)
    assert scripts == [
        (' src="/static/vendor/leaflet/leaflet.js" defer', ""),
        (' src="/static/vendor/leaflet.markercluster/leaflet.markercluster.js" defer', ""),
        (' src="/static/app.js" defer', ""),
    ]
    assert not re.search(r"<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:", html, re.IGNORECASE)
    script = (resources.files("ridebuy.api") / "static" / "app.js").read_text(encoding="utf-8")
    # Elements the script builds must not carry style attributes or handlers either (CSP would block them).
    assert not re.search(
        r"style\s*=|\son[a-z]+\s*=\s*[\"']|setAttribute\(\s*[\"'](style|on)|eval\(|new Function", script
    )


def test_the_served_page_keeps_only_a_json_data_block_inline(client: TestClient) -> None:
    page = client.get("/").text
    inline = re.findall(r"<script\b(?![^>]*\bsrc=)([^>]*)>", page)
    assert inline == [' id="ridebuy-config" type="application/json"']  # data, never executed


def test_the_docs_page_allows_exactly_its_own_inline_script(client: TestClient) -> None:
    response = client.get("/docs")
    assert response.status_code == 200
    policy = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    hashes = script_hashes(response.content)
    assert len(hashes) == 1
    assert directives(policy)["script-src"] == ["'self'", hashes[0]]
    assert directives(policy)["frame-ancestors"] == ["'none'"]
    assert "SwaggerUIBundle" in response.text  # the page is served whole after being held for hashing
    assert int(response.headers["content-length"]) == len(response.content)
    redirect = client.get("/docs/oauth2-redirect")
    assert directives(redirect.headers["Content-Security-Policy"])["script-src"] == [
        "'self'",
        *script_hashes(redirect.content),
    ]


# --- CORS ------------------------------------------------------------------------------------------------------


def test_cors_is_an_allow_list_without_credentials(tmp_path: Path) -> None:
    for client in client_for(
        tmp_path, api_cors_origins="https://velo.hannut.be, http://localhost:8080", api_rate_limit=""
    ):
        allowed = client.get("/v1/parkings", headers={"Origin": "https://velo.hannut.be"})
        assert allowed.headers["access-control-allow-origin"] == "https://velo.hannut.be"
        assert "access-control-allow-credentials" not in allowed.headers
        other = client.get("/v1/parkings", headers={"Origin": "https://evil.example"})
        assert other.status_code == 200 and "access-control-allow-origin" not in other.headers
        # A page of an allowed origin still cannot send the admin token: Authorization is not an allowed header.
        preflight = client.options(
            "/v1/admin/dead-letters",
            headers={
                "Origin": "https://velo.hannut.be",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "authorization",
            },
        )
        assert preflight.status_code == 400
        assert "authorization" not in preflight.headers.get("access-control-allow-headers", "").lower()
        post = client.options(
            "/v1/admin/devices",
            headers={
                "Origin": "https://velo.hannut.be",
                "Access-Control-Request-Method": "POST",
            },
        )
        assert post.status_code == 400


def test_without_origins_no_cors_header_at_all(client: TestClient) -> None:
    response = client.get("/v1/parkings", headers={"Origin": "https://velo.hannut.be"})
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "origins", ["*,https://velo.hannut.be", "https://velo.hannut.be/carte", "velo.hannut.be", "ftp://x.be"]
)
def test_cors_origins_must_be_origins(origins: str) -> None:
    with pytest.raises(SettingsError, match="RIDEBUY_API_CORS_ORIGINS"):
        load_settings(ApiSettings, api_cors_origins=origins)


# --- body size ---------------------------------------------------------------------------------------------------


def test_a_body_over_the_limit_is_refused_with_413(tmp_path: Path) -> None:
    for client in client_for(tmp_path, api_max_body_bytes=1024, api_rate_limit=""):
        big = {"id": "gare-slot-9", "kind": "slot", "parking": "gare", "pad": "x" * 2000}
        declared = client.post("/v1/admin/devices", headers=ADMIN, json=big)
        assert declared.status_code == 413
        assert declared.json() == {"detail": "the request body is larger than 1024 bytes"}
        assert declared.headers["X-Content-Type-Options"] == "nosniff"

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
            yield b'{"id": "gare-slot-9", "pad": "'
            for _ in range(10):
                yield b"x" * 200
            yield b'"}'

        streamed = client.post(
            "/v1/admin/devices", headers={**ADMIN, "Content-Type": "application/json"}, content=chunks()
        )
        assert streamed.status_code == 413
        assert streamed.json() == {"detail": "the request body is larger than 1024 bytes"}
        small = client.post("/v1/admin/devices", headers=ADMIN, json={"id": "x"})
        assert small.status_code != 413


# --- rate limit --------------------------------------------------------------------------------------------------


def test_public_endpoints_are_rate_limited_per_client(tmp_path: Path) -> None:
    for client in client_for(tmp_path, api_rate_limit="3/minute"):

        async def run(app: ASGIApp) -> list[httpx.Response]:
            answers = []
            for address in ("192.0.2.10", "192.0.2.10", "192.0.2.10", "192.0.2.10", "192.0.2.99"):
                transport = httpx.ASGITransport(app=app, client=(address, 40000))
                async with httpx.AsyncClient(transport=transport, base_url="http://ridebuy") as http:
                    answers.append(await http.get("/v1/parkings"))
            return answers

        answers = anyio.run(run, client.app)
        assert [a.status_code for a in answers] == [200, 200, 200, 429, 200]  # the last one: another address
        refused = answers[3]
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "too many requests" in refused.json()["detail"]
        assert refused.headers["Content-Security-Policy"]
        for _ in range(5):  # orchestrators and Prometheus are not limited
            assert client.get("/healthz").status_code == 200
            assert client.get("/metrics").status_code == 200
        assert "ridebuy_api_rate_limited_total 1.0" in client.get("/metrics").text


@pytest.mark.parametrize("rate", ["lots", "0/minute", "10/fortnight"])
def test_a_bad_rate_limit_names_its_setting(rate: str) -> None:
    with pytest.raises(SettingsError, match="RIDEBUY_API_RATE_LIMIT"):
        load_settings(ApiSettings, api_rate_limit=rate)
