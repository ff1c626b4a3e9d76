"""Run real ``ridebuy`` sub-commands as processes, with their logs in a file the test can wait on."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

RIDEBUY = str(Path(sys.executable).with_name("ridebuy"))


class RidebuyProcess:
    """``ridebuy <args>`` in its own process; start, stop (SIGTERM/SIGINT), kill (SIGKILL), read its log."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.args = args
        self.log_path = log_path
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RidebuyProcess:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [RIDEBUY, *self.args], stdout=log, stderr=subprocess.STDOUT, env=self.env, stdin=subprocess.DEVNULL
        )
        log.close()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for_log(self, text: str, timeout_s: float = 30.0, count: int = 1) -> None:
        deadline = time.monotonic() + timeout_s
        while self.log().count(text) < count:
            if not self.running:
                raise AssertionError(f"ridebuy {self.args[0]} exited before logging {text!r}:\n{self.log()[-3000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"no {text!r} in the log after {timeout_s} s:\n{self.log()[-3000:]}")
            time.sleep(0.05)

    def signal(self, signum: int, timeout_s: float = 30.0) -> int:
        assert self.process is not None
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"ridebuy {self.args[0]} ignored signal {signum}:\n{self.log()[-3000:]}") from None

    def stop(self) -> int:
        return self.signal(signal.SIGTERM)

    def kill(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.kill()
            self.process.wait()


class Processes:
    """The processes one test starts (take them through the ``processes`` fixture, which marks the test as an
    integration test); whatever still runs when the test ends is killed."""

    def __init__(self, tmp_path: Path) -> None:
        self._tmp_path = tmp_path
        self._started: list[subprocess.Popen[Any] | RidebuyProcess] = []

    def run(self, args: Sequence[str], timeout_s: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run a command to its end, capturing its output as text."""
        return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout_s, **kwargs)

    def ridebuy(self, *args: str, timeout_s: float = 60, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        """Run ``ridebuy <args>`` to its end, as a user would type it."""
        return self.run([RIDEBUY, *args], timeout_s=timeout_s, **kwargs)

    def popen(self, args: Sequence[str], **kwargs: Any) -> subprocess.Popen[Any]:
        process: subprocess.Popen[Any] = subprocess.Popen(list(args), **kwargs)
        self._started.append(process)
        return process

    def start_ridebuy(self, args: list[str], env: dict[str, str] | None = None) -> RidebuyProcess:
        """Start ``ridebuy <args>`` with its log in a file of the test's own (see :class:`RidebuyProcess`)."""
        process = RidebuyProcess(args, self._tmp_path / f"ridebuy-{len(self._started)}.log", env).start()
        self._started.append(process)
        return process

    def kill_all(self) -> None:
        for process in reversed(self._started):
            if isinstance(process, RidebuyProcess):
                process.kill()
            elif process.poll() is None:
                process.kill()
                process.wait()
