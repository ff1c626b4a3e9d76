"""Parkings: live availability (never from the store) and availability history (from the store).

Live routes are ``async`` on purpose: they run on the event loop, the one thread that owns live state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from weakref import WeakKeyDictionary

from fastapi import APIRouter, Path, Query, Request, Response

from ridebuy.api.caching import RenderCache, conditional_response
from ridebuy.api.deps import LiveDep, NowDep, StoreDep
from ridebuy.api.errors import BadParameter, NotFound
from ridebuy.api.geo import Position, parse_position
from ridebuy.api.live_state import LiveState
from ridebuy.api.schemas import (
    ErrorOut,
    HistoryBucket,
    ParkingFeatureCollection,
    ParkingHistory,
    ParkingList,
    ParkingOut,
    ValidationErrorOut,
)
from ridebuy.api.timeparams import parse_duration_s, resolve_range, to_datetime
from ridebuy.api.views import parking_feature, parking_out
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


def _select(live: LiveState, near: str | None, radius_m: float | None, min_free: int | None) -> list[ParkingOut]:
    origin: Position | None = None
    if near is not None:
        try:
            origin = parse_position(near)
        except ValueError as exc:
            raise BadParameter("near", str(exc)) from None
    elif radius_m is not None:
        raise BadParameter("radius_m", "needs 'near' (the point to measure from)")
    snapshot = live.snapshot()
    parkings = [parking_out(p, snapshot.get(p.id), origin) for p in live.registry.parkings]
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


def _parking(registry: Registry, parking_id: str) -> None:
    if parking_id not in registry.parking_by_id:
        raise NotFound("parking", parking_id)


@router.get("/parkings", response_model=ParkingList, responses=_NOT_MODIFIED)
async def list_parkings(
    request: Request, live: LiveDep, near: Near = None, radius_m: RadiusM = None, min_free: MinFree = None
) -> Response:
    """Live availability of every parking, nearest first when `near` is given."""
    rendered = _rendered_lists(live).get(
        (live.version, live.modified_ns),
        ("list", near, radius_m, min_free),
        lambda: ParkingList(parkings=_select(live, near, radius_m, min_free)),
    )
    return conditional_response(request, rendered, live.modified_ns)


@router.get(
    "/parkings.geojson",
    response_model=ParkingFeatureCollection,
    responses={**_NOT_MODIFIED, 200: {"content": {"application/geo+json": {}}}},
)
async def parkings_geojson(
    request: Request, live: LiveDep, near: Near = None, radius_m: RadiusM = None, min_free: MinFree = None
) -> Response:
    """Live availability as a GeoJSON FeatureCollection (RFC 7946: coordinates in lon, lat order)."""
    rendered = _rendered_lists(live).get(
        (live.version, live.modified_ns),
        ("geojson", near, radius_m, min_free),
        lambda: ParkingFeatureCollection(
            features=[parking_feature(p) for p in _select(live, near, radius_m, min_free)]
        ),
    )
    return conditional_response(request, rendered, live.modified_ns, media_type="application/geo+json")


@router.get("/parkings/{parking_id}", response_model=ParkingOut, responses={404: _ERRORS[404]})
async def get_parking(live: LiveDep, parking_id: ParkingId) -> ParkingOut:
    """Live availability of one parking."""
    _parking(live.registry, parking_id)
    return parking_out(live.registry.parking_by_id[parking_id], live.availability(parking_id))


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
