"""Write days of simulated past traffic straight into a store, in seconds: the demo's history.

The same messages the devices would have published (the simulator's :class:`~simulators.engine.Engine` at real
speed) go through the same decoding and the same points as in the ingest (:func:`devices.messages.decode_message`,
:mod:`ridebuy.store.points`, the availability fold), but skip the broker: a fortnight of the Hannut sample is
about 200,000 messages, minutes through an embedded Python broker and seconds this way. Live traffic published
through MQTT follows from where the history ends.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from ridebuy.devices.availability import AvailabilityFold
from ridebuy.devices.decoding import decode_message
from ridebuy.devices.registry import Registry
from ridebuy.devices.rejections import Rejected
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import Engine, Message
from ridebuy.store.base import Store
from ridebuy.store.points import Point, availability_point, reading_points

log = logging.getLogger(__name__)

DAY_S = 86_400
EXPIRE_EVERY_S = 300
"""How often the availability fold is re-evaluated between messages (a silent device turns its spaces unknown)."""
BATCH = 20_000
"""Points per store write."""


@dataclass(slots=True)
class HistoryStats:
    begin_s: float
    end_s: float
    messages: int = 0
    points: int = 0
    rejected: int = 0
    elapsed_s: float = 0.0


def write_history(
    store: Store,
    registry: Registry,
    *,
    days: float,
    seed: int,
    end_s: float | None = None,
    progress: Callable[[float], None] | None = None,
    drop: Callable[[Message], bool] | None = None,
    warmup_s: float = 0.0,
) -> HistoryStats:
    """Write ``days`` of traffic ending at ``end_s`` (default: now); ``progress`` gets the share done (0..1).

    ``drop`` leaves out the messages it returns True for (a device that fell silent for a while, in tests).
    ``warmup_s`` runs the devices and the availability fold that long before the start without writing: a history
    written in two parts (the recent days first) then joins without a moment when every space looks unknown.
    """
    if days <= 0:
        raise ValueError(f"days must be > 0, got {days}")
    started = time.monotonic()
    end_s = time.time() if end_s is None else end_s
    begin_s = end_s - days * DAY_S
    stats = HistoryStats(begin_s, end_s)
    first_s = begin_s - warmup_s
    engine = Engine(registry, seed, first_s)
    fold = AvailabilityFold(registry)
    batch: list[Point] = []
    next_expire_s = first_s + EXPIRE_EVERY_S
    next_progress_s = begin_s
    warming = warmup_s > 0

    def flush() -> None:
        store.write(batch)
        stats.points += len(batch)
        batch.clear()

    for message in engine.run(SimClock(first_s, first_s, 1.0), first_s, end_s):
        if drop is not None and drop(message):
            continue
        while next_expire_s <= message.real_s:
            expire_ns = int(next_expire_s * 1e9)
            changed = fold.expire(expire_ns)
            if next_expire_s >= begin_s:
                batch.extend(availability_point(a, expire_ns) for a in changed)
            next_expire_s += EXPIRE_EVERY_S
        if warming and message.due_s >= begin_s:
            # Where the history begins, every parking as the warmed-up fold sees it.
            warming = False
            begin_ns = int(begin_s * 1e9)
            fold.expire(begin_ns)
            batch.extend(availability_point(a, begin_ns) for a in fold.snapshot().values())
        received_ns = int(message.due_s * 1e9)
        try:
            readings = decode_message(message.topic, message.payload, received_ns, registry)
        except Rejected as rejection:  # pragma: no cover - the simulator sends valid messages
            stats.rejected += 1
            log.warning("history: a simulated message was rejected: %s", rejection)
            continue
        if message.due_s < begin_s:  # warming up: folded, not written
            for reading in readings:
                fold.apply(reading, reading.ts_ns)
            continue
        stats.messages += 1
        for reading in readings:
            batch.extend(reading_points(reading))
            batch.extend(availability_point(a, reading.ts_ns) for a in fold.apply(reading, reading.ts_ns))
        if len(batch) >= BATCH:
            flush()
        if progress is not None and message.real_s >= next_progress_s:
            progress((message.real_s - begin_s) / (end_s - begin_s))
            next_progress_s += DAY_S / 4
    end_ns = int(end_s * 1e9)
    batch.extend(availability_point(a, end_ns) for a in fold.expire(end_ns))
    flush()
    if progress is not None:
        progress(1.0)
    stats.elapsed_s = time.monotonic() - started
    return stats


RECENT_DAYS = 1.0
"""Written first by :func:`write_history_recent_first`: the last day shows within seconds."""
WARMUP_S = 3600.0


def write_history_recent_first(
    store: Store,
    registry: Registry,
    *,
    days: float,
    seed: int,
    end_s: float | None = None,
    progress: Callable[[float], None] | None = None,
) -> HistoryStats:
    """:func:`write_history` in two parts, the last day first, so that the API's default 24 hours and today's
    counts have their data within seconds; the days before follow. Each part warms its devices and fold up for an
    hour before it starts, so the two join without a gap (the part before ends where the recent day begins)."""
    end_s = time.time() if end_s is None else end_s
    recent = min(days, RECENT_DAYS)
    share = recent / days

    def part(offset: float, weight: float) -> Callable[[float], None] | None:
        if progress is None:
            return None
        return lambda done: progress(offset + weight * done)

    first = write_history(
        store, registry, days=recent, seed=seed, end_s=end_s, progress=part(0, share), warmup_s=WARMUP_S
    )
    if days <= recent:
        return first
    before_end_s = end_s - recent * DAY_S
    before = write_history(
        store, registry, days=days - recent, seed=seed + 1, end_s=before_end_s, progress=part(share, 1 - share)
    )
    return HistoryStats(
        before.begin_s,
        end_s,
        messages=first.messages + before.messages,
        points=first.points + before.points,
        rejected=first.rejected + before.rejected,
        elapsed_s=first.elapsed_s + before.elapsed_s,
    )
