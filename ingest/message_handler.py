"""One received message in, its points out: decode, fold into live state, or dead-letter."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ridebuy.devices.decoding import UplinkDedup, decode_message
from ridebuy.devices.native import Limits
from ridebuy.devices.registry import Registry
from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.ingest.availability_writer import AvailabilityWriter
from ridebuy.ingest.dead_letters import DeadLetters
from ridebuy.store.points import Point, reading_points

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Writes:
    """What an ingest writes, by its role (RIDEBUY_INGEST_ROLE)."""

    readings: bool = True
    """Readings and dead letters: every message's own points."""
    availability: bool = True
    """Availability points, which need the whole stream (not a share of it)."""

    @classmethod
    def for_role(cls, role: str) -> Writes:
        return {"all": cls(), "data": cls(availability=False), "availability": cls(readings=False)}[role]


class MessageHandler:
    """Decides what a message becomes: its points (plus availability changes) or one dead-letter point."""

    def __init__(
        self,
        registry: Registry,
        limits: Limits,
        live: AvailabilityWriter,
        dead_letters: DeadLetters,
        writes: Writes = Writes(),
    ) -> None:
        self.registry = registry
        self.writes = writes
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
                if self.writes.readings:
                    points.extend(reading_points(reading))
                if self.writes.availability:
                    points.extend(self._live.apply(reading, received_ns))
            return points
        except Rejected as rejection:
            return self._dead_letter(rejection, topic, payload, received_ns)
        except Exception as exc:  # a bug must not stop the stream; the traceback goes to the log
            log.exception("unexpected error decoding a message on %r", topic[:200])
            internal = Rejected(RejectReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"[:300])
            return self._dead_letter(internal, topic, payload, received_ns)

    def _dead_letter(self, rejection: Rejected, topic: str, payload: bytes, received_ns: int) -> list[Point]:
        point = self._dead_letters.point(rejection, topic, payload, received_ns)
        return [point] if self.writes.readings else []
