"""The ingest's MQTT 3.1.1 session (paho-mqtt 2.x): QoS 1, a fixed client id, a persistent session, manual acks.

MQTT 5 runs on ridebuy.shared.mqtt5_session; this one is for brokers that speak only 3.1.1 (the demo's embedded amqtt),
behind the same interface (ingest.session).

Messages are acknowledged only when the write path says their points are stored. A message received on an
earlier connection is never acknowledged on a later one: after a reconnect the broker redelivers it with the same
packet id, and an old ack could confirm a newer message that reused the id. Its redelivered copy is acked instead.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress
from ridebuy.shared.mqtt5_session import RECEIVE_MAXIMUM, SESSION_EXPIRY_S

log = logging.getLogger(__name__)

OnMessage = Callable[[str, bytes, int, int, int, int], None]
"""``on_message(topic, payload, mid, qos, generation, received_ns)``."""

KEEPALIVE_S = 30
LOOP_TIMEOUT_S = 0.02
"""How long the network thread may sit in select(): acks queued meanwhile wait at most this long."""


class MqttListener:
    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        topic_filters: tuple[str, ...],
        on_message: OnMessage,
        receive_maximum: int = RECEIVE_MAXIMUM,
        session_expiry_s: int = SESSION_EXPIRY_S,
        mqtt_v5: bool | None = None,
    ) -> None:
        self._broker = broker
        self._v5 = broker.mqtt_v5 if mqtt_v5 is None else mqtt_v5
        self.protocol = "5" if self._v5 else "3.1.1"
        self._filters = topic_filters
        self._on_message = on_message
        self._receive_maximum = receive_maximum
        self._session_expiry_s = session_expiry_s
        self._generation = 0
        self._connected = threading.Event()
        self._receiving = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._backoff = Backoff(initial_s=0.5, maximum_s=30.0)
        self.reconnects = 0
        self.takeovers = 0
        """Not detected over 3.1.1 (it has no server DISCONNECT); always 0."""
        self.refusal: str | None = None
        self._acks: deque[tuple[int, int, int]] = deque()

        if self._v5:
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2, client_id=client_id, protocol=MQTTProtocolVersion.MQTTv5, manual_ack=True
            )
        else:  # a 3.1.1-only broker (the demo's embedded amqtt): persistent session, no Receive Maximum
            client = mqtt.Client(
                CallbackAPIVersion.VERSION2,
                client_id=client_id,
                protocol=MQTTProtocolVersion.MQTTv311,
                clean_session=False,
                manual_ack=True,
            )
        if broker.username is not None:
            client.username_pw_set(broker.username, broker.password)
        if broker.tls:
            client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        client.on_connect = self._handle_connect
        client.on_disconnect = self._handle_disconnect
        client.on_message = self._handle_message
        self._client = client

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def problems(self) -> list[str]:
        """What health should say about the session, beyond "not connected"."""
        return [self.refusal] if self.refusal else []

    def start(self) -> None:
        """Connect and receive in a background thread, reconnecting forever with jittered backoff."""
        self._thread = threading.Thread(target=self._network_loop, name="mqtt-network", daemon=True)
        self._thread.start()

    def stop_receiving(self) -> None:
        """Ignore further messages (neither stored nor acknowledged: the broker keeps them for the next session)."""
        self._receiving = False

    def close(self, timeout_s: float = 5.0) -> None:
        """Disconnect without unsubscribing, so the broker keeps the session and queues for us."""
        self._receiving = False
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        if self._client.is_connected():
            self._send_acks()
            self._client.disconnect()
            deadline = time.monotonic() + timeout_s
            while self._client.is_connected() and time.monotonic() < deadline:
                self._client.loop(0.05)
        self._connected.clear()

    def ack(self, mid: int, qos: int, generation: int) -> None:
        """Acknowledge a stored message, if it was received on the current connection (see module docstring).

        Thread-safe: the ack is handed to the network thread, which alone writes to the socket.
        """
        if qos > 0:
            self._acks.append((mid, qos, generation))

    def _send_acks(self) -> None:
        while self._acks:
            mid, qos, generation = self._acks.popleft()
            if generation == self._generation and self._connected.is_set():
                self._client.ack(mid, qos)

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    # paho callbacks (network thread) ------------------------------------------------------------------
    def _connect_properties(self) -> Properties:
        properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
        properties.SessionExpiryInterval = self._session_expiry_s
        # MQTT 5 Receive Maximum: how many unacknowledged QoS 1 messages the broker may send us at once.
        # Acknowledging after storage needs a window larger than a batch, or throughput stalls at the window.
        properties.ReceiveMaximum = self._receive_maximum
        return properties

    def _handle_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        if reason_code.is_failure:
            self.refusal = f"the broker refused the connection: {reason_code}"
            log.error("broker %s refused the connection: %s", self._broker.display, reason_code)
            return
        self.refusal = None
        self._generation += 1
        self._backoff.reset()
        if self._v5:
            client.subscribe([(f, SubscribeOptions(qos=1)) for f in self._filters])
        else:
            client.subscribe([(f, 1) for f in self._filters])
        self._connected.set()
        log.info(
            "connected to %s with MQTT %s (session %s), subscribed to %s",
            self._broker.display,
            self.protocol,
            "resumed" if flags.session_present else "new",
            ", ".join(self._filters),
        )

    def _handle_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason_code: Any, properties: Any
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected and not self._stop.is_set():
            log.warning("disconnected from %s: %s; reconnecting", self._broker.display, reason_code)

    def _handle_message(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        if not self._receiving:
            return
        try:
            topic = message.topic
        except UnicodeDecodeError:
            # Brokers should refuse such topics; if one gets through it still becomes a dead letter.
            topic = message._topic.decode("utf-8", errors="backslashreplace")
        self._on_message(topic, bytes(message.payload), message.mid, message.qos, self._generation, time.time_ns())

    # connection loop -----------------------------------------------------------------------------------
    def _network_loop(self) -> None:
        socket_open = False
        first = True
        while not self._stop.is_set():
            if not socket_open:
                try:
                    if first and not self._v5:
                        self._client.connect(self._broker.host, self._broker.port, KEEPALIVE_S)
                        first = False
                    elif first:
                        self._client.connect(
                            self._broker.host,
                            self._broker.port,
                            KEEPALIVE_S,
                            clean_start=False,
                            properties=self._connect_properties(),
                        )
                        first = False
                    else:
                        self.reconnects += 1
                        self._client.reconnect()
                    socket_open = True
                except (OSError, mqtt.WebsocketConnectionError) as exc:
                    delay = self._backoff.next_delay()
                    log.warning("cannot reach broker %s (%s); retrying in %.1f s", self._broker.display, exc, delay)
                    self._stop.wait(delay)
                    continue
            self._send_acks()
            rc = self._client.loop(timeout=LOOP_TIMEOUT_S)
            if rc not in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_AGAIN):
                socket_open = False
                self._connected.clear()
                delay = self._backoff.next_delay()
                log.warning("connection to %s lost (%s); reconnecting in %.1f s", self._broker.display, rc, delay)
                self._stop.wait(delay)
