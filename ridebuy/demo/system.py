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
from pathlib import Path

import uvicorn

from ridebuy.api.app import create_app
from ridebuy.api.routes.stream import streams_ending
from ridebuy.demo.embedded_broker import EmbeddedBroker
from ridebuy.demo.settings import DemoSettings
from ridebuy.devices.registry import Registry, load_registry
from ridebuy.ingest.service import IngestService
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
    backfill_days: float = 0.0
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
        self.web_url = f"http://{shown_host}:{port}/"
        self._api = ApiRunner(self.settings, self.registry, self._open_store(), sock)
        self._api.start()

        self._simulator = SimulatorRunner(self.settings.mqtt_url, self.registry, self.options, self.seed)
        self._simulator.start()

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
        return None

    # --- stop ----------------------------------------------------------------------------------------------

    def stop(self) -> None:
        """Stop publishing, let the ingest store what it holds, stop the API, close the store, stop the broker."""
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
        config = uvicorn.Config(
            app, log_config=None, log_level="warning", access_log=False, timeout_graceful_shutdown=2, lifespan="on"
        )
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
            SimulationOptions(seed=seed, speed=options.speed, backfill_days=options.backfill_days),
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
