"""``ridebuy dashboards build|push``: the dashboards in the town's language, for its registry.

``build`` writes the dashboard files Grafana's provisioning reads (docker-compose.yml runs it before Grafana);
``push`` uploads the data source and the dashboards to an existing Grafana. Both build the dashboards from the
models, the texts table and the registry at that moment, so the map's places and the names in legends follow the
registry, and with the town's Ride and Buy assumptions (``RIDEBUY_RIDE_AND_BUY_*``) as the variables' defaults and
the map's full threshold. The Grafana URL and token are settings (``RIDEBUY_GRAFANA_URL``,
``RIDEBUY_GRAFANA_TOKEN``; the environment is better than a flag for the token: command lines are visible to other
users of the machine). The InfluxDB is the store's (``--store-url``/``--store-token``); ``--grafana-influx-url``
says how Grafana reaches it when its host differs.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

from ridebuy.dashboards.settings import DashboardBuildSettings, DashboardSettings
from ridebuy.shared.commands import Command, CommandGroup

logger = logging.getLogger(__name__)


def _add_build_arguments(build: argparse.ArgumentParser) -> None:
    build.add_argument("--out", type=Path, required=True, help="folder to write the dashboards into")


def _add_push_arguments(push: argparse.ArgumentParser) -> None:
    push.add_argument("--timeout-s", type=float, default=10.0, help="HTTP timeout per request (default 10)")


def _build(settings: DashboardBuildSettings) -> list[dict[str, Any]]:
    from ridebuy.dashboards.build import build_dashboards
    from ridebuy.devices.registry import load_registry

    return build_dashboards(settings.language, load_registry(settings.registry), settings.ride_and_buy_assumptions())


def run_build(args: argparse.Namespace, settings: DashboardBuildSettings) -> int:
    from ridebuy.dashboards.build import write_dashboards

    paths = write_dashboards(_build(settings), args.out)
    logger.info("%d dashboards in %s written to %s", len(paths), settings.language, args.out)
    return 0


def run_push(args: argparse.Namespace, settings: DashboardSettings) -> int:
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException

    from ridebuy.dashboards.catalogue import InfluxSource, datasource_model
    from ridebuy.dashboards.push import push
    from ridebuy.store.urls import parse_influx_url

    grafana_url = settings.grafana_url
    if not grafana_url:
        print("ridebuy: dashboards push needs --grafana-url (or RIDEBUY_GRAFANA_URL)", file=sys.stderr)
        return 2
    if settings.grafana_token is None or not settings.grafana_token.get_secret_value():
        print("ridebuy: dashboards push needs --grafana-token (or RIDEBUY_GRAFANA_TOKEN)", file=sys.stderr)
        return 2
    try:
        target = parse_influx_url(settings.store_url)
    except ValueError as exc:
        print(f"ridebuy: RIDEBUY_STORE_URL (--store-url): {exc}; Grafana dashboards need InfluxDB", file=sys.stderr)
        return 2
    token = settings.store_token.get_secret_value() if settings.store_token else None
    source = InfluxSource.from_target(target, token, settings.grafana_influx_url)
    dashboards = _build(settings)
    api = GrafanaApi.from_url(grafana_url, credential=settings.grafana_token.get_secret_value(), timeout=args.timeout_s)
    try:
        report = push(api, datasource_model(source), dashboards)
    except GrafanaException as exc:
        print(f"ridebuy: Grafana at {grafana_url} refused the push: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ridebuy: cannot reach Grafana at {grafana_url}: {exc}", file=sys.stderr)
        return 1
    logger.info(
        "pushed to %s: data source %s, folder %s, %d dashboards in %s",
        grafana_url,
        report.datasource,
        report.folder,
        len(report.dashboards),
        settings.language,
    )
    return 0


COMMAND = CommandGroup(
    name="dashboards",
    help="Grafana dashboards in the town's language: build them for provisioning, or push them to a Grafana",
    actions=(
        Command(
            name="build",
            help="write the dashboard JSON files for Grafana's file provisioning",
            settings=DashboardBuildSettings,
            run=run_build,
            add_arguments=_add_build_arguments,
        ),
        Command(
            name="push",
            help="upsert the InfluxDB data source and the dashboards in a Grafana",
            settings=DashboardSettings,
            run=run_push,
            add_arguments=_add_push_arguments,
        ),
    ),
)
