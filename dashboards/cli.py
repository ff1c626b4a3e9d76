"""``ridebuy dashboards push``: upload the data source and the dashboards to an existing Grafana.

The Grafana URL and token are settings (``RIDEBUY_GRAFANA_URL``, ``RIDEBUY_GRAFANA_TOKEN``; the environment is better
than a flag for the token: command lines are visible to other users of the machine). The InfluxDB is the store's
(``--store-url``/``--store-token``); ``--grafana-influx-url`` says how Grafana reaches it when its host differs.
"""

from __future__ import annotations

import argparse
import logging
import sys

from ridebuy.dashboards.settings import DashboardSettings
from ridebuy.shared.commands import Command, CommandGroup

logger = logging.getLogger(__name__)


def _add_push_arguments(push: argparse.ArgumentParser) -> None:
    push.add_argument("--timeout-s", type=float, default=10.0, help="HTTP timeout per request (default 10)")


def run_push(args: argparse.Namespace, settings: DashboardSettings) -> int:
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException

    from ridebuy.dashboards.catalogue import InfluxSource, datasource_model, load_dashboards
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
    api = GrafanaApi.from_url(grafana_url, credential=settings.grafana_token.get_secret_value(), timeout=args.timeout_s)
    try:
        report = push(api, datasource_model(source), load_dashboards())
    except GrafanaException as exc:
        print(f"ridebuy: Grafana at {grafana_url} refused the push: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ridebuy: cannot reach Grafana at {grafana_url}: {exc}", file=sys.stderr)
        return 1
    logger.info(
        "pushed to %s: data source %s, folder %s, %d dashboards",
        grafana_url,
        report.datasource,
        report.folder,
        len(report.dashboards),
    )
    return 0


COMMAND = CommandGroup(
    name="dashboards",
    help="Grafana dashboards: push data source and dashboards",
    actions=(
        Command(
            name="push",
            help="upsert the InfluxDB data source and the dashboards in a Grafana",
            settings=DashboardSettings,
            run=run_push,
            add_arguments=_add_push_arguments,
        ),
    ),
)
