"""The live-state subscription: an ordinary, clean-session MQTT subscription that never gives up.

Each API replica folds the full stream itself (docs/design.md, scale), so the subscription is not shared and keeps no
session. Messages missed while disconnected are not replayed; ``on_connect`` lets the app re-read the store after a
reconnection (the ingest, with its persistent session, stored them).

MQTT 5 (the default) runs on ridebuy's MQTT 5 session (:mod:`ridebuy.shared.mqtt5_session`, the `mqtt5` codec) in
a thread of its own: under 20,000 msg/s paho (inside aiomqtt) could not keep up (docs/performance.md, freshness).
Messages reach the event loop in batches, one wake-up per batch. MQTT 3.1.1 (``?protocol=3.1.1``, or a broker that
does not answer MQTT 5, such as the demo's amqtt) stays on aiomqtt, following its reconnection guide: connect,
subscribe, iterate; on ``MqttError`` wait a jittered, growing delay and start again.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
import uuid
from collections import deque
from collections.abc import Callable

import aiomqtt
import anyio

from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress
from ridebuy.shared.mqtt5_session import Mqtt5Session

log = logging.getLogger(__name__)


async def listen_forever(
    broker: BrokerAddress,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int] = time.time_ns,
    on_connect: Callable[[], None] | None = None,
    backoff: Backoff | None = None,
) -> None:
    """Fold the native MQTT stream into ``live`` until cancelled, reconnecting for ever (jittered backoff keeps
    a fleet of replicas from reconnecting in lockstep after a broker restart)."""
    if broker.mqtt_v5 and not await _listen_mqtt5(broker, live, metrics, clock_ns, on_connect):
        return
    await _listen_mqtt311(broker, live, metrics, clock_ns, on_connect, backoff)


async def _listen_mqtt5(
    broker: BrokerAddress,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int],
    on_connect: Callable[[], None] | None,
) -> bool:
    """The MQTT 5 session until cancelled (returns False), or until the broker turns out not to speak MQTT 5
    (returns True: use 3.1.1)."""
    loop = asyncio.get_running_loop()
    inbox: deque[tuple[str, bytes]] = deque()
    wake_pending = False
    refused = anyio.Event()

    def deliver() -> None:  # on the event loop: every message received since the last wake-up, in order
        nonlocal wake_pending
        wake_pending = False
        while inbox:
            topic, payload = inbox.popleft()
            live.handle_message(topic, payload, clock_ns())

    def on_message(topic: str, payload: bytes, packet_id: int, qos: int, generation: int, received_ns: int) -> None:
        nonlocal wake_pending
        inbox.append((topic, payload))
        session.ack(packet_id, qos, generation)  # QoS 1 from the broker; nothing is kept for a clean session
        if not wake_pending:
            wake_pending = True
            loop.call_soon_threadsafe(deliver)

    def connection_changed(up: bool) -> None:  # on the event loop
        _connected(live, metrics, up)
        if up:
            if on_connect is not None:
                on_connect()
            log.info("live state subscribed to %s on %s", ", ".join(ALL_SUBSCRIPTIONS), broker.display)
        else:
            metrics.broker_reconnects.inc()

    def on_protocol_refused(reason: str) -> None:
        log.warning("live-state broker %s does not speak MQTT 5 (%s): using MQTT 3.1.1", broker.display, reason)
        loop.call_soon_threadsafe(refused.set)

    session = Mqtt5Session(
        broker,
        f"ridebuy-api-{uuid.uuid4().hex[:12]}",
        ALL_SUBSCRIPTIONS,
        on_message,
        clean_start=True,
        on_connection=lambda up: _call_soon(loop, connection_changed, up),
        on_protocol_refused=on_protocol_refused,
    )
    session.start()
    try:
        await refused.wait()
        return True
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(session.close)
        _connected(live, metrics, False)


async def _listen_mqtt311(
    broker: BrokerAddress,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int],
    on_connect: Callable[[], None] | None,
    backoff: Backoff | None,
) -> None:
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
                clean_session=True,
                protocol=aiomqtt.ProtocolVersion.V311,
                tls_context=ssl.create_default_context() if broker.tls else None,
                keepalive=30,
            ) as client:
                await client.subscribe([(topic_filter, 1) for topic_filter in ALL_SUBSCRIPTIONS])
                backoff.reset()
                _connected(live, metrics, True)
                if on_connect is not None:
                    on_connect()
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


def _call_soon(loop: asyncio.AbstractEventLoop, callback: Callable[[bool], None], value: bool) -> None:
    loop.call_soon_threadsafe(callback, value)


def _connected(live: LiveState, metrics: ApiMetrics, value: bool) -> None:
    live.broker_connected = value
    metrics.broker_connected.set(1 if value else 0)
