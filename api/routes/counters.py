"""Counters: the counting sites and their passages per 15 min, hour or day (from the store)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from ridebuy.api.caching import conditional_json
from ridebuy.api.deps import LiveDep, NowDep, StoreDep
from ridebuy.api.errors import NotFound
from ridebuy.api.schemas import CounterCounts, CounterList, CountPoint, CountSeries, ErrorOut, ValidationErrorOut
from ridebuy.api.timeparams import resolve_range, to_datetime
from ridebuy.api.views import counter_out
from ridebuy.devices.payloads import Direction

router = APIRouter(prefix="/v1", tags=["counters"])


class CountInterval(StrEnum):
    QUARTER_HOUR = "15m"
    HOUR = "1h"
    DAY = "1d"


_INTERVAL_S = {CountInterval.QUARTER_HOUR: 900, CountInterval.HOUR: 3600, CountInterval.DAY: 86_400}


@router.get("/counters", response_model=CounterList, responses={304: {"description": "not modified"}})
async def list_counters(request: Request, live: LiveDep) -> Response:
    """Every counting site, with the liveness of its devices."""
    registry = live.registry
    body = CounterList(counters=[counter_out(registry, live, c.id) for c in registry.counters])
    return conditional_json(request, body, live.modified_ns)


@router.get(
    "/counters/{counter_id}/counts",
    response_model=CounterCounts,
    responses={
        404: {"model": ErrorOut, "description": "no counter with this id"},
        422: {"model": ValidationErrorOut, "description": "a parameter is wrong; the answer names it"},
    },
)
async def counter_counts(
    live: LiveDep,
    store: StoreDep,
    now_ns: NowDep,
    counter_id: Annotated[str, Path(description="counter id from the registry", examples=["centre-nord"])],
    start: Annotated[
        datetime | None,
        Query(
            alias="from",
            description="start (RFC 3339, inclusive); default: 24 h before `to`",
            examples=["2026-05-04T00:00:00Z"],
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(alias="to", description="end (RFC 3339, exclusive); default: now", examples=["2026-05-05T00:00:00Z"]),
    ] = None,
    every: Annotated[CountInterval, Query(description="bucket length")] = CountInterval.HOUR,
    direction: Annotated[Direction | None, Query(description="only this direction; default: both")] = None,
) -> CounterCounts:
    """Passages of one counter per bucket, by direction and class; a gap is null, never zero."""
    if counter_id not in live.registry.counter_by_id:
        raise NotFound("counter", counter_id)
    every_s = _INTERVAL_S[every]
    span = resolve_range(start, end, every_s, now_ns)
    buckets = await store.counter_counts(
        counter_id, span.start_ns, span.end_ns, every_s, direction.value if direction else None
    )
    grouped: dict[tuple[str, str], list[CountPoint]] = defaultdict(list)
    for bucket in sorted(buckets, key=lambda b: (b.direction, b.traffic_class, b.start_ns)):
        start_at = to_datetime(bucket.start_ns)
        assert start_at is not None
        grouped[(bucket.direction, bucket.traffic_class)].append(CountPoint(start=start_at, count=bucket.count))
    series = [
        CountSeries(
            direction=key[0],
            traffic_class=key[1],
            total=sum(p.count for p in points if p.count is not None),
            counts=points,
        )
        for key, points in grouped.items()
    ]
    return CounterCounts(
        counter=counter_id,
        start=span.start,
        end=span.end,
        every=every.value,
        direction=direction.value if direction else None,
        series=series,
    )
