"""``ridebuy api``: serve the live availability API and the cyclist web page."""

from __future__ import annotations

import argparse
import logging
import signal
from types import FrameType

from ridebuy.devices.registry import RegistryError
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.settings import Settings

log = logging.getLogger(__name__)

SETTINGS = (
    "api_host", "api_port", "api_cors_origins", "api_expire_interval_s", "town_lat", "town_lon",
    "max_payload_bytes", "max_future_s", "api_max_body_bytes", "api_rate_limit", "api_trusted_proxies",
    "battery_low_pct", "battery_low_v",
    "town_timezone", "panel_publish_interval_s", "panel_stale_after_s", "panel_text_width",
    "panel_ride_and_buy_refresh_s", "ride_and_buy_trip_km", "ride_and_buy_car_share", "ride_and_buy_co2_g_per_km",
)
"""Settings of ``ridebuy api`` besides the common ones (each also a flag). RIDEBUY_API_TOKEN is deliberately not a
flag: a command line is visible to every user of the machine (ps); the token comes from the environment only."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request")


def run_api(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: building the command line must stay quick for every other sub-command.
    import uvicorn

    from ridebuy.api.app import create_app

    if settings.log_level != "DEBUG":
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per store query is noise
    try:
        app = create_app(settings)
    except (RegistryError, ValueError) as exc:  # a bad registry or store URL: say so, no traceback
        log.error("%s", exc)
        return 2
    if settings.api_token is None or not settings.api_token.get_secret_value():
        log.warning("admin endpoints are off: RIDEBUY_API_TOKEN is not set")
    log.info(
        "serving on http://%s:%d (live state from %s)",
        settings.api_host, settings.api_port, parse_broker_url(settings.mqtt_url).display,
    )
    config = uvicorn.Config(
        app,
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=bool(args.access_log),
        proxy_headers=True,
        forwarded_allow_ips=[a.strip() for a in settings.api_trusted_proxies.split(",") if a.strip()],
        timeout_graceful_shutdown=3,
    )
    # uvicorn shuts down gracefully on SIGTERM/SIGINT, then raises the signal again so that the default action
    # kills the process. Like ``ridebuy ingest``, exit 0 after a clean shutdown instead: take that second one.
    previous = {signum: signal.signal(signum, _after_shutdown) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        uvicorn.Server(config).run()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


def _after_shutdown(signum: int, frame: FrameType | None) -> None:
    log.debug("signal %d after a clean shutdown", signum)
