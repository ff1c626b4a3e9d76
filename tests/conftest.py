"""Fixtures shared by the whole suite: private Mosquitto and InfluxDB servers, processes, unique names per test.

A test is an integration test when it uses a fixture of :data:`INTEGRATION_FIXTURES` (directly or through another
fixture): it is marked ``integration`` automatically, so ``scripts/test.sh -m "not integration"`` is the fast loop.
A test without the mark that starts a process fails and says which fixture to take instead.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ridebuy.shared.mqtt5_session import Mqtt5Session
from tests.devices.helpers import SMALL
from tests.support.processes import Processes, RidebuyProcess
from tests.support.registries import write_registry
from tests.support.servers import InfluxDB, Mosquitto

INTEGRATION_FIXTURES = frozenset(
    {
        # real servers of their own
        "mosquitto",
        "influxdb",
        "private_influxdb",
        "embedded_broker",
        # processes: ridebuy commands, Mosquitto's tools, children of a test
        "processes",
        "start_ingest",
        "stack",
        "hannut_stack",
        "secured",
        "bench_rig",
        # Debian's Chromium
        "browser",
    }
)
"""Fixtures that start servers, processes or a browser; the tests that use them are integration tests."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if INTEGRATION_FIXTURES & fixtures:
            item.add_marker(pytest.mark.integration)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(autouse=True)
def _processes_only_in_integration_tests(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the fast loop honest: a test not marked ``integration`` may not start a process."""
    if request.node.get_closest_marker("integration") is not None:
        return
    test = request.node.nodeid

    def refuse(self: object, args: object, *rest: object, **kwargs: object) -> None:
        raise AssertionError(
            f"{test} starts a process ({args!r}) without being an integration test: start it through the "
            "`processes` fixture (or another of tests/conftest.py INTEGRATION_FIXTURES)"
        )

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture
def sessions() -> Iterator[list[Mqtt5Session]]:
    """MQTT 5 sessions a test opens (it appends them here), closed at its end."""
    opened: list[Mqtt5Session] = []
    yield opened
    for session in opened:
        session.close(2.0)


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[Processes]:
    """Processes this test starts (commands, ``ridebuy`` sub-commands); the ones still running are killed after."""
    started = Processes(tmp_path)
    yield started
    started.kill_all()


def _need(binary: str) -> None:
    if shutil.which(binary) is None and not Path(f"/usr/sbin/{binary}").exists():
        pytest.fail(f"{binary} is not installed: run the README's test command (scripts/test.sh) which installs it")


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A private Mosquitto for this test (persistence on, no queue limits)."""
    _need("mosquitto")
    broker = Mosquitto(tmp_path / "mosquitto")
    broker.start()
    yield broker
    broker.kill()


@pytest.fixture(scope="session")
def influxdb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InfluxDB]:
    """One private InfluxDB for the session; each test uses a database of its own (see ``database``)."""
    _need("influxd")
    server = InfluxDB(tmp_path_factory.mktemp("influxdb"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def private_influxdb(tmp_path: Path) -> Iterator[InfluxDB]:
    """An InfluxDB of this test alone, for tests that stop, pause or kill it."""
    _need("influxd")
    server = InfluxDB(tmp_path / "influxdb")
    server.start()
    yield server
    server.resume() if server.process is not None and server.process.poll() is None else None
    server.kill()


@pytest.fixture
def database(request: pytest.FixtureRequest) -> str:
    """A database name unique to this test, made from its name."""
    name = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)[:60]
    return f"t_{name}"


IngestFactory = Callable[..., RidebuyProcess]


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """The small test registry (tests/devices/helpers.py) as a file."""
    return write_registry(tmp_path / "registry.yaml", SMALL)


def ingest_args(broker: Mosquitto, store_url: str, registry: Path, spool_dir: Path, *extra: str) -> list[str]:
    return [
        "ingest",
        "--spool-dir",
        str(spool_dir),
        "--mqtt-url",
        broker.url,
        "--store-url",
        store_url,
        "--registry",
        str(registry),
        "--client-id",
        "ridebuy-ingest-test",
        "--batch-interval-ms",
        "50",
        *extra,
    ]


@pytest.fixture
def start_ingest(tmp_path: Path, mosquitto: Mosquitto, registry_file: Path) -> Iterator[IngestFactory]:
    """Start ``ridebuy ingest`` processes against ``mosquitto`` and a given InfluxDB; all are killed afterwards."""
    started: list[RidebuyProcess] = []

    def start(influx: InfluxDB, database: str, *extra: str, wait: bool = True) -> RidebuyProcess:
        process = RidebuyProcess(
            ingest_args(mosquitto, influx.store_url(database), registry_file, tmp_path / "spool", *extra),
            tmp_path / f"ingest-{len(started)}.log",
        ).start()
        started.append(process)
        if wait:
            process.wait_for_log("subscribed to")
        return process

    yield start
    for process in started:
        process.kill()
