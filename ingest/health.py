"""The ingest's own /healthz and /metrics (Prometheus), served on ``--health-port``.

Figures are read from the service when scraped (a custom collector), so the hot path pays nothing for them.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ridebuy.ingest.service import IngestService

log = logging.getLogger(__name__)

NO_PROGRESS_S = 20.0
"""Messages waiting this long with nothing stored (or spooled) meanwhile: the ingest is stuck, health says so."""


@dataclass(frozen=True, slots=True)
class Health:
    status: str
    """``ok``; ``degraded`` while the store is down or a spooled backlog waits (data is safe, not yet stored);
    ``failing`` while the broker is unreachable (nothing comes in) or nothing is stored while messages wait
    (nothing goes out, see NO_PROGRESS_S)."""
    broker_connected: bool
    store_ok: bool
    messages_received: int
    messages_stored: int
    """Stored or spooled: safe, and acknowledged."""
    pending_messages: int
    spool_bytes: int
    spool_full: bool
    stalled_s: float
    """How long messages have waited with nothing stored meanwhile."""
    problems: tuple[str, ...]


def health_of(service: IngestService, now_ns: int | None = None) -> Health:
    stats = service.write_path.stats
    spool_bytes = service.spool.size_bytes if service.spool is not None else 0
    stalled_s = service.write_path.stalled_s(now_ns)
    stuck = stalled_s >= NO_PROGRESS_S
    problems = []
    if not service.listener.connected:
        problems.append("not connected to the broker")
    if stuck:
        problems.append(f"no progress: {service.write_path.depth} messages waiting, none stored for {stalled_s:.0f} s")
    if not stats.store_ok:
        problems.append("store unavailable")
    if spool_bytes:
        problems.append(f"{spool_bytes} bytes spooled, waiting for the store")
    if stats.spool_full:
        problems.append("spool full: messages held at the broker")
    if service.spool is not None and service.spool.damage:
        problems.append(f"{len(service.spool.damage)} damaged spool segment(s) set aside, see the log")
    status = "failing" if not service.listener.connected or stuck else ("degraded" if problems else "ok")
    return Health(
        status,
        service.listener.connected,
        stats.store_ok,
        service.handler.received,
        stats.messages_stored,
        service.write_path.depth,
        spool_bytes,
        stats.spool_full,
        round(stalled_s, 1),
        tuple(problems),
    )


class IngestCollector(Collector):
    def __init__(self, service: IngestService) -> None:
        self._service = service

    def collect(self) -> Iterator[Metric]:
        service = self._service
        stats = service.write_path.stats
        yield CounterMetricFamily(
            "ridebuy_ingest_messages_received", "MQTT messages received", value=service.handler.received
        )
        yield CounterMetricFamily(
            "ridebuy_ingest_messages_stored", "Messages whose points are stored or spooled", value=stats.messages_stored
        )
        rejected = CounterMetricFamily("ridebuy_ingest_messages_rejected", "Dead-lettered messages", labels=["reason"])
        for reason, count in sorted(service.dead_letters.total.items()):
            rejected.add_metric([reason], count)
        yield rejected
        yield CounterMetricFamily(
            "ridebuy_ingest_points_written", "Points written to the store", value=stats.points_written
        )
        yield CounterMetricFamily(
            "ridebuy_ingest_store_write_failures", "Failed store writes", value=stats.write_failures
        )
        refused = CounterMetricFamily(
            "ridebuy_ingest_points_refused", "Points the store refused for good", labels=["measurement"]
        )
        for measurement, count in sorted(stats.points_refused.items()):
            refused.add_metric([measurement], count)
        yield refused
        yield CounterMetricFamily(
            "ridebuy_ingest_dead_letters_fallback",
            "Dead letters the store refused, stored in their fallback form",
            value=stats.dead_letters_fallback,
        )
        yield CounterMetricFamily(
            "ridebuy_ingest_dead_letters_lost",
            "Dead letters refused even in their fallback form: in the log only",
            value=stats.dead_letters_lost,
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_stalled_seconds",
            "How long messages have waited with nothing stored meanwhile",
            value=service.write_path.stalled_s(),
        )
        yield CounterMetricFamily(
            "ridebuy_ingest_batches_spooled", "Batches spooled to disk", value=stats.batches_spooled
        )
        yield CounterMetricFamily(
            "ridebuy_ingest_batches_replayed", "Spooled batches replayed", value=stats.batches_replayed
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_buffer_depth", "Messages received, not yet stored", value=service.write_path.depth
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_spool_bytes",
            "Bytes waiting in the disk spool",
            value=service.spool.size_bytes if service.spool is not None else 0,
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_store_write_seconds", "Duration of the last store write", value=stats.last_write_s
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_store_up", "1 when the last store write succeeded", value=int(stats.store_ok)
        )
        yield GaugeMetricFamily(
            "ridebuy_ingest_broker_connected", "1 while connected to the broker", value=int(service.listener.connected)
        )


class HealthServer:
    """A small HTTP server in a thread: ``GET /healthz`` (JSON) and ``GET /metrics``."""

    def __init__(self, service: IngestService, host: str, port: int) -> None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(IngestCollector(service))

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/healthz":
                    health = health_of(service)
                    body = json.dumps(_as_dict(health)).encode()
                    self._send(200 if health.status != "failing" else 503, "application/json", body)
                elif self.path == "/metrics":
                    self._send(200, "text/plain; version=0.0.4; charset=utf-8", generate_latest(registry))
                else:
                    self._send(404, "application/json", b'{"detail": "not found: try /healthz or /metrics"}')

            def _send(self, status: int, content_type: str, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                log.debug("health: " + format, *args)

        self._server = ThreadingHTTPServer((host, port), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="health", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _as_dict(health: Health) -> dict[str, object]:
    return {
        "status": health.status,
        "broker_connected": health.broker_connected,
        "store_ok": health.store_ok,
        "messages_received": health.messages_received,
        "messages_stored": health.messages_stored,
        "pending_messages": health.pending_messages,
        "spool_bytes": health.spool_bytes,
        "spool_full": health.spool_full,
        "stalled_s": health.stalled_s,
        "problems": list(health.problems),
    }
