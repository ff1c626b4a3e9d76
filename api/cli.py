"""``ridebuy api``: serve the live availability API and the cyclist web page."""

from __future__ import annotations

import argparse
import logging
import signal
import ssl
import sys
from types import FrameType

from ridebuy.api.settings import ApiSettings
from ridebuy.devices.registry import RegistryError
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.commands import Command

log = logging.getLogger(__name__)

SWITCH_INTERVAL_S = 0.001


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--access-log", action="store_true", help="log every HTTP request")


def run_api(args: argparse.Namespace, settings: ApiSettings) -> int:
    # Imported here: building the command line must stay quick for every other sub-command.
    import uvicorn

    from ridebuy.api.app import create_app
    from ridebuy.api.connection_guard import ConnectionLimits, connection_cap, guarded_protocol

    # The MQTT session parses on a thread of its own: when it holds the GIL, the event loop (HTTP, the fold) waits
    # for the interpreter's switch interval, 5 ms by default, after each of its system calls. 1 ms keeps requests
    # and stream events from queueing behind the parser (docs/performance.md, issue 12).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    try:
        app = create_app(settings)
    except (RegistryError, ValueError) as exc:  # a bad registry or store URL: say so, no traceback
        log.error("%s", exc)
        return 2
    if settings.api_token is None or not settings.api_token.get_secret_value():
        log.warning("admin endpoints are off: RIDEBUY_API_TOKEN is not set")
    tls_problem = _tls_problem(settings)
    if tls_problem:
        log.error("%s", tls_problem)
        return 2
    log.info(
        "serving on %s://%s:%d (live state from %s)",
        "https" if settings.api_ssl_certfile else "http",
        settings.api_host,
        settings.api_port,
        parse_broker_url(settings.mqtt_url).display,
    )
    trusted_proxies = [a.strip() for a in settings.api_trusted_proxies.split(",") if a.strip()]
    limits = ConnectionLimits(
        header_timeout_s=settings.api_header_timeout_s,
        max_connections=connection_cap(settings.api_max_connections),
        max_per_client=settings.api_max_connections_per_client,
        exempt=tuple(trusted_proxies),
    )
    config = uvicorn.Config(
        app,
        http=guarded_protocol(limits),
        host=settings.api_host,
        port=settings.api_port,
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=bool(args.access_log),
        proxy_headers=True,
        forwarded_allow_ips=trusted_proxies,
        timeout_graceful_shutdown=3,
        ssl_certfile=settings.api_ssl_certfile,
        ssl_keyfile=settings.api_ssl_keyfile,
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


def _tls_problem(settings: ApiSettings) -> str | None:
    """A sentence when the API's certificate and key cannot serve HTTPS (uvicorn would die with a traceback)."""
    if settings.api_ssl_certfile is None or settings.api_ssl_keyfile is None:
        return None
    try:
        ssl.create_default_context(ssl.Purpose.CLIENT_AUTH).load_cert_chain(
            settings.api_ssl_certfile, settings.api_ssl_keyfile
        )
    except (OSError, ssl.SSLError) as exc:
        return (
            f"RIDEBUY_API_SSL_CERTFILE/RIDEBUY_API_SSL_KEYFILE ({settings.api_ssl_certfile}, "
            f"{settings.api_ssl_keyfile}): not a usable certificate and key ({exc})"
        )
    return None


def _after_shutdown(signum: int, frame: FrameType | None) -> None:
    log.debug("signal %d after a clean shutdown", signum)


COMMAND = Command(
    name="api",
    help="serve the live availability API and the cyclist web page",
    settings=ApiSettings,
    run=run_api,
    add_arguments=add_arguments,
)
