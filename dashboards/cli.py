"""``ridebuy dashboards push``: upload the data source and the dashboards to an existing Grafana.

The Grafana URL and token may also come from ``RIDEBUY_GRAFANA_URL`` and ``RIDEBUY_GRAFANA_TOKEN`` (better than
a flag for the token: command lines are visible to other users of the machine). The InfluxDB is the store's
(``--store-url``/``--store-token``); ``--influx-url`` says how Grafana reaches it when its host name differs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable

from ridebuy.shared.settings import Settings

logger = logging.getLogger(__name__)


def add_arguments(
    parser: argparse.ArgumentParser, add_setting_flags: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Add the ``push`` sub-command to the ``dashboards`` parser; ``add_setting_flags`` adds the store flags."""
    actions = parser.add_subparsers(dest="dashboards_action", required=True, metavar="ACTION")
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
    add_setting_flags(push)
    push.set_defaults(handler=run_push)


def run_push(args: argparse.Namespace, settings: Settings) -> int:
    from grafana_client.api import GrafanaApi
    from grafana_client.client import GrafanaException

    from ridebuy.dashboards.catalogue import InfluxSource, datasource_model, load_dashboards
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
    api = GrafanaApi.from_url(args.grafana_url, credential=args.token, timeout=args.timeout_s)
    try:
        report = push(api, datasource_model(source), load_dashboards())
    except GrafanaException as exc:
        print(f"ridebuy: Grafana at {args.grafana_url} refused the push: {exc.message}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"ridebuy: cannot reach Grafana at {args.grafana_url}: {exc}", file=sys.stderr)
        return 1
    logger.info(
        "pushed to %s: data source %s, folder %s, %d dashboards",
        args.grafana_url, report.datasource, report.folder, len(report.dashboards),
    )
    return 0
