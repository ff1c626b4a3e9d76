"""Messages from the MQTT session's thread to the API's event loop, in batches, folded in short slices.

The session (ridebuy.shared.mqtt5_session) parses packets on a thread of its own. Waking the event loop for every
message would cost a self-pipe write and a loop iteration per message; instead the first message of a batch wakes
it and the rest queue behind (one wake-up per batch). The loop folds what is queued in slices of ``SLICE_S`` and
yields between them, so an HTTP request never waits behind a long backlog: it waits one slice at most.

The queue is bounded (``max_backlog``): an API that falls that far behind (the subscription is QoS 0, the broker
does not hold back) stops queueing, drops what is queued and asks for a resync (``on_overflow``): the live state is
read again from the store, where the ingest stored every message, instead of memory growing without end.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

SLICE_S = 0.002
"""Longest stretch of folding before the event loop serves anything else."""
CHECK_EVERY = 16
"""Messages folded between two looks at the clock."""
MAX_BACKLOG = 200_000
"""Messages queued at most (about 10 s of a 20,000 msg/s stream, some 60 MB) before the fold gives up and resyncs."""

log = logging.getLogger(__name__)

Fold = Callable[[str, bytes, int], object]
"""``fold(topic, payload, now_ns)``: LiveState.handle_message."""


class BatchFolder:
    """``put`` on any thread; ``run`` on the event loop (until cancelled) folds what was put, in order."""

    def __init__(
        self,
        fold: Fold,
        loop: asyncio.AbstractEventLoop,
        clock_ns: Callable[[], int] = time.time_ns,
        slice_s: float = SLICE_S,
        max_backlog: int = MAX_BACKLOG,
        on_overflow: Callable[[], None] | None = None,
    ) -> None:
        """``on_overflow`` is called on the event loop once the queue was dropped for being full."""
        self._fold = fold
        self._loop = loop
        self._clock_ns = clock_ns
        self._slice_s = slice_s
        self._pending: deque[tuple[str, bytes]] = deque()
        self._max_backlog = max_backlog
        self._on_overflow = on_overflow
        self._overflowed = False
        """Set by the session's thread when the queue is full (nothing more is queued); cleared by the loop."""
        self.overflows = 0
        self._wake = asyncio.Event()
        self._awake = False
        """True from the wake-up call until the loop has found the queue empty: no further wake-up needed."""
        self.wakeups = 0
        self.folded = 0

    @property
    def backlog(self) -> int:
        return len(self._pending)

    def put(self, topic: str, payload: bytes) -> None:
        """Queue a message (the session's thread); wakes the event loop only if it is not awake already."""
        if self._overflowed:
            return
        if len(self._pending) >= self._max_backlog:
            self._overflowed = True  # the loop drops the queue and resyncs (the queue is only emptied there)
        else:
            self._pending.append((topic, payload))
        if not self._awake:
            self._awake = True
            self.wakeups += 1
            self._loop.call_soon_threadsafe(self._wake.set)

    async def run(self) -> None:
        pending = self._pending
        while True:
            await self._wake.wait()
            self._wake.clear()
            while True:
                await self.fold_queued()
                self._awake = False  # before the last look: a message put after it wakes us again
                if not pending and not self._overflowed:
                    break
                self._awake = True

    async def fold_queued(self) -> None:
        """Fold everything queued, yielding to the event loop after every slice."""
        pending, fold, clock_ns, perf = self._pending, self._fold, self._clock_ns, time.perf_counter
        while True:
            if self._overflowed:
                self._drop_backlog()
            if not pending:
                return
            deadline = perf() + self._slice_s
            count = 0
            while pending:
                topic, payload = pending.popleft()
                fold(topic, payload, clock_ns())
                count += 1
                if count % CHECK_EVERY == 0 and perf() >= deadline:
                    break
            self.folded += count
            await asyncio.sleep(0)

    def _drop_backlog(self) -> None:
        """The queue was full: empty it (on the loop, the only side that takes from it), accept messages again and
        ask for a resync. A message put between the two is folded after the resync: last value by measurement time
        keeps the live state right either way."""
        dropped = len(self._pending)
        self._pending.clear()
        self._overflowed = False
        self.overflows += 1
        log.warning(
            "live state fell %d messages behind the stream: dropped them, reading the live state again from the store",
            dropped,
        )
        if self._on_overflow is not None:
            self._on_overflow()
