"""Drives the engine in time: an optional backfill of history as fast as allowed, then live traffic.

The runner reads the wall clock and waits through a :class:`Timer`, so tests can drive it with a fake clock,
and hands each message to a :class:`Sink` (the MQTT publisher, or a list in tests).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from ridebuy.devices.registry import Registry
from ridebuy.devices.topics import MessageKind
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import COUNTER_INTERVAL_S, LIVE_ANNOUNCE_S, CounterMode, Engine, Message

log = logging.getLogger(__name__)

DAY_S = 86_400


class Timer(Protocol):
    """The wall clock and a way to wait that a stop request interrupts."""

    def now(self) -> float:
        """Real time, epoch seconds."""
        ...

    def wait(self, seconds: float) -> bool:
        """Wait up to ``seconds``; True as soon as a stop is requested."""
        ...

    @property
    def stopped(self) -> bool: ...


class Sink(Protocol):
    def send(self, message: Message) -> bool:
        """Hand one message over (may block for back-pressure); False when a stop interrupted the wait."""
        ...


class RealTimer:
    """The system clock; a :class:`threading.Event` (set by the signal handlers) requests the stop."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def now(self) -> float:
        return time.time()

    def wait(self, seconds: float) -> bool:
        return self.stop.wait(max(0.0, seconds))

    @property
    def stopped(self) -> bool:
        return self.stop.is_set()


@dataclass(frozen=True, slots=True)
class SimulationOptions:
    seed: int = 0
    speed: float = 1.0
    """Simulated seconds per real second (the pattern's clock only; timestamps stay real)."""
    start_s: float | None = None
    """Simulated moment the live run starts from (epoch seconds); None: now."""
    backfill_days: float = 0.0
    """Days of history published first, with past timestamps, as fast as ``rate`` allows."""
    rate: float | None = None
    """Most messages per second, overall; None: no limit."""
    duration_s: float | None = None
    """Real seconds of live traffic before stopping; None: until stopped."""
    count: int | None = None
    """Messages to send (backfill included) before stopping; None: no limit."""
    counter_mode: CounterMode = CounterMode.INTERVAL
    counter_interval_s: int = COUNTER_INTERVAL_S

    def __post_init__(self) -> None:
        problems = [
            f"{name} must be > 0, got {value}"
            for name, value in (("speed", self.speed), ("rate", self.rate), ("duration_s", self.duration_s))
            if value is not None and not value > 0
        ]
        if self.backfill_days < 0:
            problems.append(f"backfill_days must be >= 0, got {self.backfill_days}")
        if self.count is not None and self.count < 0:
            problems.append(f"count must be >= 0, got {self.count}")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(slots=True)
class Stats:
    """What the run has done so far; read by the progress display from another thread."""

    phase: str = "starting"
    sent: int = 0
    by_kind: Counter[MessageKind] = field(default_factory=Counter)
    sim_s: float | None = None
    """Simulated moment of the latest message."""
    ts_s: float | None = None
    """Real timestamp of the latest message."""
    started_s: float = field(default_factory=time.time)
    finished: str = ""
    """Why the run ended: 'count', 'duration', 'stopped' or 'backfill' (empty while it runs)."""


class _Pacer:
    """At most ``rate`` messages per second (no burst beyond one message)."""

    def __init__(self, rate: float | None, timer: Timer) -> None:
        self._gap_s = 1.0 / rate if rate else 0.0
        self._timer = timer
        self._next_s = 0.0

    def pace(self) -> bool:
        """Wait for the next slot; False when stopped meanwhile."""
        if not self._gap_s:
            return not self._timer.stopped
        now = self._timer.now()
        if self._next_s > now and self._timer.wait(self._next_s - now):
            return False
        self._next_s = max(self._next_s, now) + self._gap_s
        return not self._timer.stopped


class Simulation:
    """One run: ``registry`` devices, ``options``, messages to ``sink``, time from ``timer``."""

    def __init__(self, registry: Registry, options: SimulationOptions, sink: Sink, timer: Timer) -> None:
        self.registry = registry
        self.options = options
        self.stats = Stats()
        self._sink = sink
        self._timer = timer
        self._pacer = _Pacer(options.rate, timer)

    def run(self) -> Stats:
        options, timer = self.options, self._timer
        now = timer.now()
        self.stats.started_s = now
        history_s = options.backfill_days * DAY_S
        first_sim_s = now - history_s if history_s else (options.start_s if options.start_s is not None else now)
        engine = Engine(
            self.registry,
            options.seed,
            first_sim_s,
            counter_mode=options.counter_mode,
            counter_interval_s=options.counter_interval_s,
        )
        if history_s:
            self.stats.phase = "backfill"
            begin = now - history_s
            log.info("backfill: %.1f days of history from %s", options.backfill_days, time.ctime(begin))
            if not self._send_all(engine.run(SimClock(begin, begin, 1.0), begin, now), live=False):
                return self._finish()
        self.stats.phase = "live"
        sim_start = options.start_s if options.start_s is not None else now
        clock = SimClock(now, sim_start, options.speed)
        deadline = timer.now() + options.duration_s if options.duration_s is not None else None
        self._send_all(engine.run(clock, now, None, announce_s=LIVE_ANNOUNCE_S), live=True, deadline=deadline)
        return self._finish()

    def _send_all(self, messages: Iterator[Message], *, live: bool, deadline: float | None = None) -> bool:
        """Send until the messages run out (True) or a stop condition is met (False, reason in stats)."""
        timer, stats, count = self._timer, self.stats, self.options.count
        if count is not None and stats.sent >= count:
            stats.finished = "count"
            return False
        for message in messages:
            if live and not self._wait_until(message.due_s, deadline):
                return False
            if not self._pacer.pace() or not self._sink.send(message):
                stats.finished = "stopped"
                return False
            stats.sent += 1
            stats.by_kind[message.kind] += 1
            stats.sim_s, stats.ts_s = message.sim_s, message.real_s
            if count is not None and stats.sent >= count:
                stats.finished = "count"
                return False
            if deadline is not None and timer.now() >= deadline:
                stats.finished = "duration"
                return False
        return True

    def _wait_until(self, due_s: float, deadline: float | None) -> bool:
        """Wait for a message's time; False (reason in stats) when a stop or the deadline comes first."""
        timer = self._timer
        while True:
            now = timer.now()
            if timer.stopped:
                self.stats.finished = "stopped"
                return False
            if deadline is not None and min(now, due_s) >= deadline:
                self.stats.finished = "duration"
                return False
            if now >= due_s:
                return True
            until = due_s if deadline is None else min(due_s, deadline)
            timer.wait(until - now)

    def _finish(self) -> Stats:
        self.stats.phase = "done"
        if not self.stats.finished:
            self.stats.finished = "stopped" if self._timer.stopped else "backfill"
        return self.stats
