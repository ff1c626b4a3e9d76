"""The live-state subscription on ridebuy's MQTT 5 session (ridebuy.shared.mqtt5_session), clean start.

aiomqtt (paho) could not keep up with 20,000 msg/s in the API's process (docs/performance.md). The session parses
packets in Rust on a thread of its own; the messages go to the event loop in batches and are folded there in short
slices (api.live_batches). The subscription is at QoS 0: it keeps no session (the store is re-read after a
reconnection), so QoS 1 would protect nothing, and it would cost the broker and the API an acknowledgement per
message. The panels are published on the same session (:class:`SessionPublisher`, QoS 1).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

import anyio

from ridebuy.api.live_batches import BatchFolder
from ridebuy.api.live_link import Publisher, PublishFailed, note_connected
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
from ridebuy.devices.decoding import ALL_SUBSCRIPTIONS
from ridebuy.shared.brokers import BrokerAddress
from ridebuy.shared.mqtt5_session import Mqtt5Session, NotConnected, PublishRefused

log = logging.getLogger(__name__)


class SessionPublisher:
    """:class:`~ridebuy.api.live_link.Publisher` on the session (any thread may publish; awaited here)."""

    def __init__(self, session: Mqtt5Session) -> None:
        self._session = session

    async def publish(self, topic: str, payload: bytes, *, retain: bool, expiry_s: int | None) -> None:
        try:
            await asyncio.wrap_future(self._session.publish(topic, payload, qos=1, retain=retain, expiry_s=expiry_s))
        except (NotConnected, PublishRefused) as exc:
            raise PublishFailed(str(exc)) from exc


async def listen_mqtt5(
    broker: BrokerAddress,
    identifier: str,
    live: LiveState,
    metrics: ApiMetrics,
    clock_ns: Callable[[], int],
    on_connect: Callable[[], None] | None,
    on_client: Callable[[Publisher | None], None] | None,
) -> str:
    """Fold the stream into ``live`` until cancelled. Returns only if the broker does not speak MQTT 5: the reason,
    for the caller to fall back on MQTT 3.1.1."""
    loop = asyncio.get_running_loop()
    # A backlog too long to keep is dropped and the live state read again from the store: what on_connect asks for
    # after a reconnection (the app's resync), for the same reason (messages this process did not fold).
    folder = BatchFolder(live.handle_message, loop, clock_ns, on_overflow=on_connect)
    refused: asyncio.Future[str] = loop.create_future()
    session: Mqtt5Session | None = None

    def connection_changed(up: bool) -> None:  # on the event loop
        note_connected(live, metrics, up)
        if up:
            log.info("live state subscribed to %s on %s", ", ".join(ALL_SUBSCRIPTIONS), broker.display)
            if on_connect is not None:
                on_connect()
            if on_client is not None and session is not None:
                on_client(SessionPublisher(session))
        else:
            metrics.broker_reconnects.inc()
            if on_client is not None:
                on_client(None)

    def on_connection(up: bool) -> None:  # on the session's thread
        with contextlib.suppress(RuntimeError):  # the event loop is closed: the API is stopping
            loop.call_soon_threadsafe(connection_changed, up)

    def protocol_refused(reason: str) -> None:  # on the event loop
        if not refused.done():
            refused.set_result(reason)

    def on_protocol_refused(reason: str) -> None:  # on the session's thread
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(protocol_refused, reason)

    def on_message(topic: str, payload: bytes, packet_id: int, qos: int, generation: int, received_ns: int) -> None:
        folder.put(topic, payload)
        if qos and session is not None:  # a broker may send QoS 1 anyway: acknowledge it at once (queued per read)
            session.ack(packet_id, qos, generation)

    session = Mqtt5Session(
        broker,
        identifier,
        ALL_SUBSCRIPTIONS,
        on_message,
        clean_start=True,
        on_connection=on_connection,
        on_protocol_refused=on_protocol_refused,
        subscribe_qos=0,
    )
    session.start()
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(folder.run)
            reason = await refused
            tasks.cancel_scope.cancel()
        return reason
    finally:
        session.close(2.0)
        note_connected(live, metrics, False)
        if on_client is not None:
            on_client(None)
