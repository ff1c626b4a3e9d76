"""Usual occupancy: the hour-of-week profile (pure), and the trend endpoint on the real SQLite and InfluxDB stores."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.settings import ApiSettings
from ridebuy.api.trends import profile
from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.store.base import AvailabilityBucket, Store
from ridebuy.store.influx import InfluxStore
from ridebuy.store.points import availability_point
from ridebuy.store.sqlite import SqliteStore
from tests.api.fakes import Clock
from tests.devices.helpers import small_registry
from tests.store.conftest import drop_database
from tests.support.servers import InfluxDB

BRUSSELS = ZoneInfo("Europe/Brussels")
NOW = datetime(2026, 5, 4, 7, 33, 20, tzinfo=UTC)  # a Monday, 9:33 in Brussels
NS = 1_000_000_000


def _hours(days: int) -> Iterator[datetime]:
    """Every hour of the last ``days`` days, at half past (local time), oldest first."""
    start = NOW.replace(minute=30, second=0) - timedelta(days=days)
    for hour in range(days * 24):
        yield start + timedelta(hours=hour)


def _free_at(moment: datetime) -> int:
    """The commuters' pattern: full from 8:00 to 10:00 on weekdays (local time), 5 of 12 free otherwise."""
    local = moment.astimezone(BRUSSELS)
    return 0 if local.weekday() < 5 and local.hour in (8, 9) else 5


def _buckets(days: int) -> list[AvailabilityBucket]:
    return [
        AvailabilityBucket(int(m.timestamp()) * NS, float(_free_at(m)), 12.0 - _free_at(m), 0.0, 12)
        for m in _hours(days)
    ]


def test_a_commuter_parking_is_usually_full_on_weekday_mornings() -> None:
    trend = profile(_buckets(21), BRUSSELS)
    assert trend.enough_history
    assert trend.days_measured >= 21
    assert [(s.days, s.start_hour, s.end_hour) for s in trend.usually_full] == [("weekdays", 8, 10)]
    monday_8 = trend.hours[8]
    assert (monday_8.weekday, monday_8.hour, monday_8.full_share, monday_8.mean_free) == (0, 8, 1.0, 0.0)
    assert len(trend.hours) == 168


def test_a_few_days_are_not_enough_to_say_what_is_usual() -> None:
    trend = profile(_buckets(4), BRUSSELS)
    assert not trend.enough_history
    assert trend.usually_full == ()


def test_hours_without_figures_or_mostly_unknown_are_left_out() -> None:
    silent = [AvailabilityBucket(b.start_ns, None, None, None, None) for b in _buckets(21)]
    assert profile(silent, BRUSSELS).days_measured == 0
    unknown = [AvailabilityBucket(b.start_ns, 0.0, 0.0, 10.0, 12) for b in _buckets(21)]
    assert profile(unknown, BRUSSELS).usually_full == ()


class CountingStore:
    """The real store, counting history queries (to see the cache work)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.history_calls = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.store, name)

    def parking_history(self, parking_id: str, start_ns: int, end_ns: int, every_s: int) -> list[AvailabilityBucket]:
        self.history_calls += 1
        return self.store.parking_history(parking_id, start_ns, end_ns, every_s)


def _check_trend_endpoint(store: Store, tmp_path: Path) -> None:
    store.ensure_ready()
    store.write(
        [
            availability_point(
                Availability("grand-place", 12, _free_at(m), 12 - _free_at(m), 0, ParkingStatus.OK, None),
                int(m.timestamp()) * NS,
            )
            for m in _hours(21)
        ]
    )
    counting = CountingStore(store)
    clock = Clock(int(NOW.timestamp()) * NS)
    settings = ApiSettings(registry=tmp_path / "unused.yaml", town_timezone="Europe/Brussels")
    app = create_app(settings, store=counting, registry=small_registry(), clock_ns=clock, listen=False)  # type: ignore[arg-type]
    with TestClient(app) as client:
        body = client.get("/v1/parkings/grand-place/trend").json()
        assert body["enough_history"] is True
        assert body["timezone"] == "Europe/Brussels"
        assert body["usually_full"] == [{"days": "weekdays", "start_hour": 8, "end_hour": 10}]
        assert len(body["hours"]) == 168
        client.get("/v1/parkings/grand-place/trend")
        assert counting.history_calls == 1  # the second answer came from the cache
        nothing = client.get("/v1/parkings/gare/trend").json()
        assert (nothing["enough_history"], nothing["usually_full"]) == (False, [])
        assert client.get("/v1/parkings/nowhere/trend").status_code == 404


def test_trend_from_the_sqlite_store(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "ridebuy.db")
    try:
        _check_trend_endpoint(store, tmp_path)
    finally:
        store.close()


def test_trend_from_influxdb(tmp_path: Path, influxdb: InfluxDB, database: str) -> None:
    store = InfluxStore.from_url(influxdb.store_url(database))
    try:
        _check_trend_endpoint(store, tmp_path)
    finally:
        store.close()
        drop_database(influxdb, database)
