"""The live-state subscription on aiomqtt (paho), for brokers that speak MQTT 3.1.1 only (``?protocol=3.1.1``, the
demo's embedded amqtt): clean session, QoS 1, reconnecting for ever (aiomqtt's reconnection guide: connect,
subscribe, iterate; on ``MqttError`` wait a jittered, growing delay and start again). MQTT 5 brokers are served
by api.live_mqtt5; api.live_subscription calls this one only for MQTT 3.1.1."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Callable

import aiomqtt
import anyio

from ridebuy.api.live_link import Publisher, PublishFailed, note_connected
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress

log = logging.getLogger(__name__)


class AiomqttPublisher:
    """:class:`~ridebuy.api.live_link.Publisher` on a connected MQTT 3.1.1 aiomqtt client (no message expiry)."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client

    async def publish(self, topic: str, payload: bytes, *, retain: bool, expiry_s: int | None) -> None:
        try:
            await self._client.publish(topic, payload, qos=1, retain=retain)
        except aiomqtt.MqttError as exc:
            raise PublishFailed(str(exc)) from exc


async def listen_aiomqtt(
    broker: BrokerAddress,
    identifier: str,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int],
    on_connect: Callable[[], None] | None,
    backoff: Backoff,
    on_client: Callable[[Publisher | None], None] | None,
) -> None:
    while True:
        try:
            async with aiomqtt.Client(
                broker.host,
                broker.port,
                username=broker.username,
                password=broker.password,
                identifier=identifier,
                protocol=aiomqtt.ProtocolVersion.V311,
                clean_session=True,  # no session kept
                tls_context=ssl.create_default_context() if broker.tls else None,
                keepalive=30,
            ) as client:
                await client.subscribe([(topic_filter, 1) for topic_filter in ALL_SUBSCRIPTIONS])
                backoff.reset()
                note_connected(live, metrics, True)
                if on_connect is not None:
                    on_connect()
                if on_client is not None:
                    on_client(AiomqttPublisher(client))
                log.info("live state subscribed to %s on %s", ", ".join(ALL_SUBSCRIPTIONS), broker.display)
                async for message in client.messages:
                    payload = message.payload
                    data = payload if isinstance(payload, bytes) else str(payload or "").encode()
                    live.handle_message(message.topic.value, data, clock_ns())
        except aiomqtt.MqttError as exc:
            note_connected(live, metrics, False)
            metrics.broker_reconnects.inc()
            wait_s = backoff.next_delay()
            log.warning("live-state broker %s: %s; reconnecting in %.1f s", broker.display, exc, wait_s)
            await anyio.sleep(wait_s)
        finally:
            note_connected(live, metrics, False)
            if on_client is not None:
                on_client(None)
