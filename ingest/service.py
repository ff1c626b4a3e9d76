"""``ridebuy ingest``: wire the listener, the message handler and the write path, and run until signalled."""

from __future__ import annotations

import logging
import signal
import threading
import time
from types import FrameType

from ridebuy.store.open import open_store

from devices.native import Limits
from devices.registry import load_registry
from devices.topics import SUBSCRIPTION
from ingest.dead_letters import DeadLetters
from ingest.listener import MqttListener
from ingest.live import LiveAvailability
from ingest.messages import MessageHandler
from ingest.write_path import Received, WritePath
from ridebuy.backoff import Backoff
from ridebuy.brokers import parse_broker_url
from ridebuy.settings import Settings
from ridebuy.store.base import Store, StoreUnavailable

log = logging.getLogger(__name__)

EXPIRE_EVERY_S = 10.0
"""How often silent devices are looked for (their parkings' availability then turns unknown)."""


def subscription_filter(shared_group: str | None) -> str:
    """The topic filter; with a group, a shared subscription that spreads messages over the workers."""
    return f"$share/{shared_group}/{SUBSCRIPTION}" if shared_group else SUBSCRIPTION


def wait_for_store(store: Store, stop: threading.Event) -> bool:
    """Retry ``ensure_ready`` with backoff until the store answers (or ``stop``); True when ready."""
    backoff = Backoff(initial_s=0.5, maximum_s=15.0)
    while not stop.is_set():
        try:
            store.ensure_ready()
            return True
        except StoreUnavailable as exc:
            delay = backoff.next_delay()
            log.warning("store not ready (%s); retrying in %.1f s", exc, delay)
            stop.wait(delay)
    return False


def _stop_on_signal(signalled: list[int], stop: threading.Event) -> None:
    while not signalled:
        time.sleep(0.1)
    log.info("signal %d: stopping after the pending batch is stored", signalled[0])
    stop.set()


def run_ingest(settings: Settings) -> int:
    registry = load_registry(settings.registry)
    token = settings.store_token.get_secret_value() if settings.store_token else None
    store = open_store(settings.store_url, token=token)
    stop = threading.Event()
    signalled: list[int] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        # Only note it: setting an Event from a signal handler can deadlock on the Event's own lock.
        signalled.append(signum)

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    log.info(
        "ingest: %d devices in %s; store %s",
        len(registry.devices),
        settings.registry,
        settings.store_url.split("@")[-1],
    )
    watcher = threading.Thread(target=_stop_on_signal, args=(signalled, stop), name="signals", daemon=True)
    watcher.start()
    if not wait_for_store(store, stop):
        return 0
    live = LiveAvailability(registry)
    live.bootstrap(store, time.time_ns())
    dead_letters = DeadLetters()
    handler = MessageHandler(registry, Limits(settings.max_payload_bytes, settings.max_future_s), live, dead_letters)

    write_path: WritePath

    def on_message(topic: str, payload: bytes, mid: int, qos: int, generation: int, received_ns: int) -> None:
        points = handler.points_for(topic, payload, received_ns)
        write_path.add(Received(points, mid, qos, generation, topic, payload, received_ns))

    listener = MqttListener(
        parse_broker_url(settings.mqtt_url),
        settings.client_id,
        subscription_filter(settings.shared_group),
        on_message,
        receive_maximum=settings.receive_maximum,
        session_expiry_s=settings.session_expiry_s,
    )
    write_path = WritePath(
        store, listener.ack, dead_letters.point, settings.batch_size, settings.batch_interval_ms / 1000
    )
    flusher = threading.Thread(target=write_path.run, args=(stop,), name="write-path")
    flusher.start()
    listener.start()
    try:
        while not stop.wait(EXPIRE_EVERY_S):
            now_ns = time.time_ns()
            if points := live.expire(now_ns):
                write_path.add(Received(points, 0, 0, 0, "", b"", now_ns))
    finally:
        stop.set()
        listener.stop_receiving()
        flusher.join()
        listener.close()
        store.close()
        log.info(
            "ingest stopped: %d messages received, %d stored, dead letters %s",
            handler.received,
            write_path.stats.messages_stored,
            dict(dead_letters.total),
        )
    return 0
