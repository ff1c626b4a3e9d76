"""The demo's parts, started in order and stopped in reverse: broker, store, ingest, API, simulators.

Every part is the real one, run in this process: the embedded amqtt broker (unless a broker URL is given), the
SQLite store (unless a store URL is given), :class:`ingest.service.IngestService`, the API of
:func:`api.app.create_app` under uvicorn, and the simulators' :class:`simulators.runner.Simulation` publishing
through MQTT like any device. Nothing is short-circuited: data goes device -> broker -> ingest -> store, and
broker -> API live state, exactly as in a deployment.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import uvicorn

from ridebuy.api.app import create_app
from ridebuy.api.routes.stream import streams_ending
from ridebuy.api.server_config import scheme, server_config
from ridebuy.demo.embedded_broker import EmbeddedBroker
from ridebuy.demo.settings import DemoSettings
from ridebuy.devices.registry import Registry, load_registry
from ridebuy.ingest.service import IngestService
from ridebuy.simulators.history import RECENT_DAYS, HistoryStats, write_history_recent_first
from ridebuy.simulators.publisher import MqttPublisher, PublishError
from ridebuy.simulators.runner import RealTimer, Simulation, SimulationOptions
from ridebuy.store.base import Store
from ridebuy.store.open import open_store
from ridebuy.store.sqlite import sqlite_url

log = logging.getLogger(__name__)

USUAL_WEB_PORT = 8000
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
INGEST_CLIENT_ID = "ridebuy-demo-ingest"
"""Not the ingest's usual id: a demo pointed at a real broker must not take over a running ingest's session."""


class DemoError(RuntimeError):
    """The demo cannot start; the message says why and what to do."""


@dataclass(frozen=True, slots=True)
class DemoOptions:
    speed: float = 60.0
    """Simulated seconds per real second (60: a day in 24 minutes)."""
    seed: int | None = None
    backfill_days: float = 14.0
    """Days of simulated history written straight into the store at start (0: none); see :class:`HistoryRunner`."""
    web_port: int | None = None
    """None: 8000, or a free port when 8000 is taken."""
    broker_url: str | None = None
    """None: the embedded broker."""
    broker_port: int | None = None
    """Port of the embedded broker; None: 1883, or a free port when 1883 is taken."""
    store_url: str | None = None
    """None: SQLite at ``db_path``."""
    db_path: Path = field(default_factory=lambda: Path("demo.db"))
    reset: bool = False
    """Delete the demo's SQLite file first (not with ``store_url``)."""


def bind_web_socket(host: str, port: int | None) -> socket.socket:
    """A bound socket for the API: ``port``, or 8000 and else a free one when ``port`` is None."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, USUAL_WEB_PORT if port is None else port))
    except OSError as exc:
        if port is not None:
            sock.close()
            raise DemoError(f"cannot serve the web page on {host}:{port} ({exc.strerror}): choose --port") from None
        log.info("port %d is in use: the web page takes a free port", USUAL_WEB_PORT)
        sock.bind((host, 0))
    sock.set_inheritable(True)
    return sock


class DemoSystem:
    """Start with :meth:`start`, stop with :meth:`stop`; the attributes tell what runs where."""

    def __init__(self, settings: DemoSettings, options: DemoOptions) -> None:
        self.options = options
        self.settings = settings
        self.registry: Registry = load_registry(settings.registry)
        self.seed = options.seed if options.seed is not None else random.SystemRandom().randrange(2**31)
        self.broker: EmbeddedBroker | None = None
        self.db_path: Path | None = None if options.store_url else options.db_path
        self.web_url = ""
        self.started_s = time.monotonic()
        self._stores: list[Store] = []
        self._ingest: IngestRunner | None = None
        self._api: ApiRunner | None = None
        self._simulator: SimulatorRunner | None = None
        self.history: HistoryRunner | None = None

    # --- start ---------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start every part, in order; on failure stop what started and raise :class:`DemoError`."""
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> None:
        mqtt_url = self.options.broker_url
        if mqtt_url is None:
            self.broker = EmbeddedBroker(port=self.options.broker_port)
            mqtt_url = self.broker.start()
        store_url = self.options.store_url
        if store_url is None:
            assert self.db_path is not None
            self.db_path.parent.mkdir(parents=True, exist_ok=True)  # the demo's own data directory
            if self.options.reset:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{self.db_path}{suffix}").unlink(missing_ok=True)
            store_url = sqlite_url(self.db_path)
        self.settings = self.settings.model_copy(
            update={"mqtt_url": mqtt_url, "store_url": store_url, "client_id": INGEST_CLIENT_ID}
        )
        ingest_store = self._open_store()
        ingest_store.ensure_ready()  # a store that cannot be used stops the demo at once, with its reason
        self._ingest = IngestRunner(IngestService(self.settings, self.registry, ingest_store))
        self._ingest.start()

        sock = bind_web_socket(self.settings.api_host, self.options.web_port)
        host, port = sock.getsockname()[:2]
        shown_host = f"[{host}]" if ":" in host else host
        self.web_url = f"{scheme(self.settings)}://{shown_host}:{port}/"
        self._api = ApiRunner(self.settings, self.registry, self._open_store(), sock)
        self._api.start()

        self._simulator = SimulatorRunner(self.settings.mqtt_url, self.registry, self.options, self.seed)
        self._simulator.start()

        if self.options.backfill_days > 0:
            report_dir = (self.db_path or self.options.db_path).parent
            self.history = HistoryRunner(
                self._open_store(), self.registry, self.options.backfill_days, self.seed, self.settings, report_dir
            )
            self.history.start()

    def _open_store(self) -> Store:
        token = self.settings.store_token.get_secret_value() if self.settings.store_token else None
        try:
            store = open_store(self.settings.store_url, token)
        except ValueError as exc:
            raise DemoError(f"--store-url: {exc}") from None
        self._stores.append(store)
        return store

    # --- what runs -----------------------------------------------------------------------------------------

    @property
    def messages_sent(self) -> int:
        return self._simulator.simulation.stats.sent if self._simulator else 0

    @property
    def simulated_s(self) -> float | None:
        return self._simulator.simulation.stats.sim_s if self._simulator else None

    @property
    def messages_stored(self) -> int:
        return self._ingest.service.write_path.stats.messages_stored if self._ingest else 0

    def failed_part(self) -> str | None:
        """The name of a part that stopped on its own (then the demo should stop), else None."""
        if self._api is not None and self._api.thread is not None and not self._api.thread.is_alive():
            return "the API"
        if self._simulator is not None and self._simulator.crashed:
            return "the simulators"
        if self._ingest is not None and self._ingest.crashed:
            return "the ingest"
        if self.history is not None and self.history.crashed:
            return "the history backfill"
        return None

    # --- stop ----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop publishing, let the ingest store what it holds, stop the API, close the store, stop the broker."""
        if self.history is not None:
            self.history.stop()
        if self._simulator is not None:
            self._simulator.stop()
            self._simulator = None
        if self._ingest is not None:
            self._ingest.stop()  # also closes its store
            self._ingest = None
        if self._api is not None:
            self._api.stop()
            self._api = None
        for store in self._stores:
            store.close()
        self._stores.clear()
        if self.broker is not None:
            self.broker.stop()
            self.broker = None


class IngestRunner:
    """:class:`~ingest.service.IngestService` started in the background, as ``ridebuy ingest`` runs it."""

    def __init__(self, service: IngestService) -> None:
        self.service = service
        self.crashed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ingest-start", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.service.start()
        except Exception:
            self.crashed = True
            log.exception("the ingest failed to start")

    def stop(self) -> None:
        self.service.stop()
        if self._thread is not None:
            self._thread.join()


class ApiRunner:
    """The API app under uvicorn, in a thread of its own (uvicorn leaves signals to the main thread then)."""

    def __init__(self, settings: DemoSettings, registry: Registry, store: Store, sock: socket.socket) -> None:
        self._sock = sock
        app = create_app(settings, store=store, registry=registry)
        # The same server as ``ridebuy api``'s (TLS, header timeout, connection caps, trusted proxies), on the
        # demo's own socket and quieter.
        config = server_config(app, settings, log_level="warning", timeout_graceful_shutdown=2, lifespan="on")
        self.server = uvicorn.Server(config)
        self.thread: threading.Thread | None = None

    def start(self, timeout_s: float = START_TIMEOUT_S) -> None:
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self._sock]}, name="api", daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + timeout_s
        while not self.server.started:
            if not self.thread.is_alive():
                raise DemoError("the API stopped while starting: see the log above")
            if time.monotonic() > deadline:
                raise DemoError(f"the API did not start within {timeout_s:g} s")
            time.sleep(0.05)

    def stop(self) -> None:
        with streams_ending():  # open /v1/stream connections (a browser showing the page) end at once
            self.server.should_exit = True
            if self.thread is not None:
                self.thread.join(STOP_TIMEOUT_S)
                if self.thread.is_alive():
                    log.warning("the API did not stop within %g s; leaving it", STOP_TIMEOUT_S)
        self._sock.close()


class SimulatorRunner:
    """The device simulators publishing through MQTT, as ``ridebuy simulate`` does."""

    def __init__(self, mqtt_url: str, registry: Registry, options: DemoOptions, seed: int) -> None:
        self._stop = threading.Event()
        self.publisher = MqttPublisher(mqtt_url, self._stop, client_id=f"ridebuy-demo-sim-{seed}")
        self.simulation = Simulation(
            registry,
            # The history is written straight into the store by HistoryRunner: the simulators only go live.
            SimulationOptions(seed=seed, speed=options.speed),
            self.publisher,
            RealTimer(self._stop),
        )
        self.crashed = False
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        try:
            self.publisher.start(timeout_s=START_TIMEOUT_S)
        except PublishError as exc:
            raise DemoError(f"the simulators cannot publish: {exc}") from None
        self._thread = threading.Thread(target=self._run, name="simulators", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.simulation.run()
        except Exception:
            self.crashed = True
            log.exception("the simulators failed")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self.publisher.flush(5.0)  # what was sent reaches the broker, so the ingest can store it
        self.publisher.close()


class HistoryRunner:
    """Days of simulated past traffic written straight into the store, in the background, while the demo runs.

    Not through the broker: a fortnight is about 200,000 messages, minutes through the embedded broker and about
    half a minute of CPU this way (:mod:`simulators.history`). The last day is written first, so the API's default
    24 hours and today's counts have data within seconds; the days before follow. A store that already holds data
    (a demo run before, without ``--reset``) gets no second history: its figures would count twice.
    """

    def __init__(
        self, store: Store, registry: Registry, days: float, seed: int, settings: DemoSettings, report_dir: Path
    ) -> None:
        self._store = store
        self._registry = registry
        self.days = days
        self._seed = seed
        self._settings = settings
        self.report_dir = report_dir
        self.report_path: Path | None = None
        """The monthly report written once the history is in (the month the history ends in, so far)."""
        self.end_s = time.time()
        self._started_s = time.monotonic()
        self.recent_s: float | None = None
        """Seconds from the start of the history until its last day was in the store."""
        self.share_done = 0.0
        self.skipped = False
        self.stats: HistoryStats | None = None
        self.crashed = False
        self.done = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="history", daemon=True)
        self._thread.start()

    def _progress(self, share: float) -> None:
        self.share_done = share
        if self.recent_s is None and share * self.days >= min(self.days, RECENT_DAYS):
            self.recent_s = time.monotonic() - self._started_s
            log.info("history: the last day is in the store after %.1f s; the days before follow", self.recent_s)
        if self._stop.is_set():
            raise _Stopped

    def _run(self) -> None:
        try:
            if self._store.device_snapshots():
                self.skipped = True
                log.info("history: the store already holds data, none added (--reset starts afresh)")
                return
            log.info("history: writing %g days of simulated traffic into the store", self.days)
            self.stats = write_history_recent_first(
                self._store,
                self._registry,
                days=self.days,
                seed=self._seed,
                end_s=self.end_s,
                progress=self._progress,
            )
            log.info(
                "history: %g days written in %.1f s (%s messages, %s points)",
                self.days,
                self.stats.elapsed_s,
                f"{self.stats.messages:,}",
                f"{self.stats.points:,}",
            )
            self._write_report()
        except _Stopped:
            log.info("history: stopped at %.0f %%", 100 * self.share_done)
        except Exception:
            self.crashed = True
            log.exception("the history backfill failed")
        finally:
            self.done.set()

    def _write_report(self) -> None:
        from ridebuy.report.build import write_report
        from ridebuy.report.cli import TIMEZONE, town_name
        from ridebuy.report.settings import ReportSettings
        from ridebuy.shared.settings import load_settings

        tz = ZoneInfo(TIMEZONE)
        month = datetime.fromtimestamp(self.end_s, tz).date().replace(day=1)
        path = self.report_dir / f"report-{month:%Y-%m}.pdf"
        partial = path.with_name(path.name + ".part")  # a demo stopped while it renders leaves no broken PDF
        # The demo's own settings for every one the report reads (store, registry, Ride and Buy assumptions, ...).
        own = type(self._settings).model_fields
        given = {name: getattr(self._settings, name) for name in ReportSettings.model_fields if name in own}
        settings = load_settings(ReportSettings, **given)
        write_report(settings, month, partial, town=town_name(Path(settings.registry)), tz=tz)
        partial.replace(path)
        self.report_path = path
        log.info("the monthly report of the history: %s (ridebuy report makes others)", path.resolve())

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            # The history stops within a moment; a report being rendered is left to the process's end.
            self._thread.join(STOP_TIMEOUT_S)


class _Stopped(Exception):
    """Raised from the progress callback to end the history early when the demo stops."""
