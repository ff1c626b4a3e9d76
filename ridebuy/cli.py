"""The ``ridebuy`` command line: one entry point, one sub-command per job.

Each feature offers its sub-command as a ``COMMAND`` in its own ``cli.py`` (:mod:`ridebuy.shared.commands`): its
settings class (every setting also a flag, ``RIDEBUY_MQTT_URL`` is ``--mqtt-url``; a flag wins over the
environment), its arguments and its handler. This module, the composition root, only lists them.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from typing import Any

from ridebuy import __version__
from ridebuy.api.cli import COMMAND as API
from ridebuy.api.panel_preview import COMMAND as PANEL_PREVIEW
from ridebuy.dashboards.cli import COMMAND as DASHBOARDS
from ridebuy.demo.cli import COMMAND as DEMO
from ridebuy.devices.cli import COMMAND as DEVICES
from ridebuy.devices.registry import RegistryError
from ridebuy.ingest.cli import COMMAND as INGEST
from ridebuy.ingest.spool import SpoolError
from ridebuy.report.cli import COMMAND as REPORT
from ridebuy.shared.commands import Command, CommandGroup, register, settings_from
from ridebuy.shared.settings import SettingsError
from ridebuy.simulators.cli import COMMAND as SIMULATE

COMMANDS: tuple[Command[Any] | CommandGroup, ...] = (
    INGEST,
    API,
    PANEL_PREVIEW,
    SIMULATE,
    DEMO,
    DASHBOARDS,
    REPORT,
    DEVICES,
)

StartupError = (RegistryError, SettingsError, SpoolError, ValueError)
"""Errors that stop start-up with a sentence (bad registry, bad setting) rather than a traceback."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ridebuy",
        description="Smart bike parkings and counters: MQTT ingest, live availability, dashboards, simulators.",
    )
    parser.add_argument("--version", action="version", version=f"ridebuy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        register(commands, command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command: Command[Any] = args.ridebuy_command
    try:
        settings = settings_from(args, command.settings)
    except SettingsError as exc:
        print(f"ridebuy: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    if settings.log_level != "DEBUG":
        # httpx logs every request at INFO: a line per store write or query, which no person needs to read.
        logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        return command.run(args, settings)
    except StartupError as exc:
        print(f"ridebuy {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
