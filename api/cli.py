"""``ridebuy api``: serve the live availability API and the cyclist web page."""

from __future__ import annotations

import argparse
import logging
import signal
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
    from ridebuy.api.server_config import scheme, server_config, tls_problem

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
    problem = tls_problem(settings)
    if problem:
        log.error("%s", problem)
        return 2
    log.info(
        "serving on %s://%s:%d (live state from %s)",
        scheme(settings),
        settings.api_host,
        settings.api_port,
        parse_broker_url(settings.mqtt_url).display,
    )
    config = server_config(app, settings, log_level=settings.log_level.lower(), access_log=bool(args.access_log))
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


COMMAND = Command(
    name="api",
    help="serve the live availability API and the cyclist web page",
    settings=ApiSettings,
    run=run_api,
    add_arguments=add_arguments,
)
