"""The report's figures equal the same questions asked of the database directly (InfluxQL on InfluxDB 1.6.7), and
SQLite gives the same figures as InfluxDB."""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, co2_avoided_kg, is_full
from ridebuy.report.figures import MonthFigures, month_figures
from ridebuy.report.period import month_period
from ridebuy.store.influx import InfluxStore
from ridebuy.store.sqlite import SqliteStore
from tests.report.conftest import DATABASE, END, MONTH, SILENCE, SILENT_DEVICE, Filled
from tests.support.servers import InfluxDB

TZ = ZoneInfo("Europe/Brussels")
PERIOD = month_period(MONTH, TZ, now=END)
RANGE = f"time >= {PERIOD.start_ns} AND time < {PERIOD.end_ns}"
CYCLE = '"class" =~ /^(bike|cargo|ebike)$/'


@pytest.fixture(scope="module")
def influx_figures(filled: Filled) -> MonthFigures:
    store = InfluxStore.from_url(filled.influx_url)
    try:
        return month_figures(store, filled.registry, PERIOD, DEFAULT_ASSUMPTIONS)
    finally:
        store.close()


@pytest.fixture(scope="module")
def sqlite_figures(filled: Filled) -> MonthFigures:
    store = SqliteStore(filled.sqlite_path)
    try:
        return month_figures(store, filled.registry, PERIOD, DEFAULT_ASSUMPTIONS)
    finally:
        store.close()


def _one(influxdb: InfluxDB, query: str) -> Any:
    ((row,),) = [list(influxdb.rows(DATABASE, query))]
    return next(value for key, value in row.items() if key != "time")


def test_the_period_is_may_so_far() -> None:
    assert PERIOD.partial and PERIOD.start == datetime(2026, 5, 1, tzinfo=TZ)
    assert PERIOD.end == END


def test_visits_trips_and_co2_equal_direct_sums(influx_figures: MonthFigures, influxdb: InfluxDB) -> None:
    visits = _one(influxdb, f'SELECT sum("count") FROM "passages" WHERE "direction" = \'in\' AND {CYCLE} AND {RANGE}')
    trips = _one(influxdb, f'SELECT sum("count") FROM "passages" WHERE {CYCLE} AND {RANGE}')
    assert influx_figures.visits == visits > 0
    assert influx_figures.cycle_trips == trips > visits
    assert influx_figures.co2_kg == pytest.approx(trips * 3.0 * 0.5 * 170 / 1000)
    assert influx_figures.co2_kg == co2_avoided_kg(trips, DEFAULT_ASSUMPTIONS)


def test_passages_per_day_and_week_equal_grouped_queries(influx_figures: MonthFigures, influxdb: InfluxDB) -> None:
    rows = influxdb.rows(
        DATABASE, f'SELECT sum("count") FROM "passages" WHERE {RANGE} GROUP BY time(1d) fill(0) tz(\'Europe/Brussels\')'
    )
    direct = {datetime.fromtimestamp(r["time"] / 1e9, UTC).astimezone(TZ).date(): r["sum"] for r in rows}
    assert influx_figures.passages_per_day == direct
    assert len(direct) == 12 and all(count > 0 for day, count in direct.items() if day < date(2026, 5, 12))
    # Weeks from Monday (InfluxDB's weeks start on Thursday 1 January 1970: offset by 4 days).
    start = int(PERIOD.compare_start.timestamp() * 1e9)
    rows = influxdb.rows(
        DATABASE,
        f'SELECT sum("count") FROM "passages" WHERE time >= {start} AND time < {PERIOD.end_ns} '
        "GROUP BY time(7d, 4d) fill(0) tz('Europe/Brussels')",
    )
    weeks = {datetime.fromtimestamp(r["time"] / 1e9, UTC).astimezone(TZ).date(): r["sum"] for r in rows}
    mondays = [w.monday for w in influx_figures.weeks]
    assert {w.monday: w.passages for w in influx_figures.weeks} == {m: weeks.get(m, 0) for m in mondays}
    assert {m for m, count in weeks.items() if count} <= set(mondays)
    assert [w.monday.weekday() for w in influx_figures.weeks] == [0] * len(influx_figures.weeks)
    assert [w.in_month for w in influx_figures.weeks] == [False] * 4 + [True] * 3


def _buckets(influxdb: InfluxDB, parking: str, every_s: int) -> list[tuple[int, float, float]]:
    """Mean occupied and capacity per bucket; a bucket without points takes the last value before it (from before
    the month too), as the store's history does."""
    before = PERIOD.start_ns - 86_400 * 10**9
    where = f"\"parking\" = '{parking}' AND time >= {before} AND time < {PERIOD.end_ns} GROUP BY time({every_s}s)"
    means = {
        r["time"]: (r["mean"], r["mean_1"])
        for r in influxdb.rows(DATABASE, f'SELECT mean("occupied"), mean("capacity") FROM "availability" WHERE {where}')
        if r["mean"] is not None
    }
    lasts = {
        r["time"]: (r["last"], r["last_1"])
        for r in influxdb.rows(
            DATABASE, f'SELECT last("occupied"), last("capacity") FROM "availability" WHERE {where} fill(previous)'
        )
        if r["last"] is not None
    }
    buckets = []
    for time_ns in sorted(lasts):
        if time_ns >= PERIOD.start_ns:
            occupied, capacity = means.get(time_ns) or lasts[time_ns - every_s * 10**9]
            buckets.append((time_ns, occupied, capacity))
    return buckets


def test_parkings_full_equal_quarter_hours_over_the_threshold(
    influx_figures: MonthFigures, influxdb: InfluxDB, filled: Filled
) -> None:
    assert {p.parking_id for p in influx_figures.parkings} == {p.id for p in filled.registry.parkings}
    for parking in influx_figures.parkings:
        buckets = _buckets(influxdb, parking.parking_id, 900)
        full = sum(1 for _, occupied, capacity in buckets if is_full(occupied, capacity, DEFAULT_ASSUMPTIONS))
        assert parking.full_share_pct == pytest.approx(100 * full / len(buckets))
        assert parking.mean_occupancy_pct == pytest.approx(100 * sum(o / c for _, o, c in buckets) / len(buckets))
    shares = [p.full_share_pct or 0 for p in influx_figures.parkings]
    assert shares == sorted(shares, reverse=True) and shares[0] > 0


def test_occupancy_grid_equals_hourly_means(influx_figures: MonthFigures, influxdb: InfluxDB, filled: Filled) -> None:
    occupied: dict[int, float] = defaultdict(float)
    capacity: dict[int, float] = defaultdict(float)
    for parking in filled.registry.parkings:
        for time_ns, o, c in _buckets(influxdb, parking.id, 3600):
            occupied[time_ns] += o
            capacity[time_ns] += c
    cells: dict[tuple[int, int], list[float]] = defaultdict(list)
    for time_ns, total in occupied.items():
        local = datetime.fromtimestamp(time_ns / 1e9, UTC).astimezone(TZ)
        cells[(local.weekday(), local.hour)].append(100 * total / capacity[time_ns])
    for (weekday, hour), values in cells.items():
        assert influx_figures.occupancy_grid[weekday][hour] == pytest.approx(sum(values) / len(values))
    assert len(cells) == 7 * 24  # twelve days cover every hour of the week
    # Mornings of working days are busier than nights.
    assert (influx_figures.occupancy_grid[1][10] or 0) > (influx_figures.occupancy_grid[1][3] or 0)


def test_the_silent_device_is_offline_for_its_silence(influx_figures: MonthFigures, influxdb: InfluxDB) -> None:
    (offline,) = influx_figures.offline
    assert offline.device_id == SILENT_DEVICE and offline.place == "Hall omnisports" and offline.spells == 1
    silence_s = SILENCE[1] - SILENCE[0]
    # Quarter hours with a status message, as asked directly: the longest gap between them is the silence.
    rows = influxdb.rows(
        DATABASE,
        f'SELECT count("heartbeat") FROM "device_status" WHERE "device" = \'{SILENT_DEVICE}\' AND {RANGE} '
        "GROUP BY time(15m) fill(none)",
    )
    starts = [r["time"] for r in rows]
    longest_gap_s = max(b - (a + 900 * 10**9) for a, b in itertools.pairwise(starts)) // 10**9
    assert offline.longest_s == offline.offline_s == longest_gap_s
    assert silence_s - 1800 <= offline.longest_s <= silence_s + 1800
    assert influx_figures.devices == 15 and influx_figures.data_from == PERIOD.start


def test_sqlite_gives_the_same_figures(influx_figures: MonthFigures, sqlite_figures: MonthFigures) -> None:
    assert sqlite_figures.visits == influx_figures.visits
    assert sqlite_figures.cycle_trips == influx_figures.cycle_trips
    assert sqlite_figures.passages_per_day == influx_figures.passages_per_day
    assert sqlite_figures.weeks == influx_figures.weeks
    assert sqlite_figures.offline == influx_figures.offline
    for a, b in zip(sqlite_figures.parkings, influx_figures.parkings, strict=True):
        assert a.parking_id == b.parking_id
        assert a.full_share_pct == pytest.approx(b.full_share_pct)
    for row_a, row_b in zip(sqlite_figures.occupancy_grid, influx_figures.occupancy_grid, strict=True):
        assert row_a == pytest.approx(row_b)


def test_a_month_not_begun_is_refused() -> None:
    with pytest.raises(ValueError, match="has not begun"):
        month_period(date(2026, 6, 1), TZ, now=END)
    assert month_period(date(2026, 4, 1), TZ, now=END).end == datetime(2026, 5, 1, tzinfo=TZ) - timedelta(0)
