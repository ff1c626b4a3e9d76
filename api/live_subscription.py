"""The live-state subscription: an ordinary, clean-start MQTT subscription that never gives up.

Each API replica folds the full stream itself (docs/design.md, scale), so the subscription is not shared and keeps no
session. Messages missed while disconnected are not replayed; ``on_connect`` lets the app re-read the store after a
reconnection (the ingest, with its persistent session, stored them).

Two implementations behind :func:`listen_forever`, the app does not know which: MQTT 5 on ridebuy's session
(api.live_mqtt5; the default), MQTT 3.1.1 on aiomqtt (api.live_aiomqtt) when the broker URL says
``protocol=3.1.1`` or the broker turns out not to speak MQTT 5.

The connection is also the API's one way to publish (the display panels, api.panel_publisher): ``on_client`` is
handed a :class:`~ridebuy.api.live_link.Publisher` for each connection, and None when it is gone. One connection per
replica, because a broker configured with ``use_username_as_clientid`` (ridebuy.devices.mosquitto_acl) lets each
user hold only one.
"""

from __future__ import annotations

import dataclasses
import logging
import time
import uuid
from collections.abc import Callable

from ridebuy.api.live_aiomqtt import listen_aiomqtt
from ridebuy.api.live_link import Publisher
from ridebuy.api.live_mqtt5 import listen_mqtt5
from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics
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
    on_client: Callable[[Publisher | None], None] | None = None,
) -> None:
    """Fold the native MQTT stream into ``live`` until cancelled, reconnecting for ever (jittered backoff keeps
    a fleet of replicas from reconnecting in lockstep after a broker restart)."""
    identifier = f"ridebuy-api-{uuid.uuid4().hex[:12]}"
    if broker.mqtt_v5:
        reason = await listen_mqtt5(broker, identifier, live, metrics, clock_ns, on_connect, on_client)
        log.warning(
            "live-state broker %s does not speak MQTT 5 (%s): using MQTT 3.1.1 (panels without expiry); "
            "say ?protocol=3.1.1 in the URL to skip this",
            broker.display,
            reason,
        )
        broker = dataclasses.replace(broker, mqtt_v5=False)
    await listen_aiomqtt(broker, identifier, live, metrics, clock_ns, on_connect, backoff or Backoff(), on_client)
