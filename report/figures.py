"""Every figure of the monthly report, computed through the store interface (InfluxDB or SQLite alike).

Each figure is one plain computation on what the store's read methods return, so that a test can run the same
query directly on the database and find the same number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from ridebuy.devices.registry import Registry
from ridebuy.devices.ride_and_buy import CYCLE_CLASSES, RideAndBuyAssumptions, co2_avoided_kg, is_full
from ridebuy.report.period import NS_PER_S, Period, ns
from ridebuy.store.base import Store

HOUR_S = 3600
QUARTER_S = 900
OFFLINE_AFTER_S = 3600
"""A device silent (no status message) for longer than this, or than twice its heartbeat when that is longer,
counts as offline (the Sensors dashboard's default is the same hour)."""


@dataclass(frozen=True, slots=True)
class ParkingFull:
    parking_id: str
    name: str
    capacity: int
    full_share_pct: float | None
    """Share of the quarter hours with data when the parking was at least ``full_pct`` % occupied."""
    mean_occupancy_pct: float | None


@dataclass(frozen=True, slots=True)
class WeekPassages:
    monday: date
    passages: int
    in_month: bool


@dataclass(frozen=True, slots=True)
class OfflineDevice:
    device_id: str
    place: str
    """The parking's or counter's name."""
    offline_s: int
    longest_s: int
    spells: int


@dataclass(slots=True)
class MonthFigures:
    period: Period
    assumptions: RideAndBuyAssumptions
    occupancy_grid: list[list[float | None]] = field(default_factory=list)
    """[weekday 0 = Monday][local hour]: mean occupancy of all parkings (occupied / capacity, %)."""
    parkings: list[ParkingFull] = field(default_factory=list)
    """Most often full first."""
    passages_per_day: dict[date, int] = field(default_factory=dict)
    """All passages (every class, both directions) per local day of the month."""
    weeks: list[WeekPassages] = field(default_factory=list)
    visits: int = 0
    """Cycle passages into the centre (bike, cargo, e-bike; direction in)."""
    cycle_trips: int = 0
    """Cycle passages in and out: the base of the CO2 estimate."""
    co2_kg: float = 0.0
    offline: list[OfflineDevice] = field(default_factory=list)
    """Devices offline for some time in the month, longest first."""
    devices: int = 0
    data_from: datetime | None = None
    """The first status message of any device in the month (the report cannot see before its data starts)."""
    counts_from: date | None = None
    """The first local day with passages, from the weeks before the month on: weeks before it are incomplete."""

    @property
    def passages(self) -> int:
        return sum(self.passages_per_day.values())

    @property
    def busiest_day(self) -> tuple[date, int] | None:
        if not self.passages_per_day:
            return None
        return max(self.passages_per_day.items(), key=lambda item: (item[1], item[0]))


def _occupancy_grid(store: Store, registry: Registry, period: Period) -> list[list[float | None]]:
    occupied: dict[int, float] = defaultdict(float)
    capacity: dict[int, float] = defaultdict(float)
    for parking in registry.parkings:
        for bucket in store.parking_history(parking.id, period.start_ns, period.end_ns, HOUR_S):
            if bucket.occupied is None or not bucket.capacity or bucket.start_ns < period.start_ns:
                continue
            occupied[bucket.start_ns] += bucket.occupied
            capacity[bucket.start_ns] += bucket.capacity
    sums = [[0.0] * 24 for _ in range(7)]
    counts = [[0] * 24 for _ in range(7)]
    for start_ns, total in occupied.items():
        local = datetime.fromtimestamp(start_ns / NS_PER_S, UTC).astimezone(period.tz)
        sums[local.weekday()][local.hour] += 100 * total / capacity[start_ns]
        counts[local.weekday()][local.hour] += 1
    return [[sums[d][h] / counts[d][h] if counts[d][h] else None for h in range(24)] for d in range(7)]


def _parkings_full(
    store: Store, registry: Registry, period: Period, assumptions: RideAndBuyAssumptions
) -> list[ParkingFull]:
    rows = []
    for parking in registry.parkings:
        known = [
            b
            for b in store.parking_history(parking.id, period.start_ns, period.end_ns, QUARTER_S)
            if b.occupied is not None and b.capacity
        ]
        full = sum(1 for b in known if is_full(b.occupied or 0, b.capacity or 0, assumptions))
        rows.append(
            ParkingFull(
                parking.id,
                parking.name,
                parking.capacity,
                100 * full / len(known) if known else None,
                100 * sum((b.occupied or 0) / (b.capacity or 1) for b in known) / len(known) if known else None,
            )
        )
    return sorted(rows, key=lambda r: (-(r.full_share_pct or -1), r.name))


def _hourly_passages(store: Store, registry: Registry, start_ns: int, end_ns: int) -> dict[int, dict[str, int]]:
    """Hour start -> "all" / "visits" / "cycle" passages of every counter."""
    hours: dict[int, dict[str, int]] = defaultdict(lambda: {"all": 0, "visits": 0, "cycle": 0})
    for counter in registry.counters:
        for bucket in store.counter_counts(counter.id, start_ns, end_ns, HOUR_S):
            if bucket.count is None or bucket.start_ns < start_ns:
                continue
            hour = hours[bucket.start_ns]
            hour["all"] += bucket.count
            if bucket.traffic_class in CYCLE_CLASSES:
                hour["cycle"] += bucket.count
                if bucket.direction == "in":
                    hour["visits"] += bucket.count
    return hours


def _local_day(start_ns: int, period: Period) -> date:
    return datetime.fromtimestamp(start_ns / NS_PER_S, UTC).astimezone(period.tz).date()


def _offline(store: Store, registry: Registry, period: Period) -> tuple[list[OfflineDevice], datetime | None]:
    activity = store.device_activity(period.start_ns, period.end_ns, QUARTER_S)
    if not activity:
        return [], None
    data_from_ns = max(period.start_ns, min(b.start_ns for b in activity))
    step = QUARTER_S * NS_PER_S
    by_device: dict[str, list[int]] = defaultdict(list)
    for bucket in activity:
        by_device[bucket.device_id].append(bucket.start_ns)
    names = {p.id: p.name for p in registry.parkings} | {c.id: c.name for c in registry.counters}
    offline = []
    for device in registry.devices:
        # Silences: from the start of the data to the first quarter hour with a message, between two such quarter
        # hours, and from the last one to the end of the period.
        cursor, silences = data_from_ns, []
        for start in by_device.get(device.id, []):
            if start > cursor:
                silences.append(start - cursor)
            cursor = max(cursor, start + step)
        silences.append(period.end_ns - cursor)
        allowed_s = max(OFFLINE_AFTER_S, 2 * device.heartbeat_s)
        long = [s // NS_PER_S for s in silences if s > allowed_s * NS_PER_S]
        if long:
            place = names.get(device.parking or device.counter or "", "")
            offline.append(OfflineDevice(device.id, place, int(sum(long)), int(max(long)), len(long)))
    data_from = datetime.fromtimestamp(data_from_ns / NS_PER_S, UTC).astimezone(period.tz)
    return sorted(offline, key=lambda o: (-o.offline_s, o.device_id)), data_from


def month_figures(store: Store, registry: Registry, period: Period, assumptions: RideAndBuyAssumptions) -> MonthFigures:
    figures = MonthFigures(period, assumptions, devices=len(registry.devices))
    figures.occupancy_grid = _occupancy_grid(store, registry, period)
    figures.parkings = _parkings_full(store, registry, period, assumptions)

    hours = _hourly_passages(store, registry, ns(period.compare_start), period.end_ns)
    days = dict.fromkeys(period.days(), 0)
    weeks: dict[date, int] = {}
    if hours:
        figures.counts_from = _local_day(min(hours), period)
    for start_ns, counts in hours.items():
        day = _local_day(start_ns, period)
        monday = day - timedelta(days=day.weekday())
        weeks[monday] = weeks.get(monday, 0) + counts["all"]
        if start_ns >= period.start_ns:
            days[day] += counts["all"]
            figures.visits += counts["visits"]
            figures.cycle_trips += counts["cycle"]
    figures.passages_per_day = days
    first_monday = period.compare_start.date()
    figures.weeks = [
        WeekPassages(monday, weeks.get(monday, 0), monday + timedelta(days=6) >= period.start.date())
        for monday in (
            first_monday + timedelta(weeks=i) for i in range((period.end.date() - first_monday).days // 7 + 1)
        )
        if datetime(monday.year, monday.month, monday.day, tzinfo=period.tz) < period.end
    ]
    figures.co2_kg = co2_avoided_kg(figures.cycle_trips, assumptions)
    figures.offline, figures.data_from = _offline(store, registry, period)
    return figures
