"""An MQTT broker inside the process (amqtt), for ``ridebuy demo``: loopback only, anonymous, MQTT 3.1.1.

It runs on an event loop of its own in a background thread, so synchronous callers (the demo, tests) start and
stop it with plain calls. Not for production: a real deployment uses Mosquitto or an MQTT cluster with
per-device credentials (docs/design.md, security).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import socket
import threading
from concurrent.futures import Future
from typing import Any

from amqtt.broker import Broker

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
USUAL_PORT = 1883
START_TIMEOUT_S = 15.0
STOP_TIMEOUT_S = 10.0


class EmbeddedBrokerError(RuntimeError):
    """The embedded broker could not start; the message says why."""


def port_is_free(host: str, port: int) -> bool:
    """Whether nothing listens on ``host:port`` (a port in TIME_WAIT counts as free, as servers reuse it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str = HOST) -> int:
    """A port nothing listens on right now, chosen by the system."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def broker_config(host: str, port: int) -> dict[str, Any]:
    """amqtt's configuration: one TCP listener on ``host:port``, anonymous clients, no $SYS or packet logging."""
    return {
        "listeners": {"default": {"type": "tcp", "bind": f"{host}:{port}"}},
        "plugins": {"amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}},
    }


class EmbeddedBroker:
    """``start()`` it (on port 1883, or a free port when 1883 is taken), use :attr:`url`, ``stop()`` it."""

    def __init__(self, host: str = HOST, port: int | None = None) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError(f"the embedded broker listens on loopback only, not on {host!r}")
        self.host = host
        self._wanted_port = port
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The broker's URL for ridebuy's clients (``protocol=3.1.1``: amqtt does not speak MQTT 5)."""
        if self.port is None:
            raise RuntimeError("the embedded broker is not started")
        return f"mqtt://{self.host}:{self.port}?protocol=3.1.1"

    def _choose_port(self) -> int:
        if self._wanted_port is not None:
            if self._wanted_port and not port_is_free(self.host, self._wanted_port):
                raise EmbeddedBrokerError(f"port {self._wanted_port} on {self.host} is in use: choose another")
            return self._wanted_port or free_port(self.host)
        if port_is_free(self.host, USUAL_PORT):
            return USUAL_PORT
        port = free_port(self.host)
        log.info("port %d is in use (another MQTT broker?): the embedded broker takes port %d", USUAL_PORT, port)
        return port

    def start(self, timeout_s: float = START_TIMEOUT_S) -> str:
        """Start listening; the broker's URL. Raises :class:`EmbeddedBrokerError` when it cannot."""
        if self._thread is not None:
            raise RuntimeError("the embedded broker is already started")
        port = self._choose_port()
        loop = asyncio.new_event_loop()
        started: Future[None] = Future()

        async def serve() -> None:
            self._broker = Broker(broker_config(self.host, port), loop=loop)
            await self._broker.start()

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            except BaseException as exc:
                started.set_exception(exc)
                loop.close()
                return
            started.set_result(None)
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="embedded-broker", daemon=True)
        self._thread.start()
        try:
            started.result(timeout_s)
        except Exception as exc:
            self._thread.join(1.0)
            self._thread = None
            raise EmbeddedBrokerError(f"the embedded MQTT broker could not start on {self.host}:{port}: {exc}") from exc
        self.port = port
        log.info("embedded MQTT broker (amqtt) listening on %s:%d", self.host, port)
        return self.url

    def stop(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Disconnect the clients, close the listener and end the thread (idempotent)."""
        loop, broker, thread = self._loop, self._broker, self._thread
        if loop is None or broker is None or thread is None:
            return
        self._thread = None
        try:
            asyncio.run_coroutine_threadsafe(broker.shutdown(), loop).result(timeout_s)
        except Exception as exc:  # a failed shutdown must not keep the process alive
            log.warning("embedded broker shutdown: %s", exc)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout_s)
        log.info("embedded MQTT broker stopped")
