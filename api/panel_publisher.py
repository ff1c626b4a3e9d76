"""Publish every display panel's state on MQTT, retained, for LED sign controllers: ``ridebuy/v1/panels/{id}``.

The payload is the body of ``GET /v1/panels/{id}``. A panel is published when what it shows changes (checked every
``check_s``, so within a second of the change reaching the live state), and every ``interval_s`` even when nothing
changed (a controller can tell a live feed from a dead one). Retained, so a controller that subscribes gets the
current state at once. Over MQTT 5 each message carries a Message Expiry Interval of three periods: if the API
stops, the broker drops the retained state instead of handing out old figures for ever. A panel removed from the
registry has its retained message cleared (an empty retained payload).

Messages go out on the live-state subscription's connection (:class:`MqttLink`, filled by
api.live_subscription with a :class:`~ridebuy.api.live_link.Publisher`, whichever MQTT client is in use): one
connection per API replica, as a broker that binds client ids to usernames requires. While it is down nothing is
published; after a reconnection everything is published again at once.

Each API replica publishes the same state; their messages agree, so no leader is needed. Only the API's MQTT users
may write below ``ridebuy/v1/panels/`` (ridebuy.devices.mosquitto_acl).
"""

from __future__ import annotations

import logging
import math
import time
from typing import Protocol

import anyio

from ridebuy.api.caching import render
from ridebuy.api.live_link import Publisher, PublishFailed
from ridebuy.api.panels import PanelOut
from ridebuy.devices.panels import panel_topic

log = logging.getLogger(__name__)

CHECK_S = 0.5
EXPIRY_PERIODS = 3


class PanelSource(Protocol):
    def panel_bodies(self) -> dict[str, PanelOut]:
        """The current body of every panel of the registry, by panel id."""


class MqttLink:
    """The API's connected MQTT client, or None while there is none."""

    def __init__(self) -> None:
        self.client: Publisher | None = None

    def set(self, client: Publisher | None) -> None:
        self.client = client


def change_key(body: PanelOut) -> str:
    """What a panel shows, without the measurement times (they move with every message, the figures do not)."""
    return body.model_dump_json(exclude={"parkings": {"__all__": {"last_updated"}}})


class _Published:
    """What was last published per panel and when (monotonic seconds), on one connection; and which panels this
    process ever gave a retained state (to clear it when a panel leaves the registry)."""

    def __init__(self) -> None:
        self.keys: dict[str, tuple[str, float]] = {}
        self.client: Publisher | None = None
        self.retained: set[str] = set()

    def due(self, panel_id: str, key: str, now_s: float, interval_s: float) -> bool:
        last = self.keys.get(panel_id)
        return last is None or last[0] != key or now_s - last[1] >= interval_s


async def publish_panels_forever(
    link: MqttLink, source: PanelSource, interval_s: float, mqtt_v5: bool = True, check_s: float = CHECK_S
) -> None:
    """Publish until cancelled, whenever ``link`` has a connected client."""
    expiry_s = math.ceil(interval_s * EXPIRY_PERIODS) if mqtt_v5 else None
    published = _Published()
    while True:
        client = link.client
        if client is not published.client:  # a new connection (or none): everything is due again
            published.keys.clear()
            published.client = client
        if client is not None:
            try:
                await _publish_due(client, source, published, interval_s, expiry_s)
            except PublishFailed as exc:  # the subscription reconnects; publish again on its next connection
                log.debug("panel publish failed: %s", exc)
                published.keys.clear()
        await anyio.sleep(check_s)


async def _publish_due(
    client: Publisher, source: PanelSource, published: _Published, interval_s: float, expiry_s: int | None
) -> None:
    bodies = source.panel_bodies()
    now_s = time.monotonic()
    for panel_id, body in bodies.items():
        key = change_key(body)
        if not published.due(panel_id, key, now_s, interval_s):
            continue
        await client.publish(panel_topic(panel_id), render(body).content, retain=True, expiry_s=expiry_s)
        published.keys[panel_id] = (key, now_s)
        published.retained.add(panel_id)
    for panel_id in sorted(published.retained - set(bodies)):
        await client.publish(panel_topic(panel_id), b"", retain=True, expiry_s=None)  # clears the retained state
        published.retained.discard(panel_id)
        published.keys.pop(panel_id, None)
        log.info("display panel %s left the registry: its retained state is cleared", panel_id)
