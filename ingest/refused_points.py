"""Find which points of a refused write the store refuses, in few requests.

A store refuses points one by one (InfluxDB: a field whose type differs from the one its shard holds; InfluxDB
keeps the rest of the write), so a refused batch of thousands may hold a single bad point, or a whole measurement
whose field a stray write poisoned. Points that share measurement, field names and field types fare alike, so the
batch is split into such groups first; a refused group is then halved until each refused point stands alone. When
the store says how many points it dropped and that is all of them, the search stops there: a poisoned field costs
one request per group, not one per point. Rewriting an accepted point is harmless: it is the same point.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from ridebuy.store.base import StoreRejected
from ridebuy.store.points import Point

Write = Callable[[Sequence[Point]], None]


def find_refused(write: Write, points: Sequence[Point], refusal: StoreRejected) -> dict[Point, StoreRejected]:
    """The points of ``points`` the store refuses, each with its refusal; ``refusal`` is the one the whole write
    got. Every other point is stored when this returns. StoreUnavailable from ``write`` propagates."""
    groups: dict[tuple[object, ...], list[Point]] = {}
    for point in points:
        groups.setdefault(_signature(point), []).append(point)
    if len(groups) == 1:
        return _bisect(write, list(points), refusal)
    refused: dict[Point, StoreRejected] = {}
    for group in groups.values():
        refused.update(_bisect(write, group, None))
    return refused


def _bisect(write: Write, points: list[Point], refusal: StoreRejected | None) -> dict[Point, StoreRejected]:
    if refusal is None:
        try:
            write(points)
            return {}
        except StoreRejected as exc:
            refusal = exc
    if len(points) == 1 or refusal.dropped == len(points):
        return dict.fromkeys(points, refusal)
    middle = len(points) // 2
    return {**_bisect(write, points[:middle], None), **_bisect(write, points[middle:], None)}


def _signature(point: Point) -> tuple[object, ...]:
    return (point.measurement, tuple((name, type(value)) for name, value in point.fields))
