"""``ridebuy dashboards build|push``: the dashboards in the town's language, for its registry.

``build`` writes the dashboard files Grafana's provisioning reads (docker-compose.yml runs it before Grafana);
``push`` uploads the data source and the dashboards to an existing Grafana. Both build the dashboards from the
models, the texts table and the registry at that moment, so the map's places and the names in legends follow the
registry. The Grafana URL and token may also come from ``RIDEBUY_GRAFANA_URL`` and ``RIDEBUY_GRAFANA_TOKEN``
(better than a flag for the token: command lines are visible to other users of the machine). The InfluxDB is the
store's (``--store-url``/``--store-token``); ``--influx-url`` says how Grafana reaches it when its host name differs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from ridebuy.shared.settings import Settings

logger = logging.getLogger(__name__)

AddSettingFlags = Callable[[argparse.ArgumentParser, Sequence[str]], None]


def add_arguments(parser: argparse.ArgumentParser, add_setting_flags: AddSettingFlags) -> None:
    """Add the ``build`` and ``push`` sub-commands; ``add_setting_flags`` adds flags for named settings."""
    actions = parser.add_subparsers(dest="dashboards_action", required=True, metavar="ACTION")
    build = actions.add_parser("build", help="write the dashboard JSON files for Grafana's file provisioning")
    build.add_argument("--out", type=Path, required=True, help="folder to write the dashboards into")
    add_setting_flags(build, ("registry", "language", "log_level"))
    build.set_defaults(handler=run_build)

    push = actions.add_parser("push", help="upsert the InfluxDB data source and the dashboards in a Grafana")
    push.add_argument(
        "--grafana-url",
        default=os.environ.get("RIDEBUY_GRAFANA_URL"),
        help="Grafana base URL, e.g. https://grafana.example.org [RIDEBUY_GRAFANA_URL]",
    )
    push.add_argument(
        "--token",
        default=os.environ.get("RIDEBUY_GRAFANA_TOKEN"),
        help="Grafana service account token with the Editor role on dashboards and Admin on data sources "
        "[RIDEBUY_GRAFANA_TOKEN]",
    )
    push.add_argument(
        "--influx-url",
        default=os.environ.get("RIDEBUY_GRAFANA_INFLUX_URL"),
        help="InfluxDB URL as Grafana reaches it (http://host:8086); default: the store URL's host "
        "[RIDEBUY_GRAFANA_INFLUX_URL]",
    )
    push.add_argument("--timeout-s", type=float, default=10.0, help="HTTP timeout per request (default 10)")
    add_setting_flags(push, ("store_url", "store_token", "registry", "language", "log_level"))
    push.set_defaults(handler=run_push)


def _build(settings: Settings) -> list[dict[str, object]]:
    from ridebuy.dashboards.build import build_dashboards
    from ridebuy.devices.registry import load_registry

    return build_dashboards(settings.language, load_registry(settings.registry))


def run_build(args: argparse.Namespace, settings: Settings) -> int:
    from ridebuy.dashboards.build import write_dashboards

    paths = write_dashboards(_build(settings), args.out)
    logger.info("%d dashboards in %s written to %s", len(paths), settings.language, args.out)
    return 0


def run_push(args: argparse.Namespace, settings: Settings) -> int:
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException

    from ridebuy.dashboards.catalogue import InfluxSource, datasource_model
    from ridebuy.dashboards.push import push
    from ridebuy.store.urls import parse_influx_url

    if not args.grafana_url:
        print("ridebuy: dashboards push needs --grafana-url (or RIDEBUY_GRAFANA_URL)", file=sys.stderr)
        return 2
    if not args.token:
        print("ridebuy: dashboards push needs --token (or RIDEBUY_GRAFANA_TOKEN)", file=sys.stderr)
        return 2
    try:
        target = parse_influx_url(settings.store_url)
    except ValueError as exc:
        print(f"ridebuy: RIDEBUY_STORE_URL (--store-url): {exc}; Grafana dashboards need InfluxDB", file=sys.stderr)
        return 2
    token = settings.store_token.get_secret_value() if settings.store_token else None
    source = InfluxSource.from_target(target, token, args.influx_url)
    dashboards = _build(settings)
    api = GrafanaApi.from_url(args.grafana_url, credential=args.token, timeout=args.timeout_s)
    try:
        report = push(api, datasource_model(source), dashboards)
    except GrafanaException as exc:
        print(f"ridebuy: Grafana at {args.grafana_url} refused the push: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ridebuy: cannot reach Grafana at {args.grafana_url}: {exc}", file=sys.stderr)
        return 1
    logger.info(
        "pushed to %s: data source %s, folder %s, %d dashboards in %s",
        args.grafana_url,
        report.datasource,
        report.folder,
        len(report.dashboards),
        settings.language,
    )
    return 0
