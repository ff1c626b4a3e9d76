"""Parkings: live availability (never from the store) and availability history (from the store).

Live routes are ``async`` on purpose: they run on the event loop, the one thread that owns live state.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Annotated, NamedTuple
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Path, Query, Request, Response

from ridebuy.api.caching import RenderCache, conditional_response
from ridebuy.api.deps import ContextDep, LiveDep, NowDep, StoreDep
from ridebuy.api.errors import BadParameter, NotFound
from ridebuy.api.geo import Position, parse_position
from ridebuy.api.live_state import LiveState
from ridebuy.api.schemas import (
    ErrorOut,
    HistoryBucket,
    HourOfWeek,
    ParkingFeatureCollection,
    ParkingHistory,
    ParkingList,
    ParkingOut,
    ParkingTrend,
    UsuallyFull,
    ValidationErrorOut,
)
from ridebuy.api.store_access import StoreAccess
from ridebuy.api.timeparams import NS_PER_S, parse_duration_s, resolve_range, to_datetime
from ridebuy.api.trends import WEEKS, TrendCache
from ridebuy.api.views import Moment, parking_feature, parking_out
from ridebuy.devices.registry import Registry

router = APIRouter(prefix="/v1", tags=["parkings"])

_ERRORS: dict[int | str, dict[str, object]] = {
    404: {"model": ErrorOut, "description": "no parking with this id"},
    422: {"model": ValidationErrorOut, "description": "a parameter is wrong; the answer names it"},
}
_NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "not modified since the ETag (If-None-Match) or date (If-Modified-Since) sent"},
    422: _ERRORS[422],
}

Near = Annotated[
    str | None,
    Query(description="sort by distance from this point: 'lat,lon' in decimal degrees", examples=["50.6716,5.077"]),
]
RadiusM = Annotated[
    float | None, Query(gt=0, le=100_000, description="only parkings within this many metres of `near`", examples=[500])
]
MinFree = Annotated[
    int | None, Query(ge=0, description="only parkings with at least this many free places", examples=[2])
]
ParkingId = Annotated[str, Path(description="parking id from the registry", examples=["grand-place"])]


def _select(
    live: LiveState, moment: Moment, near: str | None, radius_m: float | None, min_free: int | None
) -> list[ParkingOut]:
    origin: Position | None = None
    if near is not None:
        try:
            origin = parse_position(near)
        except ValueError as exc:
            raise BadParameter("near", str(exc)) from None
    elif radius_m is not None:
        raise BadParameter("radius_m", "needs 'near' (the point to measure from)")
    snapshot = live.snapshot()
    registry = live.registry
    parkings = [parking_out(p, snapshot.get(p.id), registry, moment, origin) for p in registry.parkings]
    if radius_m is not None:
        parkings = [p for p in parkings if p.distance_m is not None and p.distance_m <= radius_m]
    if min_free is not None:
        parkings = [p for p in parkings if p.free >= min_free]
    if origin is not None:
        parkings.sort(key=lambda p: (p.distance_m, p.id))
    return parkings


_RENDERED: WeakKeyDictionary[LiveState, RenderCache] = WeakKeyDictionary()


def _rendered_lists(live: LiveState) -> RenderCache:
    """The list bodies rendered for this live state (one per app): the hot read path serves bytes, builds once."""
    cache = _RENDERED.get(live)
    if cache is None:
        cache = _RENDERED[live] = RenderCache()
    return cache


class ListVersion(NamedTuple):
    key: tuple[int, int]
    """What the rendered lists are cached under."""
    last_modified_ns: int


_WITH_HOURS: dict[int, tuple[Registry, bool]] = {}


def _has_opening_hours(registry: Registry) -> bool:
    """Whether any parking has opening hours (computed once per registry, not per request)."""
    known = _WITH_HOURS.get(id(registry))
    if known is None or known[0] is not registry:
        _WITH_HOURS.clear()  # one registry is live at a time; an edited file replaces it
        known = _WITH_HOURS[id(registry)] = (registry, any(p.opening_hours for p in registry.parkings))
    return known[1]


def _list_version(live: LiveState, moment: Moment) -> ListVersion:
    """Live state's version and Last-Modified, and the minute when opening hours are in play: a parking opens or
    closes with the clock alone."""
    if not _has_opening_hours(live.registry):
        return ListVersion((live.version, live.modified_ns), live.modified_ns)
    minute_ns = moment.now_ns - moment.now_ns % (60 * NS_PER_S)
    return ListVersion((live.version, minute_ns), max(live.modified_ns, minute_ns))


def _parking(registry: Registry, parking_id: str) -> None:
    if parking_id not in registry.parking_by_id:
        raise NotFound("parking", parking_id)


@router.get("/parkings", response_model=ParkingList, responses=_NOT_MODIFIED)
async def list_parkings(
    request: Request, context: ContextDep, near: Near = None, radius_m: RadiusM = None, min_free: MinFree = None
) -> Response:
    """Live availability of every parking, nearest first when `near` is given."""
    live, moment = context.live, context.moment()
    version = _list_version(live, moment)
    rendered = _rendered_lists(live).get(
        version.key,
        ("list", near, radius_m, min_free),
        lambda: ParkingList(parkings=_select(live, moment, near, radius_m, min_free)),
    )
    return conditional_response(request, rendered, version.last_modified_ns)


@router.get(
    "/parkings.geojson",
    response_model=ParkingFeatureCollection,
    responses={**_NOT_MODIFIED, 200: {"content": {"application/geo+json": {}}}},
)
async def parkings_geojson(
    request: Request, context: ContextDep, near: Near = None, radius_m: RadiusM = None, min_free: MinFree = None
) -> Response:
    """Live availability as a GeoJSON FeatureCollection (RFC 7946: coordinates in lon, lat order)."""
    live, moment = context.live, context.moment()
    version = _list_version(live, moment)
    rendered = _rendered_lists(live).get(
        version.key,
        ("geojson", near, radius_m, min_free),
        lambda: ParkingFeatureCollection(
            features=[parking_feature(p) for p in _select(live, moment, near, radius_m, min_free)]
        ),
    )
    return conditional_response(request, rendered, version.last_modified_ns, media_type="application/geo+json")


@router.get("/parkings/{parking_id}", response_model=ParkingOut, responses={404: _ERRORS[404]})
async def get_parking(context: ContextDep, parking_id: ParkingId) -> ParkingOut:
    """Live availability of one parking."""
    live = context.live
    _parking(live.registry, parking_id)
    return parking_out(
        live.registry.parking_by_id[parking_id], live.availability(parking_id), live.registry, context.moment()
    )


@router.get("/parkings/{parking_id}/history", response_model=ParkingHistory, responses=_ERRORS)
async def parking_history(
    live: LiveDep,
    store: StoreDep,
    now_ns: NowDep,
    parking_id: ParkingId,
    start: Annotated[
        datetime | None,
        Query(
            alias="from",
            description="start (RFC 3339, inclusive); default: 24 h before `to`",
            examples=["2026-05-04T08:00:00Z"],
        ),
    ] = None,
    end: Annotated[
        datetime | None,
        Query(alias="to", description="end (RFC 3339, exclusive); default: now", examples=["2026-05-04T09:00:00Z"]),
    ] = None,
    every: Annotated[
        str, Query(description="bucket length: a number and s, m, h or d (1m to 7d)", examples=["15m"])
    ] = "15m",
) -> ParkingHistory:
    """Availability of one parking per `every` bucket between `from` and `to` (means; from the store)."""
    _parking(live.registry, parking_id)
    every_s = parse_duration_s(every, "every")
    span = resolve_range(start, end, every_s, now_ns)
    buckets = await store.parking_history(parking_id, span.start_ns, span.end_ns, every_s)
    return ParkingHistory(
        parking=parking_id,
        start=span.start,
        end=span.end,
        every=every,
        buckets=[
            HistoryBucket(
                start=to_datetime(b.start_ns),
                free=b.free,
                occupied=b.occupied,
                unknown=b.unknown,
                capacity=b.capacity,
            )
            for b in buckets
        ],
    )


_TRENDS: WeakKeyDictionary[StoreAccess, TrendCache] = WeakKeyDictionary()


@router.get("/parkings/{parking_id}/trend", response_model=ParkingTrend, responses={404: _ERRORS[404]})
async def parking_trend(context: ContextDep, parking_id: ParkingId) -> ParkingTrend:
    """When a parking is usually full: an hour-of-week profile of its last weeks (from the store; cached an
    hour)."""
    _parking(context.live.registry, parking_id)
    cache = _TRENDS.get(context.store)
    if cache is None:
        cache = _TRENDS[context.store] = TrendCache()
    moment = context.moment()
    trend = await cache.get(parking_id, context.store.parking_history, moment.now_ns, moment.timezone)
    return ParkingTrend(
        parking=parking_id,
        timezone=moment.timezone.key,
        weeks=WEEKS,
        days_measured=trend.days_measured,
        enough_history=trend.enough_history,
        usually_full=[
            UsuallyFull(days=s.days, start_hour=s.start_hour, end_hour=s.end_hour) for s in trend.usually_full
        ],
        hours=[HourOfWeek(**dataclasses.asdict(h)) for h in trend.hours],
    )
