"""What the API's MQTT connection offers the rest of the API, whichever client holds it (api.live_subscription).

One connection per API replica carries both the live-state subscription and the display panels' messages
(api.panel_publisher): a broker that binds client ids to usernames lets each user hold only one.
"""

from __future__ import annotations

from typing import Protocol

from ridebuy.api.live_state import LiveState
from ridebuy.api.metrics import ApiMetrics


class PublishFailed(Exception):
    """A message could not be published: the connection went away, or the broker refused it."""


class Publisher(Protocol):
    """The connected MQTT client, to publish on. A new connection is a new object."""

    async def publish(self, topic: str, payload: bytes, *, retain: bool, expiry_s: int | None) -> None:
        """Publish at QoS 1 and return once the broker acknowledged it; raise :class:`PublishFailed`.
        ``expiry_s`` (Message Expiry Interval) is dropped on an MQTT 3.1.1 connection, which has none."""
        ...


def note_connected(live: LiveState, metrics: ApiMetrics, value: bool) -> None:
    live.broker_connected = value
    metrics.broker_connected.set(1 if value else 0)
