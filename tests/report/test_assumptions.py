"""``ridebuy report`` takes the town's Ride and Buy assumptions from the same settings as the display panels and the
dashboards (``RIDEBUY_RIDE_AND_BUY_*``): a trip twice as long is twice the CO2 avoided, from the same passages."""

from __future__ import annotations

import os
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml
from markupsafe import escape

from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, RideAndBuyAssumptions
from ridebuy.report.figures import month_figures
from ridebuy.report.period import month_period
from ridebuy.report.render import Words
from ridebuy.store.influx import InfluxStore
from tests.report.conftest import MONTH, Filled
from tests.support.processes import Processes

TZ = ZoneInfo("Europe/Brussels")


def _report(processes: Processes, filled: Filled, tmp_path: Path, name: str, **settings: str) -> str:
    registry = tmp_path / "small-town.yaml"
    registry.write_text(yaml.safe_dump(filled.registry.model_dump(mode="json", exclude_none=True)))
    env = {key: value for key, value in os.environ.items() if not key.startswith("RIDEBUY_RIDE_AND_BUY_")}
    env.update(settings)
    out = tmp_path / f"{name}.html"
    result = processes.ridebuy(
        "report",
        "--month",
        MONTH.strftime("%Y-%m"),
        "--out",
        str(out),
        "--language",
        "en",
        "--store-url",
        filled.influx_url,
        "--registry",
        str(registry),
        env=env,
    )
    assert result.returncode == 0, result.stderr
    return out.read_text()


def test_a_trip_twice_as_long_doubles_the_co2_in_the_report(
    filled: Filled, tmp_path: Path, processes: Processes
) -> None:
    store = InfluxStore.from_url(filled.influx_url)
    try:
        figures = month_figures(store, filled.registry, month_period(MONTH, TZ), DEFAULT_ASSUMPTIONS)
    finally:
        store.close()
    assert figures.cycle_trips > 0 and figures.co2_kg > 0
    words = Words("en")
    trips = words.number(figures.cycle_trips)

    default = _report(processes, filled, tmp_path, "default")
    assert words("s_co2", co2=words.mass(figures.co2_kg), trips=trips) in default
    assert "× 3.0 km per trip" in default

    longer = _report(processes, filled, tmp_path, "longer", RIDEBUY_RIDE_AND_BUY_TRIP_KM="6")
    assert words("s_co2", co2=words.mass(2 * figures.co2_kg), trips=trips) in longer
    assert "× 6.0 km per trip" in longer  # the assumption stated is the one used
    own, defaults = (str(escape(words(key))) for key in ("assumptions_own", "assumptions_defaults"))
    assert own in longer and defaults not in longer  # no longer called the packaged placeholders
    assert defaults in default


def test_the_full_threshold_of_the_report_is_the_setting(filled: Filled, tmp_path: Path, processes: Processes) -> None:
    html = _report(processes, filled, tmp_path, "full", RIDEBUY_RIDE_AND_BUY_FULL_PCT="40")
    store = InfluxStore.from_url(filled.influx_url)
    try:
        figures = month_figures(store, filled.registry, month_period(MONTH, TZ), RideAndBuyAssumptions(full_pct=40))
        default = month_figures(store, filled.registry, month_period(MONTH, TZ), DEFAULT_ASSUMPTIONS)
    finally:
        store.close()
    top = figures.parkings[0]
    assert top.full_share_pct is not None
    assert top.full_share_pct > next(p.full_share_pct or 0 for p in default.parkings if p.parking_id == top.parking_id)
    words = Words("en")
    # The summary's "most often full" share is counted from 40 %, and the assumptions and the chart say so.
    assert words("s_full", name=top.name, full_pct="40", share=words.pct(top.full_share_pct)) in html
    assert "A parking counts as full from 40 % occupancy" in html.replace("\u00a0", " ")
    assert words("full_chart", full_pct="40") in html
