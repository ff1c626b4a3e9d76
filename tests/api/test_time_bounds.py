"""Out-of-range times in ``from``/``to`` are a 422 naming the parameter, on each real store backend.

Years 1 and 9999 overflowed Python's datetime (500); 1600 and 2300 fit a datetime but not the stores' signed
64-bit nanoseconds, so InfluxDB refused the query (502).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.settings import ApiSettings
from ridebuy.store.base import Store
from tests.devices.helpers import small_registry
from tests.store.conftest import BACKENDS

ENDPOINTS = ["/v1/parkings/grand-place/history", "/v1/counters/centre-north/counts"]
OUT_OF_RANGE = [
    "0001-01-01T00:00:00Z",
    "1600-01-01T00:00:00Z",
    "2300-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+01:00",
    "9999-12-31T23:59:59-01:00",
]


@pytest.fixture(params=[pytest.param("influxdb", marks=pytest.mark.integration), "sqlite"])
def client(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    store: Store = BACKENDS[request.param](request)
    store.ensure_ready()
    settings = ApiSettings(registry=tmp_path / "unused.yaml", api_expire_interval_s=3600)
    app = create_app(settings, store=store, registry=small_registry(), listen=False)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
    store.close()


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_out_of_range_times_are_422_naming_the_parameter(client: TestClient, path: str, moment: str) -> None:
    for parameter, params in (("from", {"from": moment, "to": "2026-05-04T00:00:00Z"}), ("to", {"to": moment})):
        response = client.get(path, params={**params, "every": "1d"})
        assert response.status_code == 422, (params, response.text)
        body = response.json()
        assert body["errors"][0]["parameter"] == parameter
        assert "between 1970-01-01T00:00:00Z and 2262-01-01T00:00:00Z" in body["detail"]


@pytest.mark.parametrize("path", ENDPOINTS)
def test_the_edges_of_the_range_are_answered(client: TestClient, path: str) -> None:
    early = client.get(path, params={"to": "1970-01-02T00:00:00Z"})  # default 'from' stops at 1970
    assert early.status_code == 200, early.text
    assert early.json()["from"].startswith("1970-01-01T00:00:00")
    late = client.get(path, params={"from": "2261-12-31T00:00:00Z", "to": "2262-01-01T00:00:00Z"})
    assert late.status_code == 200, late.text
