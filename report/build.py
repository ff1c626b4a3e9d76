"""One call from settings to a report file: open the store, compute the figures, render, write."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from ridebuy.devices.registry import load_registry
from ridebuy.report.figures import MonthFigures, month_figures
from ridebuy.report.period import month_period
from ridebuy.report.render import Context, render_html, write_pdf
from ridebuy.report.settings import ReportSettings
from ridebuy.store.open import open_store
from ridebuy.store.urls import SQLITE_SCHEME, url_scheme


def store_kind(store_url: str) -> str:
    return "SQLite" if url_scheme(store_url) == SQLITE_SCHEME else "InfluxDB"


def write_report(
    settings: ReportSettings,
    month: date,
    out: Path,
    *,
    town: str,
    tz: ZoneInfo,
    now: datetime | None = None,
) -> MonthFigures:
    """Write the report of ``month`` to ``out`` (PDF or HTML by its suffix), with the settings' Ride and Buy
    assumptions; return its figures."""
    registry = load_registry(settings.registry)
    period = month_period(month, tz, now)
    token = settings.store_token.get_secret_value() if settings.store_token else None
    store = open_store(settings.store_url, token)
    try:
        figures = month_figures(store, registry, period, settings.ride_and_buy_assumptions())
    finally:
        store.close()
    html = render_html(figures, Context(town, store_kind(settings.store_url), settings.language), now)
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".html":
        out.write_text(html, encoding="utf-8")
    else:
        write_pdf(html, out)
    return figures
