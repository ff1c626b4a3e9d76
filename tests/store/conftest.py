"""Store fixtures: ``store`` is every backend in turn (the contract suite runs once per backend).

To add a backend, add a factory to BACKENDS; the contract suite (tests/store/contract.py) stays unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ridebuy.store.base import Store
from ridebuy.store.influx import InfluxStore
from ridebuy.store.sqlite import SqliteStore
from tests.support.servers import InfluxDB


def drop_database(server: InfluxDB, database: str) -> None:
    """Keep the session's InfluxDB small: each test's database goes when the test ends."""
    httpx.post(f"{server.url}/query", params={"q": f'DROP DATABASE "{database}"'}, timeout=30)


def _influxdb_store(request: pytest.FixtureRequest) -> Store:
    server: InfluxDB = request.getfixturevalue("influxdb")
    database: str = request.getfixturevalue("database")
    request.addfinalizer(lambda: drop_database(server, database))
    return InfluxStore.from_url(server.store_url(database))


def _sqlite_store(request: pytest.FixtureRequest) -> Store:
    tmp_path: Path = request.getfixturevalue("tmp_path")
    return SqliteStore(tmp_path / "ridebuy.db")


BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Store]] = {
    "influxdb": _influxdb_store,
    "sqlite": _sqlite_store,
}
"""Backend name -> a factory that builds an empty store for one test (it may use other fixtures)."""

_INTEGRATION = {"influxdb"}
"""Backends that need a server process."""


@pytest.fixture(
    params=[
        pytest.param(name, marks=[pytest.mark.integration] if name in _INTEGRATION else []) for name in sorted(BACKENDS)
    ]
)
def store(request: pytest.FixtureRequest) -> Iterator[Store]:
    """An empty, ready store of each backend in turn."""
    backend = BACKENDS[request.param](request)
    backend.ensure_ready()
    yield backend
    backend.close()


@pytest.fixture
def influx_store(influxdb: InfluxDB, database: str) -> Iterator[InfluxStore]:
    """An InfluxDB store on its own database, created (ensure_ready) and dropped after the test."""
    store = InfluxStore.from_url(influxdb.store_url(database))
    store.ensure_ready()
    yield store
    store.close()
    drop_database(influxdb, database)
