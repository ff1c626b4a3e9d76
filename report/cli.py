"""``ridebuy report --month YYYY-MM --out FILE.pdf|FILE.html``: the monthly report for the council.

Reads the store (InfluxDB or SQLite, ``--store-url``) through its read interface, the registry for the names, and
the Ride and Buy assumptions from the settings (``RIDEBUY_RIDE_AND_BUY_*``, the same as the display panels' and the
dashboards'); writes a PDF or an HTML file, as the name of ``--out`` says.
"""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import date
from pathlib import Path
from zoneinfo import ZoneInfo

from ridebuy.report.period import parse_month
from ridebuy.report.settings import ReportSettings
from ridebuy.shared.commands import Command

logger = logging.getLogger(__name__)

TIMEZONE = "Europe/Brussels"
FORMATS = (".pdf", ".html")


def _month(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--month", type=_month, required=True, metavar="YYYY-MM", help="the month to report on")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FILE",
        help="where to write the report: FILE.pdf, or FILE.html (charts embedded)",
    )
    parser.add_argument(
        "--town",
        default=None,
        help="the town's name on the report [default: Hannut for the sample registry, else the registry file's name]",
    )
    parser.add_argument("--timezone", default=TIMEZONE, help=f"the town's time zone [default: {TIMEZONE}]")


def town_name(registry_path: Path) -> str:
    from ridebuy.devices.registry import sample_registry_path

    if registry_path.resolve() == sample_registry_path().resolve():
        return "Hannut"
    return registry_path.stem.replace("-", " ").replace("_", " ").title()


def run_report(args: argparse.Namespace, settings: ReportSettings) -> int:
    from ridebuy.report.build import write_report

    out: Path = args.out
    if out.suffix.lower() not in FORMATS:
        print(f"ridebuy: --out must end in .pdf or .html, not {out.name!r}", file=sys.stderr)
        return 2
    try:
        tz = ZoneInfo(args.timezone)
    except (KeyError, ValueError):
        print(f"ridebuy: --timezone {args.timezone!r} is not a time zone (e.g. Europe/Brussels)", file=sys.stderr)
        return 2
    town = args.town or town_name(Path(settings.registry))
    try:
        write_report(settings, args.month, out, town=town, tz=tz)
    except ValueError as exc:
        print(f"ridebuy: {exc}", file=sys.stderr)
        return 2
    logger.info("report for %s written to %s", args.month.strftime("%Y-%m"), out)
    return 0


COMMAND = Command(
    name="report",
    help="the monthly report for the council (PDF or HTML) from the store",
    settings=ReportSettings,
    run=run_report,
    add_arguments=_add_arguments,
)
