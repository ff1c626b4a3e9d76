"""Slow and greedy clients: a header timeout and connection caps for uvicorn's HTTP/1.1 protocol.

uvicorn (0.54) has no timeout for a request's headers: a connection that sends ``GET / HTTP/1.1\\r\\n`` and then
nothing, or a byte now and then, stays open for ever; its keep-alive timeout starts only after a response. Its
``limit_concurrency`` is checked once the headers are complete, so it does not help either. 400 such connections
were all still open after 40 s, and with systemd's 1,024 open files, 1,100 of them made ordinary requests fail.

:func:`guarded_protocol` makes uvicorn's own protocol class (httptools) with three rules, applied as the connection
is made, before anything is read:

* the request's headers must be complete within ``header_timeout_s`` of the connection (or of the previous
  response on a kept-alive connection), else the connection is closed;
* at most ``max_connections`` connections are open at once; a new one beyond is closed at once, so the process
  never runs out of file descriptors (see :func:`connection_cap`);
* at most ``max_per_client`` of them come from one address, so one client cannot take every place; trusted
  reverse proxies (which carry many clients) are exempt.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
import resource
import time
from collections import Counter
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

RESERVED_FILES = 64
"""File descriptors kept for everything but client connections: store and broker connections, files, the loop."""
REFUSAL_LOG_EVERY_S = 60.0


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    header_timeout_s: float
    max_connections: int
    max_per_client: int
    exempt: tuple[str, ...] = ()
    """Peers exempt from ``max_per_client``, as RIDEBUY_API_TRUSTED_PROXIES gives them: addresses, networks
    (``172.16.0.0/12``) or ``*``."""

    def is_exempt(self, peer: str) -> bool:
        if "*" in self.exempt:
            return True
        try:
            address = ipaddress.ip_address(peer)
        except ValueError:
            return False
        return any(address in network for network in _networks(self.exempt))


@functools.cache
def _networks(entries: tuple[str, ...]) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            log.warning("trusted proxy %r is not an address or network: ignored for connection limits", entry)
    return tuple(networks)


def connection_cap(wanted: int) -> int:
    """``wanted`` connections, or fewer if this process may not open that many files.

    The soft RLIMIT_NOFILE is raised to the hard one first (systemd gives 1,024 soft, 524,288 hard).
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, wanted + RESERVED_FILES)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("cannot raise the open-file limit from %d to %d: %s", soft, target, exc)
    if soft == resource.RLIM_INFINITY:
        return wanted
    allowed = max(1, int(soft) - RESERVED_FILES)
    if allowed < wanted:
        log.warning(
            "the open-file limit (%d) allows %d client connections, not %d: raise it (LimitNOFILE= in systemd)",
            soft,
            allowed,
            wanted,
        )
    return min(wanted, allowed)


class _Refusals:
    """Logs refused connections at most once a minute, with how many there were."""

    def __init__(self) -> None:
        self.count = 0
        self.logged_at = 0.0

    def note(self, reason: str) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.logged_at >= REFUSAL_LOG_EVERY_S:
            log.warning("connection refused (%s); %d refused since the last such line", reason, self.count)
            self.logged_at = now
            self.count = 0


def guarded_protocol(limits: ConnectionLimits) -> type[HttpToolsProtocol]:
    """uvicorn's httptools protocol with ``limits`` enforced; give it as ``uvicorn.Config(http=...)``."""
    per_client: Counter[str] = Counter()
    refusals = _Refusals()

    class GuardedHttpToolsProtocol(HttpToolsProtocol):
        _header_timer: asyncio.TimerHandle | None = None
        _peer: str | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            peer = self.client[0] if self.client else None
            if len(self.connections) > limits.max_connections:
                refusals.note(f"{limits.max_connections} connections open")
                transport.abort()
                return
            if peer is not None and not limits.is_exempt(peer):
                if per_client[peer] >= limits.max_per_client:
                    refusals.note(f"{limits.max_per_client} connections open from {peer}")
                    transport.abort()
                    return
                per_client[peer] += 1
                self._peer = peer
            self._arm_header_timer()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm_header_timer()
            if self._peer is not None:
                per_client[self._peer] -= 1
                if per_client[self._peer] <= 0:
                    del per_client[self._peer]
                self._peer = None
            super().connection_lost(exc)

        def on_headers_complete(self) -> None:
            self._disarm_header_timer()
            super().on_headers_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            idle = self.cycle is None or self.cycle.response_complete  # not a pipelined request already started
            if idle and not self.transport.is_closing():
                self._arm_header_timer()  # the next request on this connection gets the same time

        def _arm_header_timer(self) -> None:
            self._disarm_header_timer()
            self._header_timer = self.loop.call_later(limits.header_timeout_s, self._headers_too_slow)

        def _disarm_header_timer(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
                self._header_timer = None

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if not self.transport.is_closing():
                self.transport.abort()

    return GuardedHttpToolsProtocol
