"""Messages from the MQTT session's thread to the API's event loop, in batches, folded in short slices.

The session (ridebuy.shared.mqtt5_session) parses packets on a thread of its own. Waking the event loop for every
message would cost a self-pipe write and a loop iteration per message; instead the first message of a batch wakes
it and the rest queue behind (one wake-up per batch). The loop folds what is queued in slices of ``SLICE_S`` and
yields between them, so an HTTP request never waits behind a long backlog: it waits one slice at most.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable

SLICE_S = 0.002
"""Longest stretch of folding before the event loop serves anything else."""
CHECK_EVERY = 16
"""Messages folded between two looks at the clock."""

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
    ) -> None:
        self._fold = fold
        self._loop = loop
        self._clock_ns = clock_ns
        self._slice_s = slice_s
        self._pending: deque[tuple[str, bytes]] = deque()
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
                if not pending:
                    break
                self._awake = True

    async def fold_queued(self) -> None:
        """Fold everything queued, yielding to the event loop after every slice."""
        pending, fold, clock_ns, perf = self._pending, self._fold, self._clock_ns, time.perf_counter
        while pending:
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
