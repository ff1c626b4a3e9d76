"""The write path: batch points of received messages, store them, then acknowledge the messages.

A message is acknowledged only after the store accepted its points, so a crash costs redelivery, never loss.
Batches are bounded in points (``batch_size``) and in time (``batch_interval_s``). While the store is down,
batches go to the disk spool (ingest.spool), are acknowledged once fsync'ed there, and are replayed in order when
the store returns; while a backlog is spooled, new batches join it, so order holds. Without a spool, or with a
full one, batches are retried with jittered backoff and nothing is acknowledged: the broker's in-flight window
(MQTT 5 Receive Maximum) then bounds how much is held in memory, and the broker keeps the rest.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.ingest.spool import Spool, SpoolFull
from ridebuy.shared.backoff import Backoff
from ridebuy.store.base import Store, StoreRejected, StoreUnavailable
from ridebuy.store.points import Point

log = logging.getLogger(__name__)

IDLE_WAIT_S = 0.1
"""With nothing to write, the flusher looks at the spool this often."""

Acknowledge = Callable[[int, int, int], None]
"""``acknowledge(mid, qos, generation)``: confirm a message to the broker (see ingest.listener)."""
DeadLetterPoint = Callable[[Rejected, str, bytes, int], Point]


@dataclass(slots=True)
class Received:
    """One received message on its way to the store."""

    points: list[Point]
    mid: int
    qos: int
    generation: int
    topic: str
    payload: bytes
    received_ns: int

    @classmethod
    def derived(cls, points: list[Point], now_ns: int) -> Received:
        """Points the ingest derived itself (availability after an expiry or a registry change): no message to
        acknowledge (QoS 0), no topic, no payload to dead-letter."""
        return cls(points, mid=0, qos=0, generation=0, topic="", payload=b"", received_ns=now_ns)


@dataclass(slots=True)
class WriteStats:
    messages_stored: int = 0
    points_written: int = 0
    batches_written: int = 0
    write_failures: int = 0
    store_ok: bool = True
    last_write_s: float = 0.0
    batches_spooled: int = 0
    batches_replayed: int = 0
    spool_full: bool = False


class WritePath:
    def __init__(
        self,
        store: Store,
        acknowledge: Acknowledge,
        dead_letter_point: DeadLetterPoint,
        batch_size: int = 5_000,
        batch_interval_s: float = 0.2,
        backoff: Backoff | None = None,
        spool: Spool | None = None,
    ) -> None:
        self._store = store
        self._spool = spool
        self._replay_due = 0.0
        self._replay_backoff = Backoff(initial_s=0.5, maximum_s=10.0)
        self._acknowledge = acknowledge
        self._dead_letter_point = dead_letter_point
        self._batch_size = batch_size
        self._interval_s = batch_interval_s
        self._backoff = backoff or Backoff()
        self._pending: deque[Received] = deque()
        self._pending_points = 0
        self._first_at = 0.0
        self._cond = threading.Condition()
        self.stats = WriteStats()

    @property
    def depth(self) -> int:
        """Messages received and not yet stored."""
        with self._cond:
            return len(self._pending)

    def add(self, received: Received) -> None:
        """Queue a received message (thread-safe, never blocks on the store)."""
        with self._cond:
            if not self._pending:
                self._first_at = time.monotonic()
            self._pending.append(received)
            self._pending_points += len(received.points)
            if self._pending_points >= self._batch_size:
                self._cond.notify()

    def run(self, stop: threading.Event, drain_timeout_s: float = 10.0) -> None:
        """Flush batches until ``stop`` is set, then flush what is left (giving up after ``drain_timeout_s`` if the
        store is down: unacknowledged messages are redelivered by the broker later)."""
        while not stop.is_set():
            batch = self._next_batch(stop)
            if batch:
                self._store_and_ack(batch, give_up=None)
            self._replay_if_due()
        deadline = time.monotonic() + drain_timeout_s
        while batch := self._take(force=True):
            if not self._store_and_ack(batch, give_up=deadline):
                log.warning("shutting down with %d messages not stored; the broker will redeliver them", self.depth)
                return

    def flush(self) -> None:
        """Store and acknowledge everything pending now (for tests and shutdown)."""
        while batch := self._take(force=True):
            self._store_and_ack(batch, give_up=None)

    def _next_batch(self, stop: threading.Event) -> list[Received]:
        with self._cond:
            while not stop.is_set():
                if self._pending_points >= self._batch_size:
                    break
                if self._pending:
                    left = self._first_at + self._interval_s - time.monotonic()
                    if left <= 0:
                        break
                    self._cond.wait(left)
                else:
                    self._cond.wait(IDLE_WAIT_S)
                    if not self._pending:
                        return []
            return self._take_locked(force=False) if not stop.is_set() else []

    def _take(self, force: bool) -> list[Received]:
        with self._cond:
            return self._take_locked(force)

    def _take_locked(self, force: bool) -> list[Received]:
        taken: list[Received] = []
        points = 0
        while self._pending and (points < self._batch_size or not taken):
            entry = self._pending[0]
            if taken and points + len(entry.points) > self._batch_size:
                break
            taken.append(self._pending.popleft())
            points += len(entry.points)
        self._pending_points -= points
        if self._pending:
            self._first_at = time.monotonic()
        return taken

    def _store_and_ack(self, batch: list[Received], give_up: float | None) -> bool:
        """Store (or spool) a batch and acknowledge its messages; False if ``give_up`` passed first."""
        points = [point for entry in batch for point in entry.points]
        started = time.monotonic()
        while True:
            if self._spool is not None and not self._spool.is_empty():
                self._replay_if_due()
            if self._spool is None or self._spool.is_empty():
                try:
                    if points:
                        self._store.write(points)
                    self._note_store_ok(time.monotonic() - started)
                    self.stats.points_written += len(points)
                    break
                except StoreUnavailable as exc:
                    self._note_store_down(exc, len(batch))
                except StoreRejected as exc:
                    log.error("store refused a batch of %d points (%s); isolating the bad messages", len(points), exc)
                    self._store_one_by_one(batch)
                    break
            if self._spool is not None and self._spool_batch(points):
                self.stats.batches_spooled += 1
                break
            delay = self._backoff.next_delay()
            if give_up is not None and time.monotonic() + delay > give_up:
                self._requeue(batch)
                return False
            time.sleep(delay)
        self._backoff.reset()
        self.stats.batches_written += 1
        self.stats.messages_stored += len(batch)
        for entry in batch:
            self._acknowledge(entry.mid, entry.qos, entry.generation)
        return True

    def _note_store_ok(self, elapsed_s: float) -> None:
        if not self.stats.store_ok:
            log.info("store available again")
        self.stats.store_ok = True
        self.stats.last_write_s = elapsed_s

    def _note_store_down(self, exc: Exception, messages: int) -> None:
        self.stats.write_failures += 1
        if self.stats.store_ok:
            where = "spooling to disk" if self._spool is not None else "holding them unacknowledged"
            log.error("store unavailable, %s (%d messages in this batch): %s", where, messages, exc)
        self.stats.store_ok = False

    def _spool_batch(self, points: list[Point]) -> bool:
        assert self._spool is not None
        try:
            self._spool.append(points)
        except (SpoolFull, OSError) as exc:
            if not self.stats.spool_full:
                log.error("cannot spool (%s): holding messages unacknowledged; the broker keeps them", exc)
            self.stats.spool_full = True
            return False
        if self.stats.spool_full:
            log.info("spool takes batches again")
        self.stats.spool_full = False
        return True

    def _replay_if_due(self) -> None:
        """Replay spooled batches, oldest first, while the store takes them (with backoff when it does not)."""
        if self._spool is None or self._spool.is_empty() or time.monotonic() < self._replay_due:
            return
        while (oldest := self._spool.oldest()) is not None:
            segment, batches = oldest
            try:
                for points in batches:
                    self._write_spooled(points)
            except StoreUnavailable as exc:
                self._note_store_down(exc, 0)
                self._replay_due = time.monotonic() + self._replay_backoff.next_delay()
                return
            self._spool.remove(segment)
            self.stats.batches_replayed += len(batches)
            self._note_store_ok(0.0)
            self._replay_backoff.reset()
            log.info("replayed %d spooled batches from %s", len(batches), segment.name)

    def _write_spooled(self, points: list[Point]) -> None:
        try:
            self._store.write(points)
        except StoreRejected as exc:
            # The messages were acknowledged when spooled: record the refusal as data, never drop it silently.
            log.error("store refused %d spooled points: %s", len(points), exc)
            for point in points:
                try:
                    self._store.write([point])
                except StoreRejected as single:
                    rejection = Rejected(RejectReason.STORE_REJECTED, f"{point.measurement}: {single}"[:300])
                    self._store.write([self._dead_letter_point(rejection, "(spool)", b"", point.time_ns)])

    def _store_one_by_one(self, batch: list[Received]) -> None:
        """After a refused batch: store each message alone; one the store refuses becomes a dead letter."""
        for entry in batch:
            while True:
                try:
                    if entry.points:
                        self._store.write(entry.points)
                    self.stats.points_written += len(entry.points)
                    break
                except StoreRejected as exc:
                    rejection = Rejected(RejectReason.STORE_REJECTED, str(exc)[:300])
                    entry.points = [self._dead_letter_point(rejection, entry.topic, entry.payload, entry.received_ns)]
                except StoreUnavailable:
                    time.sleep(self._backoff.next_delay())

    def _requeue(self, batch: list[Received]) -> None:
        with self._cond:
            self._pending.extendleft(reversed(batch))
            self._pending_points += sum(len(entry.points) for entry in batch)
