"""The report as HTML (jinja2) and as PDF (weasyprint, from that same HTML): one source for both."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

import jinja2
import yaml

from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, RideAndBuyAssumptions
from ridebuy.report import charts
from ridebuy.report.figures import MonthFigures

Language = Literal["fr", "nl", "en"]
TEMPLATES = Path(__file__).parent / "templates"
WORDS_PATH = Path(__file__).parent / "words.yaml"


@cache
def load_words() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(WORDS_PATH.read_text(encoding="utf-8"))
    return data


@dataclass(frozen=True, slots=True)
class Context:
    town: str
    store: str
    """What the figures were read from, as the source lines say it (e.g. "InfluxDB", "SQLite")."""
    language: Language


class Words:
    """The report's words in one language, with numbers and dates written the way that language does."""

    def __init__(self, language: Language) -> None:
        self.language = language
        self._words = {key: value[language] for key, value in load_words().items()}

    def __call__(self, key: str, **fields: object) -> str:
        text = self._words[key]
        return str(text).format(**fields) if fields else str(text)

    def names(self, key: str) -> list[str]:
        """A list of words (months, weekdays)."""
        return list(self._words[key])

    def number(self, value: float, decimals: int = 0) -> str:
        text = f"{value:,.{decimals}f}"
        if self.language == "en":
            return text
        # French and Dutch: a (narrow no-break) space between thousands, a comma for decimals.
        return text.replace(",", "\u202f").replace(".", ",")

    def pct(self, value: float) -> str:
        return f"{self.number(value)}\u00a0%"

    def day(self, day: date, weekday: bool = False) -> str:
        month = self._words["months"][day.month - 1]
        name = f"{self._words['weekdays'][day.weekday()]} " if weekday else ""
        if self.language == "en":
            return f"{name}{day.day} {month} {day.year}"
        first = "1er" if self.language == "fr" and day.day == 1 else str(day.day)
        return f"{name}{first} {month} {day.year}"

    def month(self, day: date) -> str:
        return f"{self._words['months'][day.month - 1]} {day.year}"

    def mass(self, kg: float) -> str:
        return f"{self.number(kg / 1000, 1)}\u00a0t" if kg >= 1000 else f"{self.number(kg)}\u00a0kg"

    def duration(self, seconds: int) -> str:
        return self("hours", n=self.number(seconds / 3600, 1))


def _img(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _summary(f: MonthFigures, w: Words) -> list[str]:
    lines = []
    days = [d for d, _ in f.passages_per_day.items()]
    busiest = f.busiest_day
    if busiest is not None and f.passages:
        lines.append(
            w(
                "s_passages",
                passages=w.number(f.passages),
                per_day=w.number(f.passages / max(1, len(days))),
                busiest=w.day(busiest[0], weekday=True),
                busiest_count=w.number(busiest[1]),
            )
        )
    # Only weeks the counters covered in full: a week before the data began would pull the average down.
    before = [
        week.passages
        for week in f.weeks
        if not week.in_month and f.counts_from is not None and week.monday >= f.counts_from
    ]
    complete = [week for week in f.weeks if week.in_month and (week.monday - f.period.start.date()).days >= 0]
    last_full = [week for week in complete if (f.period.end.date() - week.monday).days >= 7]
    if before and last_full:
        week = last_full[-1]
        average = sum(before) / len(before)
        change_pct = 100 * (week.passages - average) / average
        change = w("more" if change_pct >= 0 else "less", pct=w.pct(abs(change_pct)))
        lines.append(
            w("s_weeks", monday=w.day(week.monday), passages=w.number(week.passages), change=change, weeks=len(before))
        )
    lines.append(w("s_visits", visits=w.number(f.visits)))
    lines.append(w("s_co2", co2=w.mass(f.co2_kg), trips=w.number(f.cycle_trips)))
    if f.parkings and f.parkings[0].full_share_pct is not None:
        top = f.parkings[0]
        lines.append(
            w("s_full", name=top.name, full_pct=w.number(f.assumptions.full_pct), share=w.pct(top.full_share_pct or 0))
        )
    cells = [(v, d, h) for d, row in enumerate(f.occupancy_grid) for h, v in enumerate(row) if v is not None]
    if cells:
        value, weekday, hour = max(cells)
        lines.append(w("s_busy_hour", weekday=w.names("weekdays")[weekday], hour=hour, pct=w.pct(value)))
    if f.offline:
        longest = max(f.offline, key=lambda o: o.longest_s)
        lines.append(
            w(
                "s_offline",
                count=len(f.offline),
                devices=f.devices,
                hours=w.duration(sum(o.offline_s for o in f.offline)),
                longest=w.duration(longest.longest_s),
                device=f"{longest.device_id}, {longest.place}",
            )
        )
    else:
        lines.append(w("s_offline_none", devices=f.devices))
    return lines


def render_html(figures: MonthFigures, context: Context, now: datetime | None = None) -> str:
    """The whole report as one HTML file (charts embedded), ready to open in a browser or to print."""
    w = Words(context.language)
    f = figures
    period = f.period
    end_day = period.end.date() if period.partial else period.end.date() - timedelta(days=1)
    source = w(
        "source",
        town=context.town,
        store=context.store,
        start=w.day(period.start.date()),
        end=w.day(end_day),
        tz=str(period.tz),
    )
    full_rows = [p for p in f.parkings if p.full_share_pct is not None]
    images = {
        "grid": charts.occupancy_grid(
            f.occupancy_grid, w.names("weekdays_short"), w("grid_chart"), w("hour_axis"), source
        ),
        "full": charts.full_shares(
            [p.name for p in full_rows],
            [p.full_share_pct or 0 for p in full_rows],
            w("full_chart", full_pct=w.number(f.assumptions.full_pct)),
            w("share_axis"),
            source,
        ),
        "days": charts.per_day(
            list(f.passages_per_day), list(f.passages_per_day.values()), w("day_chart"), w("passages_axis"), source
        ),
        "weeks": charts.per_week(
            [x.monday for x in f.weeks],
            [x.passages for x in f.weeks],
            [x.in_month for x in f.weeks],
            (w("week_before"), w("week_in")),
            w("week_chart", weeks=sum(1 for x in f.weeks if not x.in_month)),
            w("passages_axis"),
            w("week_axis"),
            source,
        ),
    }
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html", "j2"])
    )
    template = environment.get_template("report.html.j2")
    a = f.assumptions
    return template.render(
        lang=context.language,
        w=w,
        f=f,
        title=w("title", town=context.town, month=w.month(period.month)),
        partial=w("partial", start=w.day(period.start.date()), end=w.day(period.end.date())) if period.partial else "",
        data_from=w("data_from", date=w.day(f.data_from.date())) if f.data_from and f.data_from > period.start else "",
        summary=_summary(f, w),
        images={key: _img(png) for key, png in images.items()},
        source=source,
        assumptions=w(
            "assumptions_text",
            trip_km=w.number(a.trip_km, 1),
            car_share=w.number(a.car_share, 2),
            co2_g_per_km=w.number(a.co2_g_per_km),
            full_pct=w.number(a.full_pct),
            origin=w("assumptions_defaults" if _default_estimate(a) else "assumptions_own"),
        ),
        generated=w("generated", date=w.day((now or datetime.now(UTC)).astimezone(period.tz).date())),
        full_rows=full_rows,
    )


def _default_estimate(assumptions: RideAndBuyAssumptions) -> bool:
    """Whether the CO2 estimate uses the packaged placeholders (the report then says so) or the town's own values."""
    fields = ("trip_km", "car_share", "co2_g_per_km")
    return all(getattr(assumptions, name) == getattr(DEFAULT_ASSUMPTIONS, name) for name in fields)


def write_pdf(html: str, path: Path) -> None:
    """Lay out the HTML on A4 pages (weasyprint) and write the PDF."""
    from weasyprint import HTML

    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)
