"""What a running simulation shows: a live panel on a terminal (rich), a log line every few seconds elsewhere."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from types import TracebackType

from rich.console import Console
from rich.live import Live
from rich.table import Table

from ridebuy.devices.topics import MessageKind
from ridebuy.simulators.clock import local_time
from ridebuy.simulators.runner import Stats

log = logging.getLogger(__name__)

LOG_EVERY_S = 10.0


class _RateMeter:
    """Messages per second over the last few seconds."""

    def __init__(self, window_s: float = 5.0) -> None:
        self._window_s = window_s
        self._samples: deque[tuple[float, int]] = deque([(time.monotonic(), 0)])

    def rate(self, sent: int) -> float:
        now = time.monotonic()
        self._samples.append((now, sent))
        while len(self._samples) > 2 and now - self._samples[0][0] > self._window_s:
            self._samples.popleft()
        first_s, first_sent = self._samples[0]
        return (sent - first_sent) / (now - first_s) if now > first_s else 0.0


def _sim_clock(stats: Stats) -> str:
    return "-" if stats.sim_s is None else f"{local_time(stats.sim_s):%a %Y-%m-%d %H:%M}"


class Progress:
    """Context manager showing ``stats`` until exit; ``link`` describes the broker connection."""

    def __init__(self, stats: Stats, link: Callable[[], str], console: Console | None = None) -> None:
        self._stats = stats
        self._link = link
        self._console = console or Console(stderr=True)
        self._meter = _RateMeter()
        self._live: Live | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _table(self) -> Table:
        stats = self._stats
        table = Table(title="ridebuy simulate", show_header=False, min_width=50)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("phase", stats.phase)
        table.add_row("broker", self._link())
        table.add_row("messages sent", f"{stats.sent:,}")
        table.add_row("rate", f"{self._meter.rate(stats.sent):,.0f} msg/s")
        table.add_row("by kind", "  ".join(f"{kind.value} {stats.by_kind[kind]:,}" for kind in MessageKind))
        table.add_row("simulated clock", _sim_clock(stats))
        return table

    def _log_loop(self) -> None:
        while not self._stop.wait(LOG_EVERY_S):
            self.log_line()

    def log_line(self) -> None:
        stats = self._stats
        log.info(
            "%s: %d messages sent (%.0f msg/s), simulated clock %s, broker %s",
            stats.phase,
            stats.sent,
            self._meter.rate(stats.sent),
            _sim_clock(stats),
            self._link(),
        )

    def __enter__(self) -> Progress:
        if self._console.is_terminal:
            self._live = Live(get_renderable=self._table, console=self._console, refresh_per_second=4)
            self._live.start()
        else:
            self._thread = threading.Thread(target=self._log_loop, name="simulate-progress", daemon=True)
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._live is not None:
            self._live.stop()
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
