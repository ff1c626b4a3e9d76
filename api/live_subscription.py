"""The live-state subscription: an ordinary, clean-session MQTT subscription that never gives up.

Each API replica folds the full stream itself (docs/design.md, scale), so the subscription is not shared and keeps no
session. Messages missed while disconnected are not replayed; ``on_connect`` lets the app re-read the store after a
reconnection (the ingest, with its persistent session, stored them). The loop follows aiomqtt's reconnection
guide: connect, subscribe, iterate; on ``MqttError`` wait a jittered, growing delay and start again.

The connection is also the API's one way to publish (the display panels, api.panel_publisher): ``on_client`` is
handed the connected client, and None when it is gone. One connection per replica, because a broker configured
with ``use_username_as_clientid`` (ridebuy.devices.mosquitto_acl) lets each user hold only one. MQTT 5 unless the
broker URL says ``protocol=3.1.1``, so that published messages may carry an expiry.
"""

from __future__ import annotations

import logging
import ssl
import time
import uuid
from collections.abc import Callable

import aiomqtt
import anyio
from paho.mqtt.client import MQTT_CLEAN_START_FIRST_ONLY

from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress

log = logging.getLogger(__name__)


async def listen_forever(
    broker: BrokerAddress,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int] = time.time_ns,
    on_connect: Callable[[], None] | None = None,
    backoff: Backoff | None = None,
    on_client: Callable[[aiomqtt.Client | None], None] | None = None,
) -> None:
    """Fold the native MQTT stream into ``live`` until cancelled, reconnecting for ever (jittered backoff keeps
    a fleet of replicas from reconnecting in lockstep after a broker restart)."""
    backoff = backoff or Backoff()
    identifier = f"ridebuy-api-{uuid.uuid4().hex[:12]}"
    while True:
        try:
            async with aiomqtt.Client(
                broker.host,
                broker.port,
                username=broker.username,
                password=broker.password,
                identifier=identifier,
                protocol=aiomqtt.ProtocolVersion.V5 if broker.mqtt_v5 else aiomqtt.ProtocolVersion.V311,
                # No session kept either way: MQTT 5's clean start (session expiry 0), 3.1.1's clean session.
                clean_session=None if broker.mqtt_v5 else True,
                clean_start=True if broker.mqtt_v5 else MQTT_CLEAN_START_FIRST_ONLY,  # 3.1.1 has no clean start
                tls_context=ssl.create_default_context() if broker.tls else None,
                keepalive=30,
            ) as client:
                await client.subscribe([(topic_filter, 1) for topic_filter in ALL_SUBSCRIPTIONS])
                backoff.reset()
                _connected(live, metrics, True)
                if on_connect is not None:
                    on_connect()
                if on_client is not None:
                    on_client(client)
                log.info("live state subscribed to %s on %s", ", ".join(ALL_SUBSCRIPTIONS), broker.display)
                async for message in client.messages:
                    payload = message.payload
                    data = payload if isinstance(payload, bytes) else str(payload or "").encode()
                    live.handle_message(message.topic.value, data, clock_ns())
        except aiomqtt.MqttError as exc:
            _connected(live, metrics, False)
            metrics.broker_reconnects.inc()
            wait_s = backoff.next_delay()
            log.warning("live-state broker %s: %s; reconnecting in %.1f s", broker.display, exc, wait_s)
            await anyio.sleep(wait_s)
        finally:
            _connected(live, metrics, False)
            if on_client is not None:
                on_client(None)


def _connected(live: LiveState, metrics: ApiMetrics, value: bool) -> None:
    live.broker_connected = value
    metrics.broker_connected.set(1 if value else 0)
