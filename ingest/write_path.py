"""The write path: batch points of received messages, store them, then acknowledge the messages.

A message is acknowledged only after the store accepted its points, so a crash costs redelivery, never loss.
Batches are bounded in points (``batch_size``) and in time (``batch_interval_s``). While the store is down,
batches go to the disk spool (ingest.spool), are acknowledged once fsync'ed there, and are replayed in order when
the store returns; while a backlog is spooled, new batches join it, so order holds. Without a spool, or with a
full one, batches are retried with jittered backoff and nothing is acknowledged: the broker's in-flight window
(MQTT 5 Receive Maximum) then bounds how much is held in memory, and the broker keeps the rest. While the store
is down the flusher probes it (``Store.ping``) and resumes as soon as it answers, whatever the backoff.

A store that refuses points (a field type conflict) refuses them one by one, and each refusal is settled once,
never retried: the refused points are found in a few requests (ingest.refused_points); a message whose own
reading is refused becomes a ``store_rejected`` dead letter; a refused derived point (availability) is logged and
counted, the message is not at fault; a refused dead letter takes its fallback form (ingest.dead_letters), and a
refused fallback ends in the log. Every message of the batch is then acknowledged.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.ingest.dead_letters import fallback_point
from ridebuy.ingest.refused_points import find_refused
from ridebuy.ingest.spool import Spool, SpoolFull
from ridebuy.ingest.throttled_log import ThrottledLog
from ridebuy.shared.backoff import Backoff
from ridebuy.store.base import Store, StoreRejected, StoreUnavailable
from ridebuy.store.points import Measurement, Point

log = logging.getLogger(__name__)

IDLE_WAIT_S = 0.1
"""With nothing to write, the flusher looks at the spool this often."""
PROBE_EVERY_S = 0.5
"""While the store is down, it is pinged this often, so that writing resumes as soon as it is back."""
DERIVED = frozenset({Measurement.AVAILABILITY})
"""Points the ingest derives from the stream: their refusal is the ingest's problem, not the message's."""

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
    points_refused: Counter[str] = field(default_factory=Counter)
    """Points the store refused for good, by measurement (each settled once: dead letter, fallback or log)."""
    dead_letters_fallback: int = 0
    """Dead letters the store refused, stored in their fallback form."""
    dead_letters_lost: int = 0
    """Dead letters whose fallback form was refused too: they are in the log only."""
    last_progress_ns: int = field(default_factory=time.time_ns)
    """When a batch was last stored or spooled (or the write path started)."""


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
        self._writing: list[Received] = []
        self._log = ThrottledLog(log)
        self._next_probe = 0.0
        self._store_answered = True
        self._first_at = 0.0
        self._cond = threading.Condition()
        self.stats = WriteStats()

    @property
    def depth(self) -> int:
        """Messages received and not yet stored (the batch being written included)."""
        with self._cond:
            return len(self._pending) + len(self._writing)

    def stalled_s(self, now_ns: int | None = None) -> float:
        """How long messages have waited with nothing stored meanwhile (0 when none waits)."""
        with self._cond:
            waiting = self._writing[0] if self._writing else (self._pending[0] if self._pending else None)
        if waiting is None:
            return 0.0
        now_ns = time.time_ns() if now_ns is None else now_ns
        return max(now_ns - max(waiting.received_ns, self.stats.last_progress_ns), 0) / 1e9

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
        with self._cond:
            self._writing = batch
        try:
            if not self._store_or_spool(batch, give_up):
                self._requeue(batch)
                return False
        finally:
            with self._cond:
                self._writing = []
        self._backoff.reset()
        self.stats.spool_full = False
        self.stats.last_progress_ns = time.time_ns()
        self.stats.batches_written += 1
        self.stats.messages_stored += len(batch)
        for entry in batch:
            self._acknowledge(entry.mid, entry.qos, entry.generation)
        return True

    def _store_or_spool(self, batch: list[Received], give_up: float | None) -> bool:
        started = time.monotonic()
        while True:
            if self._spool is not None and not self._spool.is_empty():
                self._replay_if_due()
            if self._spool is None or self._spool.is_empty():
                try:
                    self._write_batch(batch)
                    self._note_store_ok(time.monotonic() - started)
                    return True
                except StoreUnavailable as exc:
                    self._note_store_down(exc, len(batch))
            if self._spool is not None and self._spool_batch([p for entry in batch for p in entry.points]):
                self.stats.batches_spooled += 1
                return True
            delay = self._backoff.next_delay()
            if give_up is not None and time.monotonic() + delay > give_up:
                return False
            self._await_store(delay)

    def _await_store(self, delay_s: float) -> None:
        """Wait ``delay_s`` before retrying, or less: until the store answers again after not answering (one that
        answers but did not take the write gets the whole backoff, not a stream of retries)."""
        deadline = time.monotonic() + delay_s
        self._store_came_back()
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(PROBE_EVERY_S, left))
            if self._store_came_back():
                self._replay_due = 0.0
                return

    def _store_came_back(self) -> bool:
        """Ping the store: True when it answers and did not at the previous ping."""
        answered, self._store_answered = self._store_answered, self._store.ping()
        if self._store_answered and not answered:
            log.info("store answers again; resuming")
        return self._store_answered and not answered

    def _write_batch(self, batch: list[Received]) -> None:
        """Write a batch's points, settling refused ones (see the module docstring); StoreUnavailable propagates."""
        points = [point for entry in batch for point in entry.points]
        refused = self._write_settling(points, dead_letters_of=batch)
        self.stats.points_written += len(points) - len(refused)

    def _write_settling(
        self, points: Sequence[Point], dead_letters_of: list[Received] | None
    ) -> dict[Point, StoreRejected]:
        """Write ``points``; settle each refused one once and return them. A refused reading becomes a dead
        letter of its message (of ``dead_letters_of``; spooled points have lost theirs)."""
        refused = self._refused_of(points)
        if not refused:
            return refused
        derived = [point for point in refused if point.measurement in DERIVED]
        if derived:
            self._log.error(
                "store refused %d derived points (%s); they are not stored: %s",
                len(derived),
                ", ".join(sorted({point.measurement for point in derived})),
                refused[derived[0]],
            )
        refused_dead_letters = [point for point in refused if point.measurement == Measurement.INGEST_ERRORS]
        new_dead_letters: list[Point] = []
        if dead_letters_of is None:
            for point, refusal in refused.items():
                if point.measurement not in DERIVED and point.measurement != Measurement.INGEST_ERRORS:
                    rejection = Rejected(RejectReason.STORE_REJECTED, f"{point.measurement}: {refusal}"[:300])
                    new_dead_letters.append(self._dead_letter_point(rejection, "(spool)", b"", point.time_ns))
        else:
            for entry in dead_letters_of:
                own = next((p for p in entry.points if p in refused and p.measurement not in DERIVED), None)
                if own is not None and own.measurement != Measurement.INGEST_ERRORS:
                    rejection = Rejected(RejectReason.STORE_REJECTED, f"{own.measurement}: {refused[own]}"[:300])
                    new_dead_letters.append(
                        self._dead_letter_point(rejection, entry.topic, entry.payload, entry.received_ns)
                    )
        self._store_dead_letters(new_dead_letters, refused_dead_letters)
        return refused

    def _store_dead_letters(self, dead_letters: list[Point], refused: list[Point]) -> None:
        """Store new dead letters; refused ones (and ``refused``, already refused) in their fallback form; refused
        fallbacks end in the log (the dead letter itself was logged when it was made)."""
        fallbacks = [fallback_point(point) for point in [*refused, *self._refused_of(dead_letters)]]
        lost = self._refused_of(fallbacks)
        self.stats.dead_letters_fallback += len(fallbacks) - len(lost)
        self.stats.dead_letters_lost += len(lost)
        if lost:
            self._log.error(
                "store refused %d dead letters even in their fallback form (%s); they are only in the log",
                len(lost),
                next(iter(lost.values())),
            )

    def _refused_of(self, points: Sequence[Point]) -> dict[Point, StoreRejected]:
        """Write ``points``; the ones the store refuses (counted, not settled)."""
        if not points:
            return {}
        try:
            self._store.write(points)
            return {}
        except StoreRejected as exc:
            self._log.warning("store refused a write of %d points (%s); finding the refused ones", len(points), exc)
            refused = find_refused(self._store.write, points, exc)
        self.stats.points_refused.update(point.measurement for point in refused)
        return refused

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
        if self._spool is None or self._spool.is_empty():
            return
        now = time.monotonic()
        if now < self._replay_due:
            if now < self._next_probe:
                return
            self._next_probe = now + PROBE_EVERY_S
            if not self._store_came_back():
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
        # The messages were acknowledged when spooled: a refusal is settled as data, never dropped silently.
        self._write_settling(points, dead_letters_of=None)

    def _requeue(self, batch: list[Received]) -> None:
        with self._cond:
            self._pending.extendleft(reversed(batch))
            self._pending_points += sum(len(entry.points) for entry in batch)
