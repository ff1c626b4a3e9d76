"""The write path: batch points of received messages, store them, then acknowledge the messages.

A message is acknowledged only after the store accepted its points, so a crash costs redelivery, never loss.
Batches are bounded in points (``batch_size``) and in time (``batch_interval_s``). While the store is down the
batch is retried with jittered backoff and nothing is acknowledged: the broker's in-flight window (MQTT 5
Receive Maximum) then bounds how much is held here.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from devices.rejections import Rejected, RejectReason
from ridebuy.backoff import Backoff
from ridebuy.store.base import Store, StoreRejected, StoreUnavailable
from ridebuy.store.points import Point

log = logging.getLogger(__name__)

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


@dataclass(slots=True)
class WriteStats:
    messages_stored: int = 0
    points_written: int = 0
    batches_written: int = 0
    write_failures: int = 0
    store_ok: bool = True
    last_write_s: float = 0.0


class WritePath:
    def __init__(
        self,
        store: Store,
        acknowledge: Acknowledge,
        dead_letter_point: DeadLetterPoint,
        batch_size: int = 5_000,
        batch_interval_s: float = 0.2,
        backoff: Backoff | None = None,
    ) -> None:
        self._store = store
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
                    self._cond.wait(0.1)
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
        points = [point for entry in batch for point in entry.points]
        while True:
            started = time.monotonic()
            try:
                if points:
                    self._store.write(points)
                break
            except StoreUnavailable as exc:
                self.stats.write_failures += 1
                if self.stats.store_ok:
                    log.error("store unavailable, holding %d messages unacknowledged: %s", len(batch), exc)
                self.stats.store_ok = False
                delay = self._backoff.next_delay()
                if give_up is not None and time.monotonic() + delay > give_up:
                    self._requeue(batch)
                    return False
                time.sleep(delay)
            except StoreRejected as exc:
                log.error("store refused a batch of %d points (%s); isolating the bad messages", len(points), exc)
                self._store_one_by_one(batch)
                points = []
                break
        if not self.stats.store_ok:
            log.info("store available again")
        self.stats.store_ok = True
        self._backoff.reset()
        self.stats.last_write_s = time.monotonic() - started
        self.stats.batches_written += 1
        self.stats.points_written += len(points)
        self.stats.messages_stored += len(batch)
        for entry in batch:
            self._acknowledge(entry.mid, entry.qos, entry.generation)
        return True

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
