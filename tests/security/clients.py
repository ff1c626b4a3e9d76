"""A paho-mqtt client for security tests: records its CONNACK, SUBACK and PUBACK reason codes and what it receives."""

from __future__ import annotations

import queue
import threading
import uuid
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from ridebuy.shared.brokers import parse_broker_url

V311 = MQTTProtocolVersion.MQTTv311
V5 = MQTTProtocolVersion.MQTTv5
TIMEOUT_S = 10.0


class Probe:
    """One MQTT connection as ``username``; ``connect()`` returns the broker's CONNACK reason code."""

    def __init__(
        self,
        url: str,
        username: str | None,
        password: str | None,
        protocol: MQTTProtocolVersion = V311,
        client_id: str = "",
        ca_certs: Path | None = None,
        persistent: bool = False,
    ) -> None:
        self.broker = parse_broker_url(url)
        self.protocol = protocol
        self.persistent = persistent
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or f"probe-{uuid.uuid4().hex[:12]}",
            protocol=protocol,
            # MQTT 3.1.1 only (MQTT 5 says it at connect): keep the session and its queued messages.
            clean_session=not persistent if protocol is V311 else None,
        )
        if self.broker.tls:
            self.client.tls_set(ca_certs=str(ca_certs) if ca_certs else None)
        if username is not None:
            self.client.username_pw_set(username, password)
        self.received: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self._connack: queue.Queue[ReasonCode] = queue.Queue()
        self._subacks: dict[int, list[ReasonCode]] = {}
        self._pubacks: dict[int, ReasonCode] = {}
        self._acked = threading.Condition()
        self.disconnects = 0
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_subscribe = self._on_subscribe
        self.client.on_publish = self._on_publish

    # paho callbacks (its network thread) ---------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        self._connack.put(reason)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: ReasonCode, props: Any) -> None:
        self.disconnects += 1

    def _on_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        self.received.put((message.topic, bytes(message.payload)))

    def _on_subscribe(
        self, client: mqtt.Client, userdata: Any, mid: int, reasons: list[ReasonCode], props: Any
    ) -> None:
        with self._acked:
            self._subacks[mid] = list(reasons)
            self._acked.notify_all()

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: ReasonCode, props: Any) -> None:
        with self._acked:
            self._pubacks[mid] = reason
            self._acked.notify_all()

    # test side -------------------------------------------------------------------------------------------
    def connect(self) -> ReasonCode:
        """Connect and return the CONNACK reason code; on a refusal the client is stopped (no reconnect loop)."""
        if self.protocol is V5 and self.persistent:
            expiry = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
            expiry.SessionExpiryInterval = 3600
            self.client.connect(self.broker.host, self.broker.port, clean_start=False, properties=expiry)
        else:
            self.client.connect(self.broker.host, self.broker.port)
        self.client.loop_start()
        try:
            reason = self._connack.get(timeout=TIMEOUT_S)
        except queue.Empty:
            self.close()
            raise AssertionError("no CONNACK from the broker") from None
        if reason.is_failure:
            self.close()
        return reason

    def subscribe(self, topic_filter: str, qos: int = 1) -> ReasonCode:
        """Subscribe and return the SUBACK's reason code for this filter."""
        result, mid = self.client.subscribe(topic_filter, qos)
        assert result == mqtt.MQTT_ERR_SUCCESS and mid is not None, f"subscribe not sent: {result}"
        with self._acked:
            if not self._acked.wait_for(lambda: mid in self._subacks, TIMEOUT_S):
                raise AssertionError(f"no SUBACK for {topic_filter}")
            return self._subacks[mid][0]

    def publish(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> ReasonCode:
        """Publish at QoS 1 and return the PUBACK's reason code (always Success for MQTT 3.1.1)."""
        info = self.client.publish(topic, payload, qos=qos, retain=retain)
        with self._acked:
            if not self._acked.wait_for(lambda: info.mid in self._pubacks, TIMEOUT_S):
                raise AssertionError(f"no PUBACK for {topic}")
            return self._pubacks[info.mid]

    def next_message(self, timeout_s: float = TIMEOUT_S) -> tuple[str, bytes]:
        try:
            return self.received.get(timeout=timeout_s)
        except queue.Empty:
            raise AssertionError("no message arrived") from None

    def drain(self) -> list[tuple[str, bytes]]:
        """Everything received so far (without waiting)."""
        messages = []
        while True:
            try:
                messages.append(self.received.get_nowait())
            except queue.Empty:
                return messages

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
