"""Per-client rate limit of the API (the ``limits`` library's moving window, in memory): 429 with Retry-After.

The client is the connection's address, or the one a trusted reverse proxy names (uvicorn's
``forwarded_allow_ips``, set from RIDEBUY_API_TRUSTED_PROXIES). Each API replica counts on its own: behind a load
balancer a client gets up to the limit from each replica. Health and metrics are exempt (orchestrators and
Prometheus poll them).
"""

from __future__ import annotations

import json
import logging
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.types import ASGIApp, Receive, Scope, Send

from ridebuy.api.metrics import ApiMetrics

log = logging.getLogger(__name__)

EXEMPT_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RateLimit:
    def __init__(self, app: ASGIApp, rate: str, metrics: ApiMetrics) -> None:
        self.app = app
        self.items: list[RateLimitItem] = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(MemoryStorage())
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in EXEMPT_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        key = client[0] if client else "unknown"
        for item in self.items:
            if not self.limiter.test(item, key):
                await self._refuse(send, item, key)
                return
        for item in self.items:
            self.limiter.hit(item, key)
        await self.app(scope, receive, send)

    async def _refuse(self, send: Send, item: RateLimitItem, key: str) -> None:
        reset_s, _ = self.limiter.get_window_stats(item, key)
        retry_after = max(1, math.ceil(reset_s - time.time()))
        self.metrics.rate_limited.inc()
        log.debug("rate limit %s reached by %s", item, key)
        body = json.dumps(
            {"detail": f"too many requests from your address (limit {item}); retry in {retry_after} s"}
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(retry_after).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
