"""Publishing over MQTT with paho-mqtt 2.x: QoS 1 by default, bounded messages in flight, reconnect forever.

Back-pressure: at most ``max_pending`` messages may wait for the broker's acknowledgement; :meth:`send` blocks
beyond that, so a fast simulator never piles up an unbounded queue in memory while the broker is slow or away.
MQTT 3.1.1 is spoken, so the simulator works with any broker, including the demo's embedded one.
"""

from __future__ import annotations

import logging
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from ridebuy.shared.brokers import parse_broker_url
from ridebuy.simulators.engine import Message

log = logging.getLogger(__name__)

MAX_PENDING = 1000
MAX_INFLIGHT = 100
"""Unacknowledged messages paho sends before it queues (the broker's window on loopback is no limit here)."""


class PublishError(RuntimeError):
    """The broker cannot be used; the message names it (never with the password)."""


class MqttPublisher:
    """A :class:`simulators.runner.Sink` that publishes to an MQTT broker."""

    def __init__(
        self,
        url: str,
        stop: threading.Event,
        *,
        qos: int = 1,
        client_id: str | None = None,
        max_pending: int = MAX_PENDING,
    ) -> None:
        if qos not in (0, 1, 2):
            raise ValueError(f"qos must be 0, 1 or 2, got {qos}")
        self.address = parse_broker_url(url)
        self.qos = qos
        self._stop = stop
        self._max_pending = max_pending
        self._lock = threading.Condition()
        self._pending = 0
        self.acknowledged = 0
        self.dropped = 0
        self._connected = threading.Event()
        self._closing = False
        self._last_refusal = ""
        self._client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=client_id or f"ridebuy-sim-{uuid.uuid4().hex[:12]}",
            protocol=MQTTProtocolVersion.MQTTv311,
            clean_session=True,
        )
        self._client.max_inflight_messages_set(MAX_INFLIGHT)
        self._client.reconnect_delay_set(min_delay=1, max_delay=30)
        if self.address.username:
            self._client.username_pw_set(self.address.username, self.address.password)
        if self.address.tls:
            self._client.tls_set()
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish

    # paho callbacks (its network thread) ----------------------------------------------------------------
    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if reason.is_failure:
            self._last_refusal = str(reason)
            log.error("broker %s refused the connection: %s", self.address.display, reason)
            return
        self._connected.set()
        log.info("connected to %s", self.address.display)

    def _on_disconnect(self, client: Any, userdata: Any, flags: Any, reason: Any, properties: Any) -> None:
        if self._connected.is_set() and not self._closing:
            log.warning("lost the broker %s (%s); reconnecting", self.address.display, reason)
        self._connected.clear()

    def _on_publish(self, client: Any, userdata: Any, mid: int, reason: Any, properties: Any) -> None:
        with self._lock:
            self._pending -= 1
            self.acknowledged += 1
            self._lock.notify_all()

    # Public surface -----------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    @property
    def pending(self) -> int:
        return self._pending

    def start(self, timeout_s: float = 30.0) -> bool:
        """Connect (in the background, retried); True once connected, False if stopped first.

        Raises :class:`PublishError` when no connection succeeds within ``timeout_s``.
        """
        try:
            self._client.connect_async(self.address.host, self.address.port, keepalive=30)
        except (OSError, ValueError) as exc:
            raise PublishError(f"cannot connect to {self.address.display}: {exc}") from exc
        self._client.loop_start()
        waited = 0.0
        while not self._connected.wait(0.1):
            waited += 0.1
            if self._stop.is_set():
                return False
            if waited >= timeout_s:
                self.close()
                why = self._last_refusal or "no answer"
                raise PublishError(f"cannot connect to {self.address.display} within {timeout_s:g} s ({why})")
        return True

    def send(self, message: Message) -> bool:
        with self._lock:
            while self._pending >= self._max_pending:
                if self._stop.is_set():
                    return False
                self._lock.wait(0.2)
            self._pending += 1
        info = self._client.publish(message.topic, message.payload, qos=self.qos)
        if info.rc == MQTTErrorCode.MQTT_ERR_NO_CONN and self.qos > 0:
            return True  # paho keeps it and sends it once reconnected
        if info.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
            with self._lock:
                self._pending -= 1
                self.dropped += 1
            log.debug("message to %s not sent: %s", message.topic, mqtt.error_string(info.rc))
        return True

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until the broker acknowledged every message sent (True) or ``timeout_s`` passed (False)."""
        with self._lock:
            return self._lock.wait_for(lambda: self._pending <= 0, timeout_s)

    def close(self) -> None:
        self._closing = True
        self._client.disconnect()
        self._client.loop_stop()
