"""The ``ridebuy`` command line: one entry point, one sub-command per job.

Every setting of :class:`ridebuy.shared.settings.Settings` a sub-command uses is also a flag of it
(``RIDEBUY_MQTT_URL`` is ``--mqtt-url``); a flag wins over the environment.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable, Sequence

from ridebuy.devices.registry import RegistryError
from ridebuy.ingest.spool import SpoolError
from ridebuy import __version__
from ridebuy.shared.settings import Settings, SettingsError, load_settings

StartupError = (RegistryError, SettingsError, SpoolError, ValueError)
"""Errors that stop start-up with a sentence (bad registry, bad setting) rather than a traceback."""

Handler = Callable[[argparse.Namespace, Settings], int]

_COMMON = ("mqtt_url", "store_url", "store_token", "registry", "log_level")


def _add_setting_flags(parser: argparse.ArgumentParser, names: Sequence[str]) -> None:
    group = parser.add_argument_group("settings (each also an environment variable RIDEBUY_<NAME>)")
    for name in names:
        field = Settings.model_fields[name]
        default = field.default if field.default_factory is None else "(packaged Hannut sample)"
        group.add_argument(
            f"--{name.replace('_', '-')}",
            dest=f"setting_{name}",
            default=None,
            metavar=name.upper(),
            help=f"{field.description} [RIDEBUY_{name.upper()}, default: {default}]",
        )


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {key.removeprefix("setting_"): value for key, value in vars(args).items() if key.startswith("setting_")}
    return load_settings(**overrides)


def _run_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.ingest.service import run_ingest

    return run_ingest(settings)


def _run_api(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.api.cli import run_api

    return run_api(args, settings)


def _run_simulate(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.simulators.cli import run_simulate

    return run_simulate(args, settings)


def _run_demo(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.demo.cli import run_demo

    return run_demo(args, settings)


def _run_panel_preview(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.api.panel_preview import run_panel_preview

    return run_panel_preview(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ridebuy",
        description="Smart bike parkings and counters: MQTT ingest, live availability, dashboards, simulators.",
    )
    parser.add_argument("--version", action="version", version=f"ridebuy {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    ingest = commands.add_parser("ingest", help="consume device messages from MQTT and store them")
    _add_setting_flags(
        ingest,
        (
            *_COMMON,
            "client_id",
            "shared_group",
            "ingest_role",
            "session_expiry_s",
            "receive_maximum",
            "batch_size",
            "batch_interval_ms",
            "max_payload_bytes",
            "max_future_s",
            "spool_dir",
            "spool_max_bytes",
            "health_port",
            "api_host",
        ),
    )
    ingest.set_defaults(handler=_run_ingest)

    api = commands.add_parser("api", help="serve the live availability API and the cyclist web page")
    from ridebuy.api.cli import SETTINGS as API_SETTINGS
    from ridebuy.api.cli import add_arguments as add_api_arguments

    _add_setting_flags(api, (*_COMMON, *API_SETTINGS))
    add_api_arguments(api)
    api.set_defaults(handler=_run_api)

    simulate = commands.add_parser("simulate", help="publish realistic traffic for the devices of a registry")
    _add_setting_flags(simulate, ("mqtt_url", "registry", "log_level"))
    from ridebuy.simulators.cli import add_arguments as add_simulate_arguments

    add_simulate_arguments(simulate)
    simulate.set_defaults(handler=_run_simulate)

    demo = commands.add_parser(
        "demo", help="run everything at once (embedded broker, SQLite, ingest, API, simulators): nothing to install"
    )
    from ridebuy.demo.cli import SETTINGS as DEMO_SETTINGS
    from ridebuy.demo.cli import add_arguments as add_demo_arguments

    _add_setting_flags(demo, DEMO_SETTINGS)
    add_demo_arguments(demo)
    demo.set_defaults(handler=_run_demo)

    dashboards = commands.add_parser("dashboards", help="Grafana dashboards: push data source and dashboards")
    from ridebuy.dashboards.cli import add_arguments as add_dashboards_arguments

    add_dashboards_arguments(
        dashboards, lambda push: _add_setting_flags(push, ("store_url", "store_token", "log_level"))
    )

    preview = commands.add_parser("panel-preview", help="show a display panel in a browser window, for setting it up")
    _add_setting_flags(preview, ("log_level",))
    from ridebuy.api.panel_preview import add_arguments as add_preview_arguments

    add_preview_arguments(preview)
    preview.set_defaults(handler=_run_panel_preview)

    devices = commands.add_parser("devices", help="device administration (MQTT credentials and ACLs)")
    from ridebuy.devices.cli import add_arguments as add_devices_arguments

    add_devices_arguments(devices, lambda action: _add_setting_flags(action, ("registry", "log_level")))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings_from(args)
    except SettingsError as exc:
        print(f"ridebuy: {exc}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    handler: Handler = args.handler
    try:
        return handler(args, settings)
    except StartupError as exc:
        print(f"ridebuy {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
