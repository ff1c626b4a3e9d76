"""The FastAPI application: built by :func:`create_app`, live state kept in its lifespan."""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import anyio
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi_offline import FastAPIOffline

from ridebuy import __version__
from ridebuy.api.context import ApiContext
from ridebuy.api.errors import install_error_handlers
from ridebuy.api.geo import Position
from ridebuy.api.live_state import BatteryThresholds, LiveState
from ridebuy.api.live_subscription import listen_forever
from ridebuy.api.metrics import ApiMetrics
from ridebuy.api.panel_service import PanelService
from ridebuy.api.ratelimit import RateLimit
from ridebuy.api.routes import admin, counters, devices, health, open_data, panels, parkings, stream, web
from ridebuy.api.security import BodyLimit, SecurityHeaders
from ridebuy.api.settings import ApiSettings
from ridebuy.api.store_access import StoreAccess
from ridebuy.devices.native import Limits
from ridebuy.devices.registry import Registry
from ridebuy.devices.registry.load import load_registry_lean
from ridebuy.devices.registry.watch import RegistryWatcher
from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.store.base import Store, StoreError

log = logging.getLogger(__name__)

FIRST_CONNECT_WAIT_S = 5.0
"""At start-up, how long to wait for the subscription before reading the store, so no message falls between."""
REGISTRY_POLL_S = 2.0
"""How often the registry file is checked for edits (a device adopted from the command line or another replica)."""

_DESCRIPTION = """\
Live availability of bike parkings (folded from the sensors' MQTT stream, bootstrapped from the store), their
history, bike counters and device health. Every availability figure carries `last_updated` and a `status`:
`ok` (every space watched), `stale` (some spaces unknown), `unknown` (nothing known) or `closed`.
Spaces whose sensor is silent are counted as `unknown`, never as `free`.

Errors: an unknown id gives 404 with a `detail` sentence; a bad parameter gives 422 naming it. List endpoints
send `ETag` and `Last-Modified` and answer 304 to `If-None-Match` / `If-Modified-Since`.
"""

_TAGS = [
    {"name": "parkings", "description": "live availability (from live state) and history (from the store)"},
    {"name": "counters", "description": "counting sites and their passages"},
    {"name": "devices", "description": "device health"},
    {"name": "stream", "description": "server-sent events of availability changes"},
    {"name": "panels", "description": "display panels: what each shows, as JSON and fixed-width text for LED signs"},
    {"name": "operations", "description": "health, readiness and metrics"},
    {
        "name": "open data",
        "description": "Velopark JSON-LD, DATEX II v3 (XML and Light JSON), French counting tables and their "
        "DCAT-AP catalogue; see docs/open-data.md",
    },
    {
        "name": "admin",
        "description": "dead letters, unknown devices and adoption; need `Authorization: Bearer <RIDEBUY_API_TOKEN>`",
    },
]


def town_centre(settings: ApiSettings, registry: Registry) -> Position:
    """The configured centre, else the middle of the registry's parkings (or counters)."""
    if settings.town_lat is not None and settings.town_lon is not None:
        return Position(settings.town_lat, settings.town_lon)
    places = [(p.lat, p.lon) for p in registry.parkings] or [(c.lat, c.lon) for c in registry.counters]
    if not places:
        return Position(0.0, 0.0)
    return Position(sum(p[0] for p in places) / len(places), sum(p[1] for p in places) / len(places))


def open_configured_store(settings: ApiSettings) -> Store:
    from ridebuy.store.open import open_store

    token = settings.store_token.get_secret_value() if settings.store_token is not None else None
    store: Store = open_store(settings.store_url, token)
    return store


def create_app(
    settings: ApiSettings,
    *,
    store: Store | None = None,
    registry: Registry | None = None,
    clock_ns: Callable[[], int] = time.time_ns,
    listen: bool = True,
) -> FastAPI:
    """Build the API. ``store`` and ``registry`` default to the configured ones; ``listen=False`` leaves out the
    MQTT subscription (tests that feed live state themselves)."""
    if registry is None:
        registry = load_registry_lean(settings.registry)
    owns_store = store is None
    store = store if store is not None else open_configured_store(settings)
    metrics = ApiMetrics()
    live = LiveState(
        registry,
        metrics,
        Limits(settings.max_payload_bytes, settings.max_future_s),
        BatteryThresholds(settings.battery_low_pct, settings.battery_low_v),
    )
    context = ApiContext(
        settings=settings,
        live=live,
        store=StoreAccess(store, metrics),
        metrics=metrics,
        centre=town_centre(settings, registry),
        clock_ns=clock_ns,
    )
    panel_service = PanelService(context)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tasks:
            connected = asyncio.Event()
            resync = asyncio.Event()

            def on_connect() -> None:
                if connected.is_set():
                    resync.set()  # a reconnection: catch up on what the ingest stored meanwhile
                connected.set()

            if listen:
                broker = parse_broker_url(settings.mqtt_url)
                tasks.start_soon(
                    functools.partial(listen_forever, on_client=panel_service.link.set),
                    broker,
                    live,
                    metrics,
                    clock_ns,
                    on_connect,
                )
                with anyio.move_on_after(FIRST_CONNECT_WAIT_S):
                    await connected.wait()
            if not await _bootstrap(context):
                resync.set()
            tasks.start_soon(_keep_bootstrapped, context, resync)
            tasks.start_soon(_expire_forever, context)
            tasks.start_soon(_follow_registry_file, context)
            panel_service.start(tasks, parse_broker_url(settings.mqtt_url) if listen else None)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
        if owns_store:
            with suppress(StoreError):
                store.close()

    app = FastAPIOffline(
        title="ridebuy API",
        version=__version__,
        description=_DESCRIPTION,
        openapi_tags=_TAGS,
        lifespan=lifespan,
        redoc_url=None,
    )
    app.state.context = context
    app.state.panels = panel_service
    install_error_handlers(app)
    # Middleware runs outside in, the last added first: headers on every answer (429 and 413 too), CORS, the rate
    # limit, then the body limit.
    app.add_middleware(BodyLimit, max_bytes=settings.api_max_body_bytes)
    if settings.api_rate_limit:
        app.add_middleware(RateLimit, rate=settings.api_rate_limit, metrics=metrics)
    if settings.api_cors_origins.strip():
        # An allow-list of origins (validated in Settings), read-only methods, never credentials: a page of another
        # origin may read public figures but cannot send the admin token (Authorization is not an allowed header).
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[o.strip() for o in settings.api_cors_origins.split(",") if o.strip()],
            allow_methods=["GET"],
            allow_credentials=False,
            expose_headers=["ETag", "Last-Modified", "Retry-After"],
        )
    app.add_middleware(SecurityHeaders)
    for module in (parkings, counters, devices, stream, health, panels, web, admin, open_data):
        app.include_router(module.router)
    app.include_router(panels.page_router)
    app.mount("/static", web.static_app(), name="static")
    return app


async def _bootstrap(context: ApiContext) -> bool:
    try:
        snapshots = await context.store.device_snapshots()
    except StoreError as exc:
        log.warning("cannot bootstrap live state from the store yet: %s", exc)
        return False
    devices = context.live.bootstrap(snapshots, context.clock_ns())
    context.metrics.bootstrap_done.set(1)
    log.info("live state bootstrapped from the store: %d devices", devices)
    return True


async def _keep_bootstrapped(context: ApiContext, resync: asyncio.Event) -> None:
    """Re-read the store when asked (failed first try, broker reconnection), retrying with backoff."""
    backoff = Backoff(initial_s=1.0, maximum_s=60.0)
    while True:
        await resync.wait()
        resync.clear()
        if await _bootstrap(context):
            backoff.reset()
            continue
        await anyio.sleep(backoff.next_delay())
        resync.set()


async def _follow_registry_file(context: ApiContext) -> None:
    """Take an edited registry file at once (the ingest does the same): an adopted device is accepted and shown
    without a restart, whoever edited the file."""
    watcher = RegistryWatcher(context.settings.registry, context.live.registry)
    while True:
        await anyio.sleep(REGISTRY_POLL_S)
        registry = await anyio.to_thread.run_sync(watcher.changed)
        if registry is not None:
            context.live.replace_registry(registry, context.clock_ns())
            log.info("registry reloaded: %d devices", len(registry.devices))


async def _expire_forever(context: ApiContext) -> None:
    """Silent devices turn unknown without a message to say so: re-judge at a steady pace."""
    while True:
        await anyio.sleep(context.settings.api_expire_interval_s)
        context.live.expire(context.clock_ns())
