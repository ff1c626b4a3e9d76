"""Open-data feeds under /open-data/: Velopark JSON-LD, DATEX II v3 XML and Light JSON, French counting tables,
and their DCAT-AP catalogue (docs/open-data.md).

Documents are built from the live state and registry the rest of the API reads, so a feed and /v1/parkings give
the same free count at the same moment. Live documents are rendered once per change of the live state, like the
list bodies; every answer carries ETag (and Last-Modified where a time is known) and allows any origin (CORS):
open data is for any page to read.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from datetime import UTC, date, datetime, timedelta
from typing import Annotated
from weakref import WeakKeyDictionary

import anyio
from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from ridebuy.api.caching import RenderCache, Rendered, conditional_response, render
from ridebuy.api.context import ApiContext
from ridebuy.api.deps import ContextDep
from ridebuy.api.errors import BadParameter, NotFound
from ridebuy.api.live_state import LiveState
from ridebuy.api.open_data import catalogue, counting, datex2, datex2_light, velopark
from ridebuy.api.open_data.figures import LiveFigures, live_figures, open_now
from ridebuy.api.open_data.publication import Publisher, Uris
from ridebuy.api.schemas import ErrorOut, ValidationErrorOut
from ridebuy.api.timeparams import NS_PER_S, to_ns
from ridebuy.api.views import Moment
from ridebuy.devices.registry import Registry
from ridebuy.store.base import StoreError

log = logging.getLogger(__name__)

router = APIRouter(prefix="/open-data", tags=["open data"])

CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Last-Modified"}
TIME_STEP_S = 900
"""Time step of the counting measures: a quarter hour, the finest the counters' figures are kept in."""
CHUNK_STEPS = 2_000
"""Time steps fetched from the store per query while a measures table streams (about three weeks)."""

_NOT_MODIFIED: dict[int | str, dict[str, object]] = {
    304: {"description": "not modified since the ETag (If-None-Match) or date (If-Modified-Since) sent"},
}
_NO_PARKING: dict[int | str, dict[str, object]] = {
    **_NOT_MODIFIED,
    404: {"model": ErrorOut, "description": "no parking with this id"},
}
ParkingId = Annotated[str, Path(description="parking id from the registry", examples=["grand-place"])]


class _Rendered:
    """Per API (per live state): documents rendered once per change, and when the registry was last replaced."""

    def __init__(self) -> None:
        self.live = RenderCache()
        self.static = RenderCache(max_entries=4096)
        """Documents of the registry alone (one per parking at most): kept until the registry changes."""
        self.registry: Registry | None = None
        self.registry_since_ns = 0
        self.generation = 0
        """Counts registry replacements: the key of the static documents."""
        self.whole: dict[Hashable, tuple[Hashable, Rendered, int]] = {}
        """Documents of every parking at once, serialised off the event loop: key -> (version, body, as of)."""


_CACHES: WeakKeyDictionary[LiveState, _Rendered] = WeakKeyDictionary()


def _cache(context: ApiContext) -> _Rendered:
    cache = _CACHES.get(context.live)
    if cache is None:
        cache = _CACHES[context.live] = _Rendered()
    if cache.registry is not context.live.registry:
        # Static documents date from the registry they describe: their ETag changes only with it.
        cache.registry = context.live.registry
        cache.registry_since_ns = context.clock_ns()
        cache.generation += 1
    return cache


def _uris(request: Request, context: ApiContext) -> Uris:
    return Uris(context.settings.public_base_url or str(request.base_url).rstrip("/"))


def _serve(
    request: Request,
    context: ApiContext,
    key: tuple[str, ...],
    build: Callable[[], bytes],
    media_type: str,
    *,
    static: bool = False,
) -> Response:
    """A document rendered once per state of the live data (``static``: once per registry)."""
    cache = _cache(context)
    live = context.live
    full_key = (*key, _uris(request, context).base)
    if static:
        rendered: Rendered = cache.static.get(cache.generation, full_key, build)
        modified_ns = cache.registry_since_ns
    else:
        rendered = cache.live.get((live.version, live.modified_ns), full_key, build)
        modified_ns = max(live.modified_ns, cache.registry_since_ns)
    return conditional_response(request, rendered, modified_ns, media_type, CORS)


async def _serve_whole(
    request: Request, context: ApiContext, name: str, prepare: Callable[[], Callable[[], bytes]], media_type: str
) -> Response:
    """A document of every parking, once per state of the live data. ``prepare`` runs on the event loop, the one
    thread that owns the live state, and takes what the document shows (frozen values); the serialisation it
    returns, the bulk of the work (about a second for 10,000 parkings), runs in a worker thread while the loop
    serves other requests. Built from the state as it was when asked: a change during the build makes the next
    request build again."""
    cache = _cache(context)
    live = context.live
    version = (live.version, live.modified_ns)
    key = (name, _uris(request, context).base)
    held = cache.whole.get(key)
    if held is None or held[0] != version:
        as_of_ns = max(live.modified_ns, cache.registry_since_ns)
        content = await anyio.to_thread.run_sync(prepare())
        held = (version, render(content), as_of_ns)
        if len(cache.whole) >= 64:  # the base URL may come from the request's Host header: bounded
            cache.whole.clear()
        cache.whole[key] = held
    return conditional_response(request, held[1], held[2], media_type, CORS)


def _figures(live: LiveState) -> dict[str, LiveFigures]:
    snapshot = live.snapshot()
    return {p.id: live_figures(p, snapshot.get(p.id)) for p in live.registry.parkings}


def _parking(registry: Registry, parking_id: str) -> None:
    if parking_id not in registry.parking_by_id:
        raise NotFound("parking", parking_id)


# Catalogue ----------------------------------------------------------------------------------------------------
def _catalogue_json(request: Request, context: ApiContext) -> bytes:
    return catalogue.dumps(
        catalogue.catalogue(context.live.registry, Publisher.from_settings(context.settings), _uris(request, context))
    )


@router.get(
    "/",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}, catalogue.MEDIA_TYPE: {}}}},
)
async def open_data_page(request: Request, context: ContextDep) -> Response:
    """The feeds for people (HTML), or their DCAT-AP catalogue for `Accept: application/ld+json`."""
    if "application/ld+json" in request.headers.get("accept", ""):
        return await open_data_catalogue(request, context)
    uris = _uris(request, context)
    publisher = Publisher.from_settings(context.settings)
    today = datetime.fromtimestamp(context.clock_ns() // NS_PER_S, UTC).date()
    body = catalogue.page(context.live.registry, publisher, uris, _catalogue_json(request, context).decode(), today)
    return HTMLResponse(body, headers={"Cache-Control": "no-cache"})


@router.get("/catalogue.jsonld", responses={**_NOT_MODIFIED, 200: {"content": {catalogue.MEDIA_TYPE: {}}}})
async def open_data_catalogue(request: Request, context: ContextDep) -> Response:
    """The DCAT-AP catalogue of the feeds (JSON-LD): licence, publisher, update frequency, one distribution per
    file."""
    return _serve(
        request, context, ("catalogue",), lambda: _catalogue_json(request, context), catalogue.MEDIA_TYPE, static=True
    )


# Velopark -----------------------------------------------------------------------------------------------------
@router.get("/velopark/{parking_id}.jsonld", responses={**_NO_PARKING, 200: {"content": {velopark.MEDIA_TYPE: {}}}})
async def velopark_parking(request: Request, context: ContextDep, parking_id: ParkingId) -> Response:
    """One parking in Velopark's application profile (`mv:BicycleParkingStation` with its section)."""
    registry = context.live.registry
    _parking(registry, parking_id)

    def build() -> bytes:
        parking = registry.parking_by_id[parking_id]
        counted = bool(registry.devices_of_parking(parking_id))
        publisher = Publisher.from_settings(context.settings)
        return velopark.dumps(velopark.parking_document(parking, publisher, _uris(request, context), counted))

    return _serve(request, context, ("velopark", parking_id), build, velopark.MEDIA_TYPE, static=True)


@router.get(
    "/velopark/{parking_id}/live.jsonld", responses={**_NO_PARKING, 200: {"content": {velopark.MEDIA_TYPE: {}}}}
)
async def velopark_live(request: Request, context: ContextDep, parking_id: ParkingId) -> Response:
    """Free places of a parking's section now (`mv:RealTimeCapacity`); `freePlaces` is absent while unknown."""
    live = context.live
    _parking(live.registry, parking_id)

    def build() -> bytes:
        parking = live.registry.parking_by_id[parking_id]
        figures = live_figures(parking, live.availability(parking_id))
        # While nothing is known, the date is when availability last changed (not every message anywhere): the
        # document, and its ETag, stay the same until something a reader could see changes.
        as_of_ns = live.changed_ns or live.modified_ns
        document = velopark.live_document(parking, figures, _uris(request, context), as_of_ns)
        return velopark.dumps(document)

    return _serve(request, context, ("velopark-live", parking_id), build, velopark.MEDIA_TYPE)


# DATEX II -----------------------------------------------------------------------------------------------------
@router.get("/datex2/parking-table.xml", responses={**_NOT_MODIFIED, 200: {"content": {datex2.MEDIA_TYPE: {}}}})
async def datex2_table(request: Request, context: ContextDep) -> Response:
    """DATEX II v3 ParkingTablePublication: each parking as a `prk:Place` for bicycles."""
    cache = _cache(context)

    def build() -> bytes:
        publisher = Publisher.from_settings(context.settings)
        return datex2.parking_table(list(context.live.registry.parkings), publisher, cache.registry_since_ns)

    return _serve(request, context, ("datex2-table",), build, datex2.MEDIA_TYPE, static=True)


def _open_now(context: ApiContext, moment: Moment) -> dict[str, bool | None]:
    return {p.id: open_now(p, moment) for p in context.live.registry.parkings}


@router.get("/datex2/parking-status.xml", responses={**_NOT_MODIFIED, 200: {"content": {datex2.MEDIA_TYPE: {}}}})
async def datex2_status(request: Request, context: ContextDep) -> Response:
    """DATEX II v3 ParkingStatusPublication: vacant and occupied spaces, occupancy and status per parking now."""

    def prepare() -> Callable[[], bytes]:
        moment = context.moment()
        return functools.partial(
            datex2.parking_status,
            list(context.live.registry.parkings),
            _figures(context.live),
            _open_now(context, moment),
            Publisher.from_settings(context.settings),
            moment.now_ns,
        )

    return await _serve_whole(request, context, "datex2-status", prepare, datex2.MEDIA_TYPE)


@router.get("/datex2/parking-light.json", responses={**_NOT_MODIFIED, 200: {"content": {datex2_light.MEDIA_TYPE: {}}}})
async def datex2_light_publication(request: Request, context: ContextDep) -> Response:
    """DATEX II Parking Publication Light (JSON): every parking with its spaces and available spaces now."""

    def prepare() -> Callable[[], bytes]:
        moment = context.moment()
        now_ns = moment.now_ns
        figures, hours = _figures(context.live), _open_now(context, moment)
        parkings, publisher, uris = (
            list(context.live.registry.parkings),
            Publisher.from_settings(context.settings),
            _uris(request, context),
        )
        return lambda: datex2_light.dumps(datex2_light.publication(parkings, figures, hours, publisher, uris, now_ns))

    return await _serve_whole(request, context, "datex2-light", prepare, datex2_light.MEDIA_TYPE)


# Counting tables ----------------------------------------------------------------------------------------------
_CSV: dict[int | str, dict[str, object]] = {200: {"content": {"text/csv": {}}}}


@router.get("/counters/sites.csv", responses={**_NOT_MODIFIED, **_CSV})
async def counting_sites(request: Request, context: ContextDep) -> Response:
    """Counting sites (comptage mobilités `site` table): one per counter of the registry."""
    uris = _uris(request, context)
    counters = context.live.registry.counters

    def build() -> bytes:
        return counting.sites_csv(counters, {c.id: uris.counter(c.id) for c in counters}).encode()

    return _serve(request, context, ("sites",), build, counting.MEDIA_TYPE, static=True)


@router.get("/counters/channels.csv", responses={**_CSV, 503: {"model": ErrorOut, "description": "store away"}})
async def counting_channels(request: Request, context: ContextDep) -> Response:
    """Counting channels (`channel` table): mode BIKE, one per direction, a quarter hour time step. `started_at`
    is the first day with data within the longest range measures.csv serves."""
    registry = context.live.registry
    now_ns = context.clock_ns()
    window_start_ns = _day_start_ns(now_ns) - context.settings.open_data_max_days * 86_400 * NS_PER_S
    started: dict[str, int] = {}
    last_updated: dict[str, int | None] = {}
    for counter in registry.counters:
        days = await context.store.counter_counts(counter.id, window_start_ns, now_ns, 86_400, None)
        for channel in counting.channels_of([counter]):
            counted = sorted(
                ns for ns, count in counting.bike_counts(days, channel.direction).items() if count is not None
            )
            started[channel.id] = counted[0] if counted else window_start_ns
        seen = [
            ns
            for d in registry.devices
            if d.counter == counter.id
            if (ns := context.live.health(d.id).last_seen_ns) is not None
        ]
        last_updated[counter.id] = max(seen, default=None)
    body = counting.channels_csv(
        counting.channels_of(registry.counters),
        started,
        last_updated,
        TIME_STEP_S,
        context.settings.open_data_publisher,
        _uris(request, context).catalogue,
    )
    return conditional_response(request, render(body.encode()), 0, counting.MEDIA_TYPE, CORS)


def _day_start_ns(ns: int) -> int:
    day_ns = 86_400 * NS_PER_S
    return ns - ns % day_ns


@router.get(
    "/counters/measures.csv",
    responses={
        **_CSV,
        422: {"model": ValidationErrorOut, "description": "a bad or too long date range; the answer says which"},
        503: {"model": ErrorOut, "description": "the history store is unavailable"},
    },
)
async def counting_measures(
    request: Request,
    context: ContextDep,
    start: Annotated[date, Query(alias="from", description="first day (UTC), YYYY-MM-DD", examples=["2026-05-04"])],
    end: Annotated[
        date, Query(alias="to", description="last day (UTC, inclusive), YYYY-MM-DD", examples=["2026-05-10"])
    ],
) -> Response:
    """Bikes per quarter hour and channel (`measure` table) for the days `from` to `to`, streamed. An interval
    with no data has an empty count; a counted zero is 0. At most RIDEBUY_OPEN_DATA_MAX_DAYS days per request."""
    if end < start:
        raise BadParameter("to", "must be the same day as 'from' or later")
    days = (end - start).days + 1
    limit = context.settings.open_data_max_days
    if days > limit:
        raise BadParameter("to", f"the range covers {days} days, more than {limit}: ask for several shorter ranges")
    start_ns = to_ns(datetime(start.year, start.month, start.day, tzinfo=UTC))
    step_ns = TIME_STEP_S * NS_PER_S
    now_ns = context.clock_ns()
    end_ns = min(
        to_ns(datetime(end.year, end.month, end.day, tzinfo=UTC) + timedelta(days=1)),
        now_ns - now_ns % step_ns + step_ns,  # up to the current quarter hour, not into the future
    )
    channels = counting.channels_of(context.live.registry.counters)
    chunk_ns = CHUNK_STEPS * step_ns
    chunks = [(s, min(s + chunk_ns, end_ns)) for s in range(start_ns, end_ns, chunk_ns)]

    async def rows(channel: counting.Channel, chunk: tuple[int, int]) -> str:
        buckets = await context.store.counter_counts(
            channel.counter.id, chunk[0], chunk[1], TIME_STEP_S, channel.direction
        )
        return counting.measure_rows(channel, buckets, chunk[0], chunk[1], TIME_STEP_S)

    work = [(channel, chunk) for channel in channels for chunk in chunks]
    # The first query runs before the answer starts: a store that is away gives a 503, not a truncated table.
    first = await rows(*work[0]) if work else ""

    async def stream() -> AsyncIterator[str]:
        yield counting.header(counting.MEASURE_FIELDS)
        yield first
        for done, item in enumerate(work[1:], start=1):
            try:
                yield await rows(*item)
            except StoreError as exc:
                # The status line is gone: the client sees the body cut short (an incomplete chunked answer).
                log.warning("measures.csv cut short after %d of %d store queries: %s", done, len(work), exc)
                raise

    filename = f"measures-{start.isoformat()}-{end.isoformat()}.csv"
    return StreamingResponse(
        stream(),
        media_type=counting.MEDIA_TYPE,
        headers={**CORS, "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-cache"},
    )
