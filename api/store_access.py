"""The API's calls to the store: off the event loop, timed, bounded, and failing as :class:`StoreUnavailable`.

The Store protocol is synchronous (a backend may block on HTTP), so each call runs in a worker thread. A stalled
store must not stall a request forever: past ``timeout_s`` the request gives up (the thread is abandoned and ends
when the backend's own timeout fires).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import TypeVar

import anyio

from ridebuy.api.metrics import ApiMetrics
from ridebuy.store.base import (
    AvailabilityBucket,
    CountBucket,
    DeviceSnapshot,
    Rejection,
    Store,
    StoreError,
    StoreUnavailable,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

DEFAULT_TIMEOUT_S = 15.0


class StoreAccess:
    def __init__(self, store: Store, metrics: ApiMetrics, timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        self._store = store
        self._metrics = metrics
        self._timeout_s = timeout_s

    @property
    def store(self) -> Store:
        return self._store

    async def device_snapshots(self) -> list[DeviceSnapshot]:
        return await self._call("device_snapshots", self._store.device_snapshots)

    async def parking_history(
        self, parking_id: str, start_ns: int, end_ns: int, every_s: int
    ) -> list[AvailabilityBucket]:
        return await self._call(
            "parking_history", functools.partial(self._store.parking_history, parking_id, start_ns, end_ns, every_s)
        )

    async def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None
    ) -> list[CountBucket]:
        return await self._call(
            "counter_counts",
            functools.partial(self._store.counter_counts, counter_id, start_ns, end_ns, every_s, direction),
        )

    async def recent_rejections(self, limit: int, reason: str | None, since_ns: int | None) -> list[Rejection]:
        return await self._call(
            "recent_rejections", functools.partial(self._store.recent_rejections, limit, reason, since_ns)
        )

    async def ping(self, timeout_s: float = 2.0) -> bool:
        try:
            return await self._call("ping", self._store.ping, timeout_s)
        except StoreUnavailable:
            return False

    async def _call(self, operation: str, function: Callable[[], T], timeout_s: float | None = None) -> T:
        started = time.perf_counter()
        try:
            with anyio.fail_after(timeout_s or self._timeout_s):
                return await anyio.to_thread.run_sync(function, abandon_on_cancel=True)
        except TimeoutError:
            self._metrics.store_errors.labels(operation).inc()
            limit_s = timeout_s or self._timeout_s
            raise StoreUnavailable(f"the store did not answer {operation} within {limit_s} s") from None
        except StoreError:
            self._metrics.store_errors.labels(operation).inc()
            raise
        finally:
            self._metrics.store_latency.labels(operation).observe(time.perf_counter() - started)
