"""The ingest service: wire the MQTT session, the message handler and the write path; start and stop them."""

from __future__ import annotations

import logging
import threading
import time

from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS
from ridebuy.devices.native import Limits
from ridebuy.devices.registry import Registry
from ridebuy.devices.registry.watch import RegistryWatcher
from ridebuy.ingest.availability_writer import AvailabilityWriter
from ridebuy.ingest.dead_letters import DeadLetters
from ridebuy.ingest.message_handler import MessageHandler, Writes
from ridebuy.ingest.paho_session import MqttListener
from ridebuy.ingest.settings import IngestSettings
from ridebuy.ingest.spool import Spool
from ridebuy.ingest.write_path import Received, WritePath
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 10.0
"""How often silent devices are looked for (their parkings' availability then turns unknown)."""
REGISTRY_POLL_S = 2.0
"""How often the registry file is checked for changes (an adopted device is accepted without a restart)."""


def subscription_filters(shared_group: str | None) -> tuple[str, ...]:
    """The topic filters; with a group, shared subscriptions that spread messages over the workers."""
    return tuple(f"$share/{shared_group}/{f}" if shared_group else f for f in ALL_SUBSCRIPTIONS)


class IngestService:
    """The whole ingest as an object: ``start()`` it, ``stop()`` it; usable in-process (``ridebuy demo``)."""

    def __init__(self, settings: IngestSettings, registry: Registry, store: Store, spool: Spool | None = None) -> None:
        self.settings = settings
        self.store = store
        self.spool = spool
        self.dead_letters = DeadLetters()
        self.live = AvailabilityWriter(registry)
        self.handler = MessageHandler(
            registry,
            Limits(settings.max_payload_bytes, settings.max_future_s),
            self.live,
            self.dead_letters,
            Writes.for_role(settings.ingest_role),
        )
        self.listener = MqttListener(
            parse_broker_url(settings.mqtt_url),
            settings.client_id,
            subscription_filters(settings.shared_group),
            self._on_message,
            receive_maximum=settings.receive_maximum,
            session_expiry_s=settings.session_expiry_s,
        )
        self.write_path = WritePath(
            store,
            self.listener.ack,
            self.dead_letters.point,
            settings.batch_size,
            settings.batch_interval_ms / 1000,
            spool=spool,
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _on_message(self, topic: str, payload: bytes, mid: int, qos: int, generation: int, received_ns: int) -> None:
        points = self.handler.points_for(topic, payload, received_ns)
        self.write_path.add(Received(points, mid, qos, generation, topic, payload, received_ns))

    def start(self) -> bool:
        """Wait for the store, bootstrap live state, then consume in background threads. False if stopped first."""
        if not self._wait_for_store():
            return False
        writes_availability = self.handler.writes.availability
        if writes_availability:
            self.live.bootstrap(self.store, time.time_ns())
        if self._stop.is_set():
            return False
        self._threads = [
            threading.Thread(target=self.write_path.run, args=(self._stop,), name="write-path"),
            threading.Thread(target=self._registry_loop, name="registry", daemon=True),
        ]
        if writes_availability:
            self._threads.append(threading.Thread(target=self._expire_loop, name="expire", daemon=True))
        for thread in self._threads:
            thread.start()
        self.listener.start()
        return True

    def stop(self) -> None:
        """Stop receiving, store and acknowledge what is pending, then disconnect (keeping the session)."""
        self._stop.set()
        self.listener.stop_receiving()
        for thread in self._threads:
            thread.join()
        self.listener.close()
        self.store.close()
        if self.spool is not None:
            self.spool.close()
        log.info(
            "ingest stopped: %d messages received, %d stored, dead letters %s",
            self.handler.received,
            self.write_path.stats.messages_stored,
            dict(self.dead_letters.total),
        )

    def _wait_for_store(self) -> bool:
        backoff = Backoff(initial_s=0.5, maximum_s=15.0)
        while not self._stop.is_set():
            try:
                self.store.ensure_ready()
                return True
            except StoreUnavailable as exc:
                delay = backoff.next_delay()
                log.warning("store not ready (%s); retrying in %.1f s", exc, delay)
                self._stop.wait(delay)
        return False

    def _registry_loop(self) -> None:
        watcher = RegistryWatcher(self.settings.registry, self.handler.registry)
        while not self._stop.wait(REGISTRY_POLL_S):
            registry = watcher.changed()
            if registry is not None:
                self.handler.registry = registry
                points = self.live.replace_registry(registry, time.time_ns())
                if points and self.handler.writes.availability:
                    self.write_path.add(Received.derived(points, time.time_ns()))
                log.info("registry reloaded: %d devices", len(registry.devices))

    def _expire_loop(self) -> None:
        while not self._stop.wait(EXPIRE_EVERY_S):
            now_ns = time.time_ns()
            if points := self.live.expire(now_ns):
                self.write_path.add(Received.derived(points, now_ns))
