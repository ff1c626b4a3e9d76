"""The parts a benchmark runs: private servers, ``ridebuy`` processes, their metrics and memory."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.support.ports import free_port
from tests.support.processes import RidebuyProcess
from tests.support.servers import InfluxDB, Mosquitto, ServerProcess


@dataclass
class Rig:
    """A private Mosquitto (queue limits lifted) and InfluxDB in a work directory, plus the processes started."""

    workdir: Path
    mosquitto: Mosquitto
    influxdb: InfluxDB
    processes: list[RidebuyProcess] = field(default_factory=list)

    def mqtt_url(self, protocol: str = "5") -> str:
        return self.mosquitto.url + ("?protocol=3.1.1" if protocol == "3.1.1" else "")

    def ingest(
        self,
        registry: Path,
        database: str,
        *,
        client_id: str = "ridebuy-bench-ingest",
        protocol: str = "5",
        shared_group: str | None = None,
        extra: tuple[str, ...] = (),
        name: str = "ingest",
        wait: bool = True,
    ) -> Ingest:
        """Start ``ridebuy ingest`` with its health port; returns once it is subscribed (unless ``wait`` is off)."""
        port = free_port()
        args = [
            "ingest",
            "--mqtt-url", self.mqtt_url(protocol),
            "--store-url", self.influxdb.store_url(database),
            "--registry", str(registry),
            "--client-id", client_id,
            "--spool-dir", str(self.workdir / f"spool-{client_id}"),
            "--health-port", str(port),
            "--log-level", "WARNING",
            *(("--shared-group", shared_group, "--ingest-role", "data") if shared_group else ()),
            *extra,
        ]  # fmt: skip
        process = RidebuyProcess(args, self.workdir / f"{name}-{len(self.processes)}.log").start()
        self.processes.append(process)
        ingest = Ingest(process, port)
        if wait:
            ingest.wait_healthy()
        return ingest

    def api(self, registry: Path, database: str, *, extra: tuple[str, ...] = ()) -> Api:
        """Start ``ridebuy api``; returns once it answers /readyz."""
        port = free_port()
        args = [
            "api",
            "--mqtt-url", self.mqtt_url(),
            "--store-url", self.influxdb.store_url(database),
            "--registry", str(registry),
            "--api-port", str(port),
            "--log-level", "WARNING",
            *extra,
        ]  # fmt: skip
        # The per-client rate limit (600/minute by default) would answer most of a one-address load test with 429:
        # these benchmarks measure what one API process serves to all clients together.
        env = {"RIDEBUY_API_RATE_LIMIT": ""}
        process = RidebuyProcess(args, self.workdir / f"api-{len(self.processes)}.log", env).start()
        self.processes.append(process)
        api = Api(process, f"http://127.0.0.1:{port}")
        api.wait_ready()
        return api

    def stop_all(self) -> None:
        for process in self.processes:
            if process.running:
                with contextlib.suppress(AssertionError):
                    process.stop()
        self.processes.clear()


@contextlib.contextmanager
def rig(keep: bool = False) -> Iterator[Rig]:
    """Servers in a fresh temporary directory; everything is stopped (and the directory removed) on exit."""
    workdir = Path(tempfile.mkdtemp(prefix="ridebuy-bench-"))
    mosquitto = Mosquitto(workdir / "mosquitto")
    influxdb = InfluxDB(workdir / "influxdb")
    mosquitto.start()
    try:
        influxdb.start()
        the_rig = Rig(workdir, mosquitto, influxdb)
        try:
            yield the_rig
        finally:
            the_rig.stop_all()
            influxdb.stop()
    finally:
        mosquitto.stop()
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)


def _get(url: str, timeout_s: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as response:  # noqa: S310 - loopback only
            return int(response.status), response.read().decode()
    except OSError:
        return 0, ""


_METRIC = re.compile(r"^(ridebuy_ingest_\w+?)(?:_total)?(?:\{[^}]*\})? ([0-9.e+-]+)$", re.MULTILINE)


@dataclass
class Ingest:
    process: RidebuyProcess
    health_port: int

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def wait_healthy(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.process.running:
                raise RuntimeError(f"ingest exited:\n{self.process.log()[-3000:]}")
            status, body = _get(f"http://127.0.0.1:{self.health_port}/healthz", 1.0)
            if status == 200 and json.loads(body).get("broker_connected") is True:
                return
            time.sleep(0.05)
        raise RuntimeError(f"ingest not connected after {timeout_s} s:\n{self.process.log()[-3000:]}")

    def connected(self) -> bool:
        """Whether the ingest says it is connected to the broker (False while it starts)."""
        if not self.process.running:
            raise RuntimeError(f"ingest exited:\n{self.process.log()[-3000:]}")
        status, body = _get(f"http://127.0.0.1:{self.health_port}/healthz", 1.0)
        return status in (200, 503) and bool(json.loads(body).get("broker_connected")) if body else False

    def metrics(self) -> dict[str, float]:
        """The ingest's counters and gauges (labels summed)."""
        status, body = _get(f"http://127.0.0.1:{self.health_port}/metrics")
        values: dict[str, float] = {}
        if status == 200:
            for name, value in _METRIC.findall(body):
                values[name] = values.get(name, 0.0) + float(value)
        return values

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


@dataclass
class Api:
    process: RidebuyProcess
    url: str

    @property
    def pid(self) -> int:
        assert self.process.process is not None
        return self.process.process.pid

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self.process.running:
                raise RuntimeError(f"api exited:\n{self.process.log()[-3000:]}")
            if _get(f"{self.url}/readyz", 1.0)[0] == 200:
                return
            time.sleep(0.1)
        raise RuntimeError(f"api not ready after {timeout_s} s:\n{self.process.log()[-3000:]}")

    def rss_bytes(self) -> int:
        return rss_bytes(self.pid)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (its children, if any, are not counted)."""
    return int(psutil.Process(pid).memory_info().rss)


def server_pid(server: ServerProcess) -> int:
    assert server.process is not None, f"{server.name} was never started"
    return server.process.pid


class CpuMeter:
    """CPU time (user + system) of named processes between ``start`` and ``shares``, as shares of one core."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._processes = {name: psutil.Process(pid) for name, pid in pids.items()}
        self._started = 0.0
        self._base: dict[str, float] = {}

    def _now(self) -> dict[str, float]:
        return {name: _cpu(p) for name, p in self._processes.items()}

    def start(self) -> None:
        self._base = self._now()
        self._started = time.monotonic()

    def shares(self) -> dict[str, float]:
        elapsed = time.monotonic() - self._started
        return {name: (seconds - self._base[name]) / elapsed for name, seconds in self._now().items()}


def _cpu(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system)


def count_points(influxdb: InfluxDB, database: str, measurement: str, field_name: str) -> int:
    # Names are the schema's own constants (bench.backlog_drain), never input.
    series = influxdb.query(database, f'SELECT count("{field_name}") FROM "{measurement}"')  # noqa: S608
    return int(series[0]["values"][0][1]) if series else 0
