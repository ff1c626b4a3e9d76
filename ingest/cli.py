"""``ridebuy ingest``: consume device messages from MQTT and store them, until SIGTERM or SIGINT."""

from __future__ import annotations

import argparse
import logging
import signal
import threading
import time
from types import FrameType

from ridebuy.ingest.settings import IngestSettings, default_spool_dir
from ridebuy.shared.commands import Command

log = logging.getLogger(__name__)


def run_ingest(args: argparse.Namespace, settings: IngestSettings) -> int:
    """Run the ingest in the foreground until SIGTERM or SIGINT."""
    # Imported here: building the command line must stay quick for every other sub-command.
    from ridebuy.devices.registry.load import load_registry_lean
    from ridebuy.ingest.health import HealthServer
    from ridebuy.ingest.service import IngestService
    from ridebuy.ingest.spool import Spool
    from ridebuy.store.open import open_store

    registry = load_registry_lean(settings.registry)
    token = settings.store_token.get_secret_value() if settings.store_token else None
    store = open_store(settings.store_url, token=token)
    spool = Spool(settings.spool_dir or default_spool_dir(settings.client_id), settings.spool_max_bytes)
    log.info(
        "ingest: %d devices in %s; store %s; spool %s", len(registry.devices), settings.registry, store, spool.directory
    )
    service = IngestService(settings, registry, store, spool)
    health = None
    if settings.health_port is not None:
        health = HealthServer(service, settings.api_host, settings.health_port)
        health.start()
        log.info("health and metrics on http://%s:%d/healthz and /metrics", settings.api_host, health.port)
    signalled = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        log.info("signal %d: stopping after the pending batch is stored", signum)
        signalled.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    starter = threading.Thread(target=service.start, name="start", daemon=True)
    starter.start()
    while not signalled.is_set():
        # A short sleep, not Event.wait: the handler must never contend for a lock held by this thread.
        time.sleep(0.2)
    service.stop()
    starter.join()
    if health is not None:
        health.stop()
    return 0


COMMAND = Command(
    name="ingest",
    help="consume device messages from MQTT and store them",
    settings=IngestSettings,
    run=run_ingest,
)
