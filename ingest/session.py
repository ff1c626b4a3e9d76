"""The ingest's MQTT session, whichever protocol the broker speaks: one interface, two implementations.

MQTT 5 (the default) runs on :class:`~ridebuy.shared.mqtt5_session.Mqtt5Session`; MQTT 3.1.1 (``?protocol=3.1.1``, or a
broker that turns out to speak nothing else, such as the demo's embedded amqtt) on paho
(:class:`~ingest.listener.MqttListener`). The ingest only sees :class:`MqttSession`.
"""

from __future__ import annotations

import logging
import threading
from typing import Protocol

from ridebuy.ingest.paho_session import MqttListener
from ridebuy.shared.brokers import BrokerAddress
from ridebuy.shared.mqtt5_session import (
    CONNECT_TIMEOUT_S,
    RECEIVE_MAXIMUM,
    SESSION_EXPIRY_S,
    Mqtt5Session,
    OnMessage,
)

log = logging.getLogger(__name__)


class MqttSession(Protocol):
    """What the ingest needs of an MQTT session (persistent, QoS 1, acknowledged after storage)."""

    @property
    def reconnects(self) -> int: ...

    @property
    def takeovers(self) -> int:
        """Times another client with our client id took the session over (MQTT 5 only)."""
        ...

    @property
    def connected(self) -> bool: ...

    @property
    def protocol(self) -> str:
        """``5`` or ``3.1.1``."""
        ...

    def problems(self) -> list[str]:
        """Why the session is not working as it should (refused, taken over), for health; empty when fine."""
        ...

    def start(self) -> None: ...

    def stop_receiving(self) -> None: ...

    def ack(self, packet_id: int, qos: int, generation: int) -> None: ...

    def wait_connected(self, timeout_s: float) -> bool: ...

    def close(self, timeout_s: float = 5.0) -> None: ...


class FallbackSession:
    """MQTT 5 first; if the broker does not speak it, MQTT 3.1.1 (said once in the log, then for good)."""

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        topic_filters: tuple[str, ...],
        on_message: OnMessage,
        receive_maximum: int,
        session_expiry_s: int,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self._broker = broker
        self._client_id = client_id
        self._filters = topic_filters
        self._on_message = on_message
        self._lock = threading.Lock()
        self._closed = False
        self._active: Mqtt5Session | MqttListener = Mqtt5Session(
            broker,
            client_id,
            topic_filters,
            on_message,
            receive_maximum,
            session_expiry_s,
            connect_timeout_s=connect_timeout_s,
            on_protocol_refused=self._fall_back,
        )

    @property
    def active(self) -> MqttSession:
        return self._active

    def _fall_back(self, reason: str) -> None:
        with self._lock:
            if self._closed:
                return
            log.warning(
                "broker %s does not speak MQTT 5 (%s): using MQTT 3.1.1 instead; say so in the URL to skip this: "
                "%s?protocol=3.1.1",
                self._broker.display,
                reason,
                self._broker.display,
            )
            fallback = MqttListener(self._broker, self._client_id, self._filters, self._on_message, mqtt_v5=False)
            self._active = fallback
            fallback.start()

    # MqttSession ---------------------------------------------------------------------------------------
    @property
    def reconnects(self) -> int:
        return self._active.reconnects

    @property
    def takeovers(self) -> int:
        return self._active.takeovers

    @property
    def connected(self) -> bool:
        return self._active.connected

    @property
    def protocol(self) -> str:
        return self._active.protocol

    def problems(self) -> list[str]:
        return self._active.problems()

    def start(self) -> None:
        self._active.start()

    def stop_receiving(self) -> None:
        self._active.stop_receiving()

    def ack(self, packet_id: int, qos: int, generation: int) -> None:
        self._active.ack(packet_id, qos, generation)

    def wait_connected(self, timeout_s: float) -> bool:
        return self._active.wait_connected(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        with self._lock:
            self._closed = True
            active = self._active
        active.close(timeout_s)


def open_session(
    broker: BrokerAddress,
    client_id: str,
    topic_filters: tuple[str, ...],
    on_message: OnMessage,
    receive_maximum: int = RECEIVE_MAXIMUM,
    session_expiry_s: int = SESSION_EXPIRY_S,
    connect_timeout_s: float = CONNECT_TIMEOUT_S,
) -> MqttSession:
    """The session for ``broker``: MQTT 3.1.1 on paho when the URL says so, else MQTT 5 with fallback."""
    if not broker.mqtt_v5:
        return MqttListener(broker, client_id, topic_filters, on_message, mqtt_v5=False)
    return FallbackSession(
        broker, client_id, topic_filters, on_message, receive_maximum, session_expiry_s, connect_timeout_s
    )
