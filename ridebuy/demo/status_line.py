"""What the running demo shows: a status line (live on a terminal, a log line every few seconds elsewhere).

The figures come from where a cyclist gets them, the API's ``GET /v1/parkings``, so the line also proves that
data goes through the whole chain. The first time live availability appears, it is logged once with the time
it took since start.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx
from rich.console import Console
from rich.live import Live
from rich.text import Text

from ridebuy.demo.system import DemoSystem
from ridebuy.simulators.clock import local_time

log = logging.getLogger(__name__)

POLL_EVERY_S = 1.0
LOG_EVERY_S = 10.0


@dataclass(frozen=True, slots=True)
class Availability:
    """The sum of what ``GET /v1/parkings`` says."""

    parkings: int
    live: int
    """Parkings with at least one space watched by a live device (status ok or stale)."""
    free: int
    occupied: int
    unknown: int

    @classmethod
    def from_answer(cls, body: dict[str, Any]) -> Availability:
        parkings = body.get("parkings", [])
        return cls(
            parkings=len(parkings),
            live=sum(1 for p in parkings if p.get("status") in ("ok", "stale")),
            free=sum(int(p.get("free", 0)) for p in parkings),
            occupied=sum(int(p.get("occupied", 0)) for p in parkings),
            unknown=sum(int(p.get("unknown", 0)) for p in parkings),
        )

    def describe(self) -> str:
        return (
            f"{self.live}/{self.parkings} parkings live: {self.free} free, {self.occupied} bikes, "
            f"{self.unknown} unknown"
        )


def own_certificate(certfile: Path | None) -> ssl.SSLContext | bool:
    """How the status line checks the demo's own HTTPS (RIDEBUY_API_SSL_CERTFILE): it trusts that certificate
    itself, self-signed or not, whatever host it names (the demo polls its own socket, by address)."""
    if certfile is None:
        return True
    context = ssl.create_default_context(cafile=str(certfile))
    context.check_hostname = False
    context.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN  # the chain's first certificate is the one trusted
    return context


class StatusLine:
    """Context manager: polls the API and shows the status until exit."""

    def __init__(self, demo: DemoSystem, console: Console) -> None:
        self._demo = demo
        self._console = console
        self._client = httpx.Client(
            base_url=demo.web_url, timeout=2.0, verify=own_certificate(demo.settings.api_ssl_certfile)
        )
        self.availability: Availability | None = None
        self.first_live_s: float | None = None
        """Seconds from the demo's start to the first live availability in the API."""
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._live: Live | None = None

    def text(self) -> str:
        demo = self._demo
        sim_s = demo.simulated_s
        clock = "starting" if sim_s is None else f"{local_time(sim_s):%a %H:%M}"
        availability = self.availability.describe() if self.availability else "waiting for the API"
        history = demo.history
        backfill = (
            f" | history {history.share_done * history.days:.0f}/{history.days:g} days"
            if history is not None and not history.done.is_set()
            else ""
        )
        return (
            f"simulated {clock} (x{demo.options.speed:g}) | {demo.messages_sent:,} messages sent, "
            f"{demo.messages_stored:,} stored | {availability}{backfill}"
        )

    def _poll(self) -> None:
        try:
            response = self._client.get("/v1/parkings")
            response.raise_for_status()
            self.availability = Availability.from_answer(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.debug("status: the API did not answer: %s", exc)
            return
        if self.first_live_s is None and self.availability.live > 0:
            self.first_live_s = time.monotonic() - self._demo.started_s
            log.info(
                "live availability visible in the API %.1f s after start: %s",
                self.first_live_s,
                self.availability.describe(),
            )

    def _run(self) -> None:
        last_log = time.monotonic()
        while not self._stop.wait(POLL_EVERY_S):
            self._poll()
            if self._live is not None:
                self._live.update(Text(self.text()))
            elif time.monotonic() - last_log >= LOG_EVERY_S:
                last_log = time.monotonic()
                log.info("%s", self.text())

    def __enter__(self) -> StatusLine:
        if self._console.is_terminal:
            self._live = Live(Text(self.text()), console=self._console, refresh_per_second=2, transient=True)
            self._live.start()
        self._thread = threading.Thread(target=self._run, name="demo-status", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self._live is not None:
            self._live.stop()
        self._client.close()
