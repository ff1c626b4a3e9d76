"""Every query of every dashboard panel (and every template variable), run on a real InfluxDB filled with two
weeks of simulated Hannut traffic, returns data of the shape its panel expects, in every language."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from ridebuy.dashboards.build import build_dashboards, load_models
from ridebuy.dashboards.geomap import COUNTER_REF_PREFIX, PARKING_REF_PREFIX
from ridebuy.dashboards.texts import LANGUAGES
from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, co2_avoided_kg
from ridebuy.store.influx import InfluxStore
from tests.dashboards.grafana_influxql import render_target
from tests.dashboards.influxql_shape import expected_shape
from tests.dashboards.traffic import SILENT_DEVICE, Filled, fill
from tests.support.servers import InfluxDB

DAYS = 15
"""Two full weeks (this week against last week) and a day more."""
MIN_INTERVAL = "1m"
"""The data source's minimum interval (timeInterval in its provisioning)."""
DATABASE = "t_dashboards_panels"


@dataclass(frozen=True, slots=True)
class Case:
    language: str
    dashboard: dict[str, Any]
    panel: dict[str, Any]
    target: dict[str, Any]
    key: str
    """The panel's text key in the models (its title's), the same in every language."""

    @property
    def id(self) -> str:
        return f"{self.language}/{self.dashboard['uid']}/{self.key}/{self.target['refId']}"


def _cases() -> list[Case]:
    models = load_models()
    cases: list[Case] = []
    for language in LANGUAGES:
        for model, dashboard in zip(models, build_dashboards(language, models=models), strict=True):
            for model_panel, panel in zip(model["panels"], dashboard["panels"], strict=True):
                key = model_panel["title"].removeprefix("t:").removesuffix(".title")
                cases.extend(Case(language, dashboard, panel, target, key) for target in panel.get("targets", []))
    return cases


CASES = _cases()


@pytest.fixture(scope="module")
def filled(influxdb: InfluxDB) -> Iterator[Filled]:
    store = InfluxStore.from_url(influxdb.store_url(DATABASE))
    try:
        store.ensure_ready()
        yield fill(store, DAYS)
    finally:
        store.close()


def _tag_values(influxdb: InfluxDB, query: str) -> list[str]:
    return [str(row["value"]) for row in influxdb.rows(DATABASE, query)]


def _run(influxdb: InfluxDB, case: Case, every_option: bool = True) -> list[tuple[str, str, list[dict[str, Any]]]]:
    rendered = render_target(
        case.dashboard, case.panel, case.target, lambda q: _tag_values(influxdb, q), MIN_INTERVAL, every_option
    )
    return [(label, query, influxdb.query(DATABASE, query)) for label, query in rendered]


def test_every_panel_has_a_query() -> None:
    for dashboard in build_dashboards():
        for panel in dashboard["panels"]:
            assert panel.get("targets"), f"{dashboard['uid']}/{panel['title']} has no query"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_panel_query_returns_data_of_the_expected_shape(case: Case, filled: Filled, influxdb: InfluxDB) -> None:
    shape = expected_shape(case.target["query"])
    for label, query, series in _run(influxdb, case):
        where = f"{case.id} {label}\n{query}"
        assert series, f"no data: {where}"
        group_values = set()
        for one in series:
            assert one["columns"] == list(shape.columns), f"columns {one['columns']} != {shape.columns}: {where}"
            tags = one.get("tags") or {}
            assert set(tags) == set(shape.group_tags), f"tags {tags} != {shape.group_tags}: {where}"
            group_values.add(tuple(sorted(tags.items())))
            rows = one["values"]
            if shape.time_buckets:
                assert len(rows) >= (1 if shape.fill_none else 2), f"a single time bucket: {where}"
                times = [row[0] for row in rows]
                assert times == sorted(times), f"buckets out of order: {where}"
        values = [value for one in series for row in one["values"] for value in row[1:]]
        assert any(value is not None for value in values), f"only nulls: {where}"
        pinned = {tag for tag in shape.group_tags if f'"{tag}" = \'' in query}
        if set(shape.group_tags) - pinned:
            assert len(group_values) >= 2, f"only {group_values} when grouping by {shape.group_tags}: {where}"


# What the numbers mean, for the panels where a wrong query would still have the right shape ----------------------


def _single(influxdb: InfluxDB, uid: str, key: str, ref: str = "A", language: str = "fr") -> list[dict[str, Any]]:
    case = next(
        c
        for c in CASES
        if c.language == language and c.dashboard["uid"] == uid and c.key == key and c.target["refId"] == ref
    )
    ((_, _, series),) = _run(influxdb, case, every_option=False)
    rows = []
    for one in series:
        for values in one["values"]:
            rows.append({**(one.get("tags") or {}), **dict(zip(one["columns"], values, strict=True))})
    return rows


def test_offline_list_is_the_silent_device(filled: Filled, influxdb: InfluxDB) -> None:
    title = "devices.offline_devices"
    known = {row["device"] for row in _single(influxdb, "ridebuy-devices", title, "A")}
    recent = {row["device"] for row in _single(influxdb, "ridebuy-devices", title, "B")}
    assert known == filled.devices  # every device sends status messages or heartbeats
    # Grafana's outer join + "recent is null" filter keeps exactly the devices of A missing from B.
    assert known - recent == {SILENT_DEVICE}


def test_ride_and_buy_figures_match_the_traffic_written(filled: Filled, influxdb: InfluxDB) -> None:
    (visits,) = _single(influxdb, "ridebuy-ride-and-buy", "ride_and_buy.cyclist_visits")
    assert visits["visits"] == filled.inbound_cycle_passages
    (trips,) = _single(influxdb, "ridebuy-ride-and-buy", "ride_and_buy.cycle_trips_counted")
    assert trips["trips"] == filled.cycle_passages
    (co2,) = _single(influxdb, "ridebuy-ride-and-buy", "ride_and_buy.estimated_co2_avoided")
    # The assumption variables' defaults are the module's.
    assert co2["co2_kg"] == pytest.approx(co2_avoided_kg(filled.cycle_passages, DEFAULT_ASSUMPTIONS))


def test_shares_of_time_are_percentages(filled: Filled, influxdb: InfluxDB) -> None:
    full = _single(influxdb, "ridebuy-parkings", "parkings.parkings_most_often_full")
    unknown = _single(influxdb, "ridebuy-parkings", "parkings.time_with_unknown_data")
    over = _single(influxdb, "ridebuy-ride-and-buy", "ride_and_buy.time_over_full_per_parking")
    centre = _single(influxdb, "ridebuy-ride-and-buy", "ride_and_buy.time_centre_racks_are_over")
    assert sorted(row["over"] for row in centre) == sorted(row["over"] for row in over)
    parkings = len(load_registry(sample_registry_path()).parkings)
    assert len(unknown) == parkings  # every loop below checks parkings, never none
    assert 0 < len(full) <= parkings and 0 < len(over) <= parkings
    for row in full:
        assert 0 <= row["full_time"] <= 100
    for row in over:
        assert 0 <= row["over"] <= 100
    assert any(row["over"] > 0 for row in over), "no parking ever above 85 % in two weeks of simulated traffic"
    by_parking = {row["parking"]: row for row in unknown}
    for row in unknown:
        assert 0 <= row["time_with_unknown"] <= 100 and 0 <= row["spaces_unknown"] <= 100
    # The silent rack of the sports hall left spaces unknown for its last hours.
    assert by_parking["hall-sports"]["time_with_unknown"] > 0
    assert by_parking["grand-place"]["time_with_unknown"] < by_parking["hall-sports"]["time_with_unknown"]


def test_weekday_hour_grid_is_complete(filled: Filled, influxdb: InfluxDB) -> None:
    rows = _single(influxdb, "ridebuy-parkings", "parkings.utilisation_by_weekday_and_hour")
    cells = {
        (moment.isoweekday(), moment.hour)
        for row in rows
        if row["occupancy"] is not None
        for moment in [datetime.fromtimestamp(row["time"] / 1e9, UTC)]
    }
    assert len(cells) == 7 * 24


def test_rejections_by_reason_count_every_dead_letter(filled: Filled, influxdb: InfluxDB) -> None:
    rows = _single(influxdb, "ridebuy-devices", "devices.rejections_by_reason")
    totals: dict[str, int] = {}
    for row in rows:
        if row["rejections"] is not None:
            totals[row["reason"]] = totals.get(row["reason"], 0) + row["rejections"]
    # The panel's range is the last 24 hours: every reason of the rotation shows up in it.
    assert set(totals) == set(filled.rejections)


def _map_rows(influxdb: InfluxDB, language: str) -> dict[str, dict[str, Any]]:
    """refId -> the one row its map query returns."""
    rows = {}
    for case in CASES:
        if case.language == language and case.key == "parkings.map":
            ((_, _, series),) = _run(influxdb, case, every_option=False)
            ((values,),) = [one["values"] for one in series]
            (one,) = series
            rows[case.target["refId"]] = {**one["tags"], **dict(zip(one["columns"], values, strict=True))}
    return rows


@pytest.mark.parametrize("language", LANGUAGES)
def test_map_places_come_from_the_registry_with_their_figures(
    language: str, filled: Filled, influxdb: InfluxDB
) -> None:
    registry = load_registry(sample_registry_path())
    rows = _map_rows(influxdb, language)
    assert set(rows) == {PARKING_REF_PREFIX + p.id for p in registry.parkings} | {
        COUNTER_REF_PREFIX + c.id for c in registry.counters
    }
    now = {row["parking"]: row for row in _single(influxdb, "ridebuy-parkings", "parkings.free_and_occupied_now")}
    for parking in registry.parkings:
        row = rows[PARKING_REF_PREFIX + parking.id]
        assert row["parking"] == parking.id
        assert (row["lat"], row["lon"]) == pytest.approx((parking.lat, parking.lon))
        assert row["free"] == now[parking.id]["free"] and row["capacity"] == parking.capacity
        assert row["occupancy"] == pytest.approx(100 * row["occupied"] / parking.capacity)
    # The map's period is the dashboard's: the last 7 days.
    totals = {
        str(row["counter"]): row["sum"]
        for row in influxdb.rows(
            DATABASE, 'SELECT sum("count") FROM "passages" WHERE time >= now() - 7d GROUP BY "counter"'
        )
    }
    for counter in registry.counters:
        row = rows[COUNTER_REF_PREFIX + counter.id]
        assert (row["lat"], row["lon"]) == pytest.approx((counter.lat, counter.lon))
        assert row["passages"] == totals[counter.id]
