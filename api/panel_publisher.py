"""Publish every display panel's state on MQTT, retained, for LED sign controllers: ``ridebuy/v1/panels/{id}``.

The payload is the body of ``GET /v1/panels/{id}``. A panel is published when what it shows changes (checked every
``check_s``, so within a second of the change reaching the live state), and every ``interval_s`` even when nothing
changed (a controller can tell a live feed from a dead one). Retained, so a controller that subscribes gets the
current state at once. Over MQTT 5 each message carries a Message Expiry Interval of three periods: if the API
stops, the broker drops the retained state instead of handing out old figures for ever. A panel removed from the
registry has its retained message cleared (an empty retained payload).

Each API replica publishes the same state; their messages agree, so no leader is needed. Only the API's MQTT user
may write below ``ridebuy/v1/panels/`` (ridebuy.devices.mosquitto_acl).
"""

from __future__ import annotations

import logging
import math
import ssl
import time
import uuid
from typing import Protocol

import aiomqtt
import anyio
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from ridebuy.api.caching import render
from ridebuy.api.panels import PanelOut
from ridebuy.devices.panels import panel_topic
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress

log = logging.getLogger(__name__)

CHECK_S = 0.5
EXPIRY_PERIODS = 3


class PanelSource(Protocol):
    def panel_bodies(self) -> dict[str, PanelOut]:
        """The current body of every panel of the registry, by panel id."""


def change_key(body: PanelOut) -> str:
    """What a panel shows, without the measurement times (they move with every message, the figures do not)."""
    return body.model_dump_json(exclude={"parkings": {"__all__": {"last_updated"}}})


class _Published:
    """What was last published per panel and when (monotonic seconds)."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, float]] = {}

    def due(self, panel_id: str, key: str, now_s: float, interval_s: float) -> bool:
        last = self.keys.get(panel_id)
        return last is None or last[0] != key or now_s - last[1] >= interval_s


async def publish_panels_forever(
    broker: BrokerAddress,
    source: PanelSource,
    interval_s: float,
    check_s: float = CHECK_S,
    backoff: Backoff | None = None,
) -> None:
    """Publish until cancelled, reconnecting for ever with jittered backoff."""
    backoff = backoff or Backoff()
    identifier = f"ridebuy-api-{uuid.uuid4().hex[:12]}"
    expiry_s = math.ceil(interval_s * EXPIRY_PERIODS)
    while True:
        try:
            async with aiomqtt.Client(
                broker.host,
                broker.port,
                username=broker.username,
                password=broker.password,
                identifier=identifier,
                protocol=aiomqtt.ProtocolVersion.V5 if broker.mqtt_v5 else aiomqtt.ProtocolVersion.V311,
                tls_context=ssl.create_default_context() if broker.tls else None,
                keepalive=30,
            ) as client:
                backoff.reset()
                log.info("publishing display panels on %s", broker.display)
                published = _Published()  # a new connection republishes everything at once
                while True:
                    await _publish_due(client, source, published, interval_s, expiry_s if broker.mqtt_v5 else None)
                    await anyio.sleep(check_s)
        except aiomqtt.MqttError as exc:
            wait_s = backoff.next_delay()
            log.warning("panel publisher, broker %s: %s; reconnecting in %.1f s", broker.display, exc, wait_s)
            await anyio.sleep(wait_s)


async def _publish_due(
    client: aiomqtt.Client, source: PanelSource, published: _Published, interval_s: float, expiry_s: int | None
) -> None:
    bodies = source.panel_bodies()
    now_s = time.monotonic()
    for panel_id, body in bodies.items():
        key = change_key(body)
        if not published.due(panel_id, key, now_s, interval_s):
            continue
        await client.publish(
            panel_topic(panel_id), render(body).content, qos=1, retain=True, properties=_expiring(expiry_s)
        )
        published.keys[panel_id] = (key, now_s)
    for panel_id in [p for p in published.keys if p not in bodies]:
        await client.publish(panel_topic(panel_id), b"", qos=1, retain=True)  # clears the retained state
        del published.keys[panel_id]
        log.info("display panel %s left the registry: its retained state is cleared", panel_id)


def _expiring(expiry_s: int | None) -> Properties | None:
    if expiry_s is None:
        return None
    properties = Properties(PacketTypes.PUBLISH)  # type: ignore[no-untyped-call]
    properties.MessageExpiryInterval = expiry_s
    return properties
