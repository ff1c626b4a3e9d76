"""The benchmarks start their own Mosquitto, InfluxDB and ``ridebuy`` processes (bench/rig.py)."""

import pytest


@pytest.fixture
def bench_rig() -> None:
    """Taken by a test that runs a benchmark: it starts servers and processes of its own, so it is an integration
    test (tests/conftest.py INTEGRATION_FIXTURES)."""
