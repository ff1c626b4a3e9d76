"""Raw client connections for tests of the API's connection limits (slow or held clients)."""

from __future__ import annotations

import socket


def held_connection(port: int, path: str = "/healthz", extra_header: str = "") -> socket.socket | None:
    """A connection from 127.0.0.1 that starts a request and never finishes its headers (slowloris); None when the
    server refused it at once."""
    try:
        connection = socket.create_connection(("127.0.0.1", port), timeout=5)
        connection.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra_header}".encode())
    except OSError:
        return None
    return connection


def closed_by_server(connection: socket.socket, wait_s: float = 0.0) -> bool:
    """Whether the server closed (or reset) ``connection``, waiting up to ``wait_s`` for it (0: look once)."""
    if wait_s > 0:
        connection.settimeout(wait_s)
    else:
        connection.setblocking(False)
    try:
        return connection.recv(1024) == b""
    except (BlockingIOError, TimeoutError):
        return False
    except OSError:  # reset: closed too
        return True
