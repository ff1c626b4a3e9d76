"""Private Mosquitto and InfluxDB 1.x servers, each in its own temporary directory on free loopback ports.

Tests may stop, restart and kill them. Both binaries come from Debian (scripts/test.sh installs them).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

from tests.support.ports import free_port, wait_for_port


class ServerProcess:
    """A server binary run with a config of ours; ``start``/``stop``/``kill``/``restart`` at will."""

    name = "server"

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / f"{self.name}.log"

    def command(self) -> list[str]:
        raise NotImplementedError

    def wait_ready(self) -> None:
        raise NotImplementedError

    def start(self) -> None:
        assert self.process is None or self.process.poll() is not None, f"{self.name} already runs"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.workdir)
        log.close()
        try:
            self.wait_ready()
        except TimeoutError:
            self.kill()
            raise RuntimeError(f"{self.name} did not start; its log:\n{self.log()[-4000:]}") from None

    def stop(self, timeout_s: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


class Mosquitto(ServerProcess):
    """Mosquitto with persistence on and no queue limits (the defaults drop QoS 1 messages past 1000)."""

    name = "mosquitto"

    def __init__(self, workdir: Path, extra_config: str = "") -> None:
        super().__init__(workdir)
        self.port = free_port()
        self.extra_config = extra_config
        self.url = f"mqtt://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        binary = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
        config = self.workdir / "mosquitto.conf"
        config.write_text(
            "\n".join(
                [
                    f"listener {self.port} 127.0.0.1",
                    "allow_anonymous true" if "allow_anonymous" not in self.extra_config else "",
                    "persistence true",
                    # As root, Mosquitto would switch to the 'mosquitto' user, who cannot write our temp dir.
                    "user root" if os.geteuid() == 0 else "",
                    f"persistence_location {self.workdir}/",
                    "autosave_interval 1",
                    "max_queued_messages 0",
                    "max_queued_bytes 0",
                    "max_inflight_messages 0",
                    "log_dest stdout",
                    "log_type error",
                    "log_type warning",
                    "log_type notice",
                    self.extra_config,
                    "",
                ]
            )
        )
        return [binary, "-c", str(config)]

    def wait_ready(self) -> None:
        wait_for_port(self.port)


class InfluxDB(ServerProcess):
    """InfluxDB 1.x (Debian's ``influxd``) with data under the work directory and HTTP on a free port."""

    name = "influxd"

    def __init__(self, workdir: Path) -> None:
        super().__init__(workdir)
        self.http_port = free_port()
        self.rpc_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}"

    def store_url(self, database: str) -> str:
        return f"influxdb://127.0.0.1:{self.http_port}/{database}"

    def command(self) -> list[str]:
        binary = shutil.which("influxd") or "/usr/bin/influxd"
        data = self.workdir / "data"
        config = self.workdir / "influxdb.conf"
        config.write_text(
            f"""
reporting-disabled = true
bind-address = "127.0.0.1:{self.rpc_port}"
[meta]
  dir = "{data}/meta"
[data]
  dir = "{data}/data"
  wal-dir = "{data}/wal"
  query-log-enabled = false
  wal-fsync-delay = "0s"
[coordinator]
  write-timeout = "30s"
[monitor]
  store-enabled = false
[http]
  enabled = true
  bind-address = "127.0.0.1:{self.http_port}"
  log-enabled = false
  max-body-size = 0
[logging]
  level = "warn"
[continuous_queries]
  enabled = false
"""
        )
        return [binary, "-config", str(config)]

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/ping", timeout=1) as response:  # noqa: S310
                    if response.status == 204:
                        return
            except OSError:
                pass
            if self.process is not None and self.process.poll() is not None:
                break
            time.sleep(0.1)
        raise TimeoutError("influxd did not answer /ping")

    def pause(self) -> None:
        """Freeze the server (SIGSTOP): connections hang, as with a stalled database."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGCONT)

    def query(self, database: str, influxql: str) -> list[dict[str, Any]]:
        """Run InfluxQL; return the series of the first statement (each with name, columns, values, tags)."""
        params = urllib.parse.urlencode({"db": database, "q": influxql, "epoch": "ns"})
        with urllib.request.urlopen(f"{self.url}/query?{params}", timeout=30) as response:  # noqa: S310
            body = json.loads(response.read())
        result = body["results"][0]
        if "error" in result:
            raise RuntimeError(f"InfluxQL error: {result['error']}")
        return list(result.get("series", []))

    def count(self, database: str, measurement: str, where: str = "") -> int:
        """Points stored in ``measurement`` (optionally ``WHERE ...``): the largest count of any of its fields."""
        return max(self.count_by(database, measurement, where=where).values(), default=0)

    def count_by(self, database: str, measurement: str, tag: str | None = None, where: str = "") -> dict[str, int]:
        """Points stored in ``measurement`` per value of ``tag`` (one entry ``""`` without a tag)."""
        group = f' GROUP BY "{tag}"' if tag else ""
        rows = self.rows(database, f'SELECT count(*) FROM "{measurement}" {where}{group}')
        return {(str(row[tag]) if tag else ""): _largest_count(row) for row in rows}

    def rows(self, database: str, influxql: str) -> list[dict[str, Any]]:
        """Run InfluxQL and flatten the result into one dict per row (tags included)."""
        rows = []
        for series in self.query(database, influxql):
            columns = series["columns"]
            tags = series.get("tags") or {}
            for values in series["values"]:
                rows.append({**tags, **dict(zip(columns, values, strict=True))})
        return rows


def _largest_count(row: dict[str, Any]) -> int:
    """``count(*)`` gives one ``count_<field>`` per field; the points are the largest of them."""
    return max(int(value) for key, value in row.items() if key.startswith("count_"))
