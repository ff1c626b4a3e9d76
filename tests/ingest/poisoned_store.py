"""A small fake store that refuses some points the way InfluxDB does (a partial write) or SQLite does (all or
nothing), and counts its requests: for the write path's unit tests."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ridebuy.store.base import StoreRejected
from ridebuy.store.points import Point


class PoisonedStore:
    def __init__(self, refuses: Callable[[Point], bool], partial: bool = True) -> None:
        self.refuses = refuses
        self.partial = partial
        self.stored: list[Point] = []
        self.requests = 0

    def write(self, points: Sequence[Point]) -> None:
        self.requests += 1
        refused = [p for p in points if self.refuses(p)]
        if not refused:
            self.stored.extend(points)
            return
        if self.partial:  # InfluxDB 1.x: the others are kept, and it says how many it dropped
            self.stored.extend(p for p in points if not self.refuses(p))
            raise StoreRejected(f"partial write: field type conflict dropped={len(refused)}", len(refused))
        raise StoreRejected("field type conflict")

    def ping(self) -> bool:
        return True


def field_is(name: str, kind: type) -> Callable[[Point], bool]:
    """Refuse points with field ``name`` of type ``kind`` (the other type got into the shard first)."""
    return lambda point: isinstance(point.field(name), kind) and not isinstance(point.field(name), bool)
