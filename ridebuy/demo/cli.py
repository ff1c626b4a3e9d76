"""``ridebuy demo``: broker, store, ingest, API and simulators in one command, nothing to install.

See docs/demo.md. By default everything is embedded (amqtt broker on loopback, SQLite file in the user's data
directory); ``--mqtt-url`` and ``--store-url`` (or their RIDEBUY_ variables) swap in a real broker or InfluxDB.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from rich.console import Console
from rich.logging import RichHandler

from ridebuy.demo.settings import DemoSettings
from ridebuy.devices.registry import sample_registry_path
from ridebuy.shared.commands import Command

if TYPE_CHECKING:
    from ridebuy.demo.system import DemoSystem

log = logging.getLogger(__name__)

REPEAT_GRACE_S = 1.0
"""A signal repeated within this time is the same request (``timeout`` and some shells signal the whole group)."""


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65_535:
        raise argparse.ArgumentTypeError(f"not a port number (1-65535): {text!r}")
    return int(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("demo")
    group.add_argument(
        "--port",
        type=_port,
        default=None,
        help="port of the web page and the API [default: 8000, or a free one when 8000 is taken]",
    )
    group.add_argument(
        "--mqtt-port",
        type=_port,
        default=None,
        help="port of the embedded MQTT broker [default: 1883, or a free one when 1883 is taken]",
    )
    group.add_argument(
        "--speed",
        type=_positive,
        default=60.0,
        metavar="S",
        help="the simulated traffic runs S times faster than real time; 60 makes a day pass in 24 "
        "minutes [default: 60]",
    )
    group.add_argument("--seed", type=int, default=None, help="seed of the simulated traffic [default: random]")
    group.add_argument(
        "--backfill",
        type=float,
        default=14.0,
        metavar="DAYS",
        help="write DAYS of simulated past traffic straight into the store, in the background, so that history, "
        "trends and counts show at once [default: 14]",
    )
    group.add_argument(
        "--no-backfill",
        dest="backfill",
        action="store_const",
        const=0.0,
        help="no history: only live traffic from now on",
    )
    group.add_argument(
        "--db",
        type=Path,
        default=None,
        metavar="PATH",
        help="the SQLite file when no --store-url is given [default: demo.db in the user's data "
        "directory, or in RIDEBUY_DEMO_DATA_DIR]",
    )
    group.add_argument("--reset", action="store_true", help="delete the demo's SQLite file first")


def _quiet_logging(settings: DemoSettings, console: Console) -> None:
    """The demo's own lines at INFO, the rest at WARNING unless --log-level is given; rich on a terminal."""
    root = logging.getLogger()
    if console.is_terminal:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.addHandler(RichHandler(console=console, show_path=False, rich_tracebacks=False))
    if "log_level" not in settings.model_fields_set:
        root.setLevel(logging.WARNING)
        for name in ("ridebuy.demo", "ridebuy.demo.embedded_broker"):
            logging.getLogger(name).setLevel(logging.INFO)
    if root.level > logging.DEBUG:
        logging.getLogger("amqtt").setLevel(logging.WARNING)  # it logs every connection at INFO


def run_demo(args: argparse.Namespace, settings: DemoSettings) -> int:
    # Imported here: building the command line must stay quick for every other sub-command.
    from ridebuy.api.server_config import tls_problem
    from ridebuy.demo.embedded_broker import EmbeddedBrokerError
    from ridebuy.demo.places import demo_db_path
    from ridebuy.demo.status_line import StatusLine
    from ridebuy.demo.system import DemoError, DemoOptions, DemoSystem

    console = Console(soft_wrap=True)
    _quiet_logging(settings, console)
    problem = tls_problem(settings)
    if problem:  # a bad setting: said like ``ridebuy api`` says it, before anything starts
        console.print(f"ridebuy demo: {problem}", style="red")
        return 2
    explicit = settings.model_fields_set
    options = DemoOptions(
        speed=args.speed,
        seed=args.seed,
        backfill_days=args.backfill,
        web_port=args.port,
        broker_port=args.mqtt_port,
        broker_url=settings.mqtt_url if "mqtt_url" in explicit else None,
        store_url=settings.store_url if "store_url" in explicit else None,
        db_path=args.db if args.db is not None else demo_db_path(),
        reset=args.reset,
    )
    if options.store_url is None:
        console.print(f"ridebuy demo: SQLite store at [bold]{options.db_path.resolve()}[/]")
    demo = DemoSystem(settings, options)
    stop = threading.Event()
    first_signal_s: list[float] = []

    def request_stop(signum: int, frame: FrameType | None) -> None:
        if not first_signal_s:
            first_signal_s.append(time.monotonic())
            stop.set()
        elif time.monotonic() - first_signal_s[0] > REPEAT_GRACE_S:
            # A second Ctrl-C: stop at once. The SQLite file stays consistent (WAL), as after a kill.
            os.write(2, b"ridebuy demo: stopped at once\n")
            os._exit(130)

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        demo.start()
    except (DemoError, EmbeddedBrokerError) as exc:
        console.print(f"ridebuy demo: {exc}", style="red")
        return 1
    failed: str | None = None
    try:
        _banner(console, demo, settings)
        with StatusLine(demo, console):
            while not stop.is_set() and failed is None:
                time.sleep(0.2)  # not Event.wait: the signal handler must never contend for a lock held here
                failed = demo.failed_part()
    finally:
        console.print("ridebuy demo: stopping (storing what is in flight)...")
        demo.stop()
    if failed is not None:
        console.print(f"ridebuy demo: {failed} stopped unexpectedly: see the log above", style="red")
        return 1
    if demo.db_path is not None:
        console.print(f"ridebuy demo: stopped; the data stays in {demo.db_path.resolve()}")
    else:
        console.print("ridebuy demo: stopped")
    return 0


def _banner(console: Console, demo: DemoSystem, settings: DemoSettings) -> None:
    registry = demo.registry
    sample = Path(settings.registry).resolve() == sample_registry_path().resolve()
    broker = (
        # The URL that works as it is: amqtt speaks MQTT 3.1.1 only, so `ridebuy ingest --mqtt-url <this>` needs it.
        f"{demo.settings.mqtt_url} (embedded amqtt, loopback only)"
        if demo.broker is not None
        else f"{demo.settings.mqtt_url.split('?')[0].split('@')[-1]} (given)"
    )
    store = _store_display(demo.settings.store_url) + (" (given)" if demo.db_path is None else "")
    day_min = 24 * 60 / demo.options.speed
    lines = [
        "[bold]ridebuy demo[/]: every part runs in this process",
        f"  web page    [link={demo.web_url}]{demo.web_url}[/link]",
        f"  API         {demo.web_url}v1/parkings  (documentation: {demo.web_url}docs)",
        f"  MQTT broker {broker}",
        f"  store       {store}",
        f"  registry    {'Hannut sample' if sample else settings.registry}: {len(registry.parkings)} parkings, "
        f"{len(registry.counters)} counters, {len(registry.devices)} devices",
        f"  simulators  every device, {demo.options.speed:g}x real time (a simulated day in {day_min:g} min), "
        f"seed {demo.seed}",
        "Press Ctrl-C to stop.",
    ]
    for line in lines:
        console.print(line, highlight=False)
    sys.stdout.flush()


def _store_display(url: str) -> str:
    """The store URL as it may be shown: the SQLite file, or the InfluxDB URL without its password."""
    from ridebuy.store.sqlite import parse_sqlite_url
    from ridebuy.store.urls import SQLITE_SCHEME, parse_influx_url, url_scheme

    if url_scheme(url) == SQLITE_SCHEME:
        return f"SQLite {parse_sqlite_url(url).resolve()}"
    return parse_influx_url(url).display


COMMAND = Command(
    name="demo",
    help="run everything at once (embedded broker, SQLite, ingest, API, simulators): nothing to install",
    settings=DemoSettings,
    run=run_demo,
    add_arguments=add_arguments,
    description="Run everything at once: an embedded MQTT broker, a SQLite store, the ingest, the API and web page, "
    "and simulators for every device of the registry. --mqtt-url and --store-url (or their RIDEBUY_ variables) swap "
    "in a real broker or InfluxDB; the other settings are those of `ridebuy ingest` and `ridebuy api`.",
)
