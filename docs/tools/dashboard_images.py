"""Render docs/images/dashboards-*.png from the dashboards' own queries on a real InfluxDB (no Grafana here).

Starts a private InfluxDB 1.x (Debian's influxd), fills it with 15 days of simulated Hannut traffic as
tests/dashboards/test_panel_queries.py does, runs the French dashboards' queries exactly as Grafana would send them
(tests/dashboards/grafana_influxql.py) and draws their results with matplotlib: the map panel and some panels of
the Ride and Buy and Parkings dashboards, with the French titles and legends. These are pictures of the data the
panels get, not screenshots of Grafana.

    .venv/bin/python -m docs.tools.dashboard_images
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from matplotlib.lines import Line2D

from ridebuy.dashboards.build import build_dashboards, load_models
from ridebuy.dashboards.geomap import COUNTER_REF_PREFIX, PARKING_REF_PREFIX
from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.store.influx import InfluxStore
from tests.dashboards.grafana_influxql import render_target
from tests.dashboards.traffic import fill
from tests.support.servers import InfluxDB

IMAGES = Path(__file__).resolve().parents[1] / "images"
DATABASE = "docs"
NOTE = "Rendu avec matplotlib à partir des requêtes du tableau de bord (Grafana ne tourne pas ici)"


def _series(influx: InfluxDB, dashboard: dict[str, Any], panel: dict[str, Any], target: dict[str, Any]) -> list[Any]:
    def tag_values(query: str) -> list[str]:
        return [str(row["value"]) for row in influx.rows(DATABASE, query)]

    ((_, query),) = render_target(dashboard, panel, target, tag_values, "1m", every_option=False)
    return influx.query(DATABASE, query)


def _panel(dashboards: list[dict[str, Any]], models: list[dict[str, Any]], uid: str, key: str) -> tuple[Any, Any]:
    for model, dashboard in zip(models, dashboards, strict=True):
        if dashboard["uid"] == uid:
            for model_panel, panel in zip(model["panels"], dashboard["panels"], strict=True):
                if model_panel["title"] == f"t:{key}.title":
                    return dashboard, panel
    raise KeyError(key)


def _note(figure: Any) -> None:
    figure.text(0.01, 0.01, NOTE, fontsize=7, color="#666666")


def draw_map(influx: InfluxDB, dashboards: list[dict[str, Any]], models: list[dict[str, Any]]) -> None:
    registry = load_registry(sample_registry_path())
    dashboard, panel = _panel(dashboards, models, "ridebuy-parkings", "parkings.map")
    names = {p.id: p.name for p in registry.parkings} | {c.id: c.name for c in registry.counters}
    figure, axes = plt.subplots(figsize=(9, 6.5))
    for target in panel["targets"]:
        ((row,),) = [
            [dict(zip(s["columns"], values, strict=True)) | s.get("tags", {}) for values in s["values"]]
            for s in _series(influx, dashboard, panel, target)
        ]
        if target["refId"].startswith(PARKING_REF_PREFIX):
            pct = row["occupancy"]
            colour = "#d62728" if pct >= 85 else "#ff7f0e" if pct >= 70 else "#2ca02c"
            axes.scatter(row["lon"], row["lat"], s=420, color=colour, alpha=0.9, zorder=3)
            axes.annotate(
                str(int(row["free"])),
                (row["lon"], row["lat"]),
                ha="center",
                va="center",
                fontsize=9,
                color="white",
                weight="bold",
                zorder=4,
            )
            axes.annotate(
                names[row["parking"]],
                (row["lon"], row["lat"]),
                xytext=(0, -17),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
        else:
            assert target["refId"].startswith(COUNTER_REF_PREFIX)
            axes.scatter(row["lon"], row["lat"], s=160, marker="s", color="#1f77b4", zorder=3)
            axes.annotate(
                f"{int(row['passages']):,}".replace(",", " "),
                (row["lon"], row["lat"]),
                xytext=(0, 11),
                textcoords="offset points",
                ha="center",
                fontsize=8,
                color="#1f77b4",
                weight="bold",
            )
            axes.annotate(
                names[row["counter"]],
                (row["lon"], row["lat"]),
                xytext=(0, -15),
                textcoords="offset points",
                ha="center",
                fontsize=6.5,
                color="#1f77b4",
            )
    axes.set_title(panel["title"], fontsize=12, loc="left")
    layers = [layer["name"] for layer in panel["options"]["layers"]]
    handles = [
        Line2D([], [], marker="o", linestyle="", color="#2ca02c", markersize=10, label=layers[0]),
        Line2D([], [], marker="s", linestyle="", color="#1f77b4", markersize=8, label=layers[1]),
    ]
    axes.legend(handles=handles, loc="upper left", fontsize=8)
    axes.set_xlabel("longitude")
    axes.set_ylabel("latitude")
    axes.set_aspect(1 / 0.634)  # cos(50.67°): metres east and north at the same scale
    axes.margins(0.08)
    axes.grid(alpha=0.3)
    _note(figure)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(IMAGES / "dashboards-map.png", dpi=110)
    plt.close(figure)


def draw_ride_and_buy(influx: InfluxDB, dashboards: list[dict[str, Any]], models: list[dict[str, Any]]) -> None:
    figure = plt.figure(figsize=(11, 7))
    grid = figure.add_gridspec(3, 4, height_ratios=[0.8, 1.6, 1.8])
    stats = (
        "ride_and_buy.cyclist_visits",
        "ride_and_buy.time_centre_racks_are_over",
        "ride_and_buy.estimated_co2_avoided",
        "ride_and_buy.cycle_trips_counted",
    )
    units = ("", " %", " kg", "")
    for column, (key, unit) in enumerate(zip(stats, units, strict=True)):
        dashboard, panel = _panel(dashboards, models, "ridebuy-ride-and-buy", key)
        values = [
            v
            for s in _series(influx, dashboard, panel, panel["targets"][0])
            for row in s["values"]
            for v in row[1:]
            if v is not None
        ]
        value = sum(values) / len(values) if key.endswith("over") else values[0]
        axes = figure.add_subplot(grid[0, column])
        axes.axis("off")
        title = panel["title"].replace("$full_pct", "85")
        axes.text(0.5, 0.75, title, ha="center", fontsize=8.5, wrap=True)
        axes.text(0.5, 0.25, f"{value:,.0f}{unit}".replace(",", " "), ha="center", fontsize=20, color="#2c7a2c")
    dashboard, panel = _panel(dashboards, models, "ridebuy-ride-and-buy", "ride_and_buy.cyclist_visits_to_the_centre")
    displayed = {o["matcher"]["options"]: o["properties"][0]["value"] for o in panel["fieldConfig"]["overrides"]}
    axes = figure.add_subplot(grid[1, :])
    bottom: dict[int, float] = {}
    for series in _series(influx, dashboard, panel, panel["targets"][0]):
        days = [row[0] for row in series["values"]]
        counts = [row[1] or 0 for row in series["values"]]
        label = displayed.get(series["tags"]["class"], series["tags"]["class"])
        axes.bar(range(len(days)), counts, bottom=[bottom.get(i, 0) for i in range(len(days))], label=label)
        for i, count in enumerate(counts):
            bottom[i] = bottom.get(i, 0) + count
    axes.set_title(panel["title"], fontsize=10, loc="left")
    axes.legend(fontsize=8, loc="upper left")
    axes.set_xticks([])
    dashboard, panel = _panel(dashboards, models, "ridebuy-parkings", "parkings.parkings_most_often_full")
    (series_list) = _series(influx, dashboard, panel, panel["targets"][0])
    names = {p.id: p.name for p in load_registry(sample_registry_path()).parkings}
    rows = sorted(((names[s["tags"]["parking"]], s["values"][0][1]) for s in series_list), key=lambda r: r[1])
    axes = figure.add_subplot(grid[2, :])
    axes.barh([r[0] for r in rows], [r[1] for r in rows], color="#1f6fb2")
    axes.set_title(panel["title"] + " (%)", fontsize=10, loc="left")
    axes.tick_params(labelsize=7)
    _note(figure)
    figure.tight_layout(rect=(0, 0.03, 1, 1))
    figure.savefig(IMAGES / "dashboards-fr.png", dpi=100)
    plt.close(figure)


def main() -> None:
    with tempfile.TemporaryDirectory() as workdir:
        influx = InfluxDB(Path(workdir))
        influx.start()
        try:
            store = InfluxStore.from_url(influx.store_url(DATABASE))
            store.ensure_ready()
            fill(store, 15)
            store.close()
            models = load_models()
            dashboards = build_dashboards("fr", models=models)
            draw_map(influx, dashboards, models)
            draw_ride_and_buy(influx, dashboards, models)
        finally:
            influx.stop()


if __name__ == "__main__":
    main()
