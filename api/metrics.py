"""Prometheus metrics of one API instance, in a registry of its own (several apps may live in one process)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest

from ridebuy.devices.rejections import RejectReason

CONTENT_TYPE = CONTENT_TYPE_LATEST


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.messages_received = Counter(
            "ridebuy_api_messages_received", "MQTT messages the API's live state received", registry=self.registry
        )
        self.messages_rejected = Counter(
            "ridebuy_api_messages_rejected",
            "MQTT messages the live state could not use, by reason",
            ["reason"],
            registry=self.registry,
        )
        for reason in RejectReason:
            self.messages_rejected.labels(reason.value)
        self.availability_changes = Counter(
            "ridebuy_api_availability_changes",
            "changes of a parking's free/occupied/unknown/status",
            registry=self.registry,
        )
        self.broker_connected = Gauge(
            "ridebuy_api_broker_connected", "1 while the live-state subscription is connected", registry=self.registry
        )
        self.broker_reconnects = Counter(
            "ridebuy_api_broker_reconnects",
            "connection attempts after a lost or refused connection",
            registry=self.registry,
        )
        self.bootstrap_done = Gauge(
            "ridebuy_api_bootstrap_done", "1 once live state was seeded from the store", registry=self.registry
        )
        self.store_latency = Histogram(
            "ridebuy_api_store_seconds",
            "time of the store calls the API makes (bootstrap, history, counts, readiness), by operation",
            ["operation"],
            registry=self.registry,
        )
        self.store_errors = Counter(
            "ridebuy_api_store_errors", "store calls that failed, by operation", ["operation"], registry=self.registry
        )
        self.stream_listeners = Gauge(
            "ridebuy_api_stream_listeners", "open /v1/stream connections", registry=self.registry
        )
        self.stream_queue_depth = Gauge(
            "ridebuy_api_stream_queue_depth",
            "parkings whose changes wait for the slowest stream listener (at most one entry per parking)",
            registry=self.registry,
        )

        self.devices = Gauge("ridebuy_api_devices", "devices in the registry", registry=self.registry)
        self.devices_offline = Gauge(
            "ridebuy_api_devices_offline",
            "devices heard of before but silent past their heartbeat allowance (their spaces count as unknown)",
            registry=self.registry,
        )
        self.devices_battery_low = Gauge(
            "ridebuy_api_devices_battery_low",
            "devices whose latest battery figure is below the threshold (battery_pct, else battery_v)",
            registry=self.registry,
        )
        self.rate_limited = Counter(
            "ridebuy_api_rate_limited", "requests refused with 429 (per-client rate limit)", registry=self.registry
        )
        self.admin_refused = Counter(
            "ridebuy_api_admin_refused",
            "admin requests refused, by reason (missing or wrong token, admin off)",
            ["reason"],
            registry=self.registry,
        )
        for refusal in ("missing_token", "wrong_token", "admin_off"):
            self.admin_refused.labels(refusal)

    def render(self) -> bytes:
        return generate_latest(self.registry)
