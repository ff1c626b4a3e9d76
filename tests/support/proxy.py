"""A loopback TCP proxy between a client and a real broker that splits what the broker sends into single bytes.

Every byte from the broker goes out in a send of its own (TCP_NODELAY, with a pause now and then), so the client
sees packets cut at every boundary; the proxy also records those bytes, and can drop every connection at once.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

from tests.support.ports import free_port


class SplittingProxy:
    def __init__(self, broker_port: int, pause_every: int = 7) -> None:
        self.port = free_port()
        self._broker_port = broker_port
        self._pause_every = pause_every
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.from_broker = bytearray()
        """Everything the broker sent through the proxy, in order (all connections)."""
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                broker = socket.create_connection(("127.0.0.1", self._broker_port))
            except OSError:
                client.close()
                continue
            for sock in (client, broker):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._sockets += [client, broker]
            threading.Thread(target=self._pipe, args=(client, broker, False), daemon=True).start()
            threading.Thread(target=self._pipe, args=(broker, client, True), daemon=True).start()

    def _pipe(self, source: socket.socket, target: socket.socket, split: bool) -> None:
        sent = 0
        try:
            while data := source.recv(65536):
                if not split:
                    target.sendall(data)
                    continue
                with self._lock:
                    self.from_broker += data
                for byte in data:
                    target.sendall(bytes((byte,)))
                    sent += 1
                    if sent % self._pause_every == 0:
                        time.sleep(0.0005)  # let the client read what it has: one read per byte or so
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def drop_connections(self) -> None:
        """Cut every proxied connection (both sides see the TCP connection end)."""
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self.drop_connections()
