"""``ridebuy simulate``: publish realistic traffic for the devices of a registry (see docs/simulators.md)."""

from __future__ import annotations

import argparse
import logging
import random
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import TypeVar

from ridebuy.devices.registry import Registry, RegistryError, load_registry
from ridebuy.shared.commands import Command
from ridebuy.simulators.clock import LOCAL_TZ, local_time
from ridebuy.simulators.engine import COUNTER_INTERVAL_S, CounterMode
from ridebuy.simulators.progress import Progress
from ridebuy.simulators.publisher import MqttPublisher, PublishError
from ridebuy.simulators.runner import RealTimer, Simulation, SimulationOptions, Stats
from ridebuy.simulators.settings import SimulatorSettings
from ridebuy.simulators.synthetic import with_synthetic, write_registry

log = logging.getLogger(__name__)

FLUSH_TIMEOUT_S = 10.0
Number = TypeVar("Number", int, float)


def _bounded(kind: Callable[[str], Number], low: Number, inclusive: bool = True) -> Callable[[str], Number]:
    def parse(text: str) -> Number:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value < low or (value == low and not inclusive):
            raise argparse.ArgumentTypeError(f"must be {'>=' if inclusive else '>'} {low}, got {text}")
        return value

    return parse


def _start_time(text: str) -> float:
    """ISO 8601 date-time; without an offset it is Hannut's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r} (e.g. 2026-05-04T07:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LOCAL_TZ)
    return moment.timestamp()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``ridebuy simulate`` (settings such as --mqtt-url and --registry come from ridebuy.cli)."""
    group = parser.add_argument_group("simulation")
    group.add_argument(
        "--speed",
        type=_bounded(float, 0.0, inclusive=False),
        default=1.0,
        metavar="S",
        help="the traffic pattern's clock runs S times faster than real time; timestamps stay real [default: 1]",
    )
    group.add_argument(
        "--start",
        type=_start_time,
        default=None,
        metavar="DATETIME",
        help="simulated moment to start from, ISO 8601, local Hannut time unless an offset is "
        "given, e.g. 2026-05-04T06:00 [default: now]",
    )
    group.add_argument(
        "--seed",
        type=int,
        default=None,
        help="seed of every random draw: same seed and --start give the same traffic [default: random, logged]",
    )
    group.add_argument(
        "--backfill",
        type=_bounded(float, 0.0),
        default=0.0,
        metavar="DAYS",
        help="first publish DAYS of history with past timestamps as fast as --rate allows, then go live [default: 0]",
    )
    group.add_argument(
        "--counter-mode",
        choices=[mode.value for mode in CounterMode],
        default="interval",
        help="interval: one message per direction and class per interval, zeros included; "
        "event: one message per passage [default: interval]",
    )
    group.add_argument(
        "--counter-interval",
        type=_bounded(int, 1),
        default=COUNTER_INTERVAL_S,
        metavar="SECONDS",
        help="simulated length of a counting interval; sent every SECONDS/speed real seconds "
        f"(at least 1) [default: {COUNTER_INTERVAL_S}]",
    )

    load = parser.add_argument_group("load and stopping")
    load.add_argument(
        "--rate",
        type=_bounded(float, 0.0, inclusive=False),
        default=None,
        metavar="MSG_PER_S",
        help="at most this many messages per second overall [default: no limit]",
    )
    load.add_argument(
        "--devices",
        type=_bounded(int, 0),
        default=0,
        metavar="N",
        help="add N synthetic devices (racks, slots and counters near Hannut) [default: 0]",
    )
    load.add_argument(
        "--write-registry",
        type=Path,
        default=None,
        metavar="PATH",
        help="write the registry including the --devices N synthetic devices to PATH and exit "
        "(give it to the ingest as RIDEBUY_REGISTRY)",
    )
    load.add_argument(
        "--duration",
        type=_bounded(float, 0.0, inclusive=False),
        default=None,
        metavar="SECONDS",
        help="stop after SECONDS of live traffic (real time) [default: run until stopped]",
    )
    load.add_argument(
        "--count",
        type=_bounded(int, 0),
        default=None,
        metavar="N",
        help="stop after N messages, backfill included [default: no limit]",
    )
    load.add_argument("--qos", type=int, choices=(0, 1, 2), default=1, help="MQTT QoS of every message [default: 1]")


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM ask for a clean stop; a second one stops at once."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        log.info("%s received: stopping", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def _registry(args: argparse.Namespace, settings: SimulatorSettings) -> Registry:
    return with_synthetic(load_registry(settings.registry), args.devices)


def run_simulate(args: argparse.Namespace, settings: SimulatorSettings) -> int:
    try:
        registry = _registry(args, settings)
    except RegistryError as exc:
        log.error("%s", exc)
        return 2
    if args.write_registry is not None:
        write_registry(
            registry,
            args.write_registry,
            header=(
                f"ridebuy registry: {settings.registry} plus {args.devices} synthetic load-test devices\n"
                f"written by `ridebuy simulate --devices {args.devices} --write-registry ...`; the synthetic entries\n"
                "are ILLUSTRATIVE, not real places."
            ),
        )
        log.info("wrote %d devices (%d synthetic) to %s", len(registry.devices), args.devices, args.write_registry)
        return 0

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**31)
    options = SimulationOptions(
        seed=seed,
        speed=args.speed,
        start_s=args.start,
        backfill_days=args.backfill,
        rate=args.rate,
        duration_s=args.duration,
        count=args.count,
        counter_mode=CounterMode(args.counter_mode),
        counter_interval_s=args.counter_interval,
    )
    log.info(
        "simulating %d devices of %s (%d synthetic), seed %d, speed %g",
        len(registry.devices),
        settings.registry,
        args.devices,
        seed,
        args.speed,
    )
    stop = threading.Event()
    with _stop_on_signals(stop):
        publisher = MqttPublisher(settings.mqtt_url, stop, qos=args.qos)
        try:
            if not publisher.start():
                return 0
        except PublishError as exc:
            log.error("%s", exc)
            return 1
        simulation = Simulation(registry, options, publisher, RealTimer(stop))

        def link() -> str:
            state = "connected" if publisher.connected else "reconnecting"
            return f"{publisher.address.display} {state}, {publisher.pending} awaiting ack"

        try:
            with Progress(simulation.stats, link):
                stats = simulation.run()
            flushed = publisher.flush(FLUSH_TIMEOUT_S)
        finally:
            publisher.close()
    _summary(stats, publisher)
    if not flushed:
        log.warning("%d messages were not acknowledged by the broker", publisher.pending)
        return 0 if stats.finished == "stopped" else 1
    return 0


def _summary(stats: Stats, publisher: MqttPublisher) -> None:
    simulated = f", simulated clock at {local_time(stats.sim_s):%a %Y-%m-%d %H:%M}" if stats.sim_s else ""
    log.info(
        "done (%s): %d messages sent%s, %s; %d acknowledged, %d not sent",
        stats.finished,
        stats.sent,
        simulated,
        ", ".join(f"{kind.value} {count}" for kind, count in sorted(stats.by_kind.items())) or "none",
        publisher.acknowledged,
        publisher.dropped,
    )


COMMAND = Command(
    name="simulate",
    help="publish realistic traffic for the devices of a registry",
    settings=SimulatorSettings,
    run=run_simulate,
    add_arguments=add_arguments,
)
