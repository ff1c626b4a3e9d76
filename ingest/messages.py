"""One received message in, its points out: decode, fold into live state, or dead-letter."""

from __future__ import annotations

import logging

from devices.messages import UplinkDedup, decode_message
from devices.native import Limits
from devices.registry import Registry
from devices.rejections import Rejected, RejectReason
from ingest.dead_letters import DeadLetters
from ingest.live import LiveAvailability
from ridebuy.store.points import Point, reading_points

log = logging.getLogger(__name__)


class MessageHandler:
    """Decides what a message becomes: its points (plus availability changes) or one dead-letter point."""

    def __init__(self, registry: Registry, limits: Limits, live: LiveAvailability, dead_letters: DeadLetters) -> None:
        self.registry = registry
        self._limits = limits
        self._live = live
        self._dead_letters = dead_letters
        self._dedup = UplinkDedup()
        self.received = 0

    @property
    def duplicates(self) -> int:
        """LoRaWAN uplinks dropped as copies of one already taken (two gateways, a republished event)."""
        return self._dedup.duplicates

    def points_for(self, topic: str, payload: bytes, received_ns: int) -> list[Point]:
        self.received += 1
        try:
            points: list[Point] = []
            for reading in decode_message(topic, payload, received_ns, self.registry, self._limits, self._dedup):
                points.extend(reading_points(reading))
                points.extend(self._live.apply(reading))
            return points
        except Rejected as rejection:
            return [self._dead_letters.point(rejection, topic, payload, received_ns)]
        except Exception as exc:  # a bug must not stop the stream; the traceback goes to the log
            log.exception("unexpected error decoding a message on %r", topic[:200])
            internal = Rejected(RejectReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"[:300])
            return [self._dead_letters.point(internal, topic, payload, received_ns)]
