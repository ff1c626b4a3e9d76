"""This month's Ride and Buy figures for the panels, counted from the stored passages now and then.

The month is the calendar month in the town's time zone. Every counter of the registry is summed (the counters
are the centre's entrances, as in the Ride and Buy dashboard, whose *All* is the default). A figure older than
three refresh periods, or of another month, is not shown: the panel then leaves the line out rather than show an
old total as this month's.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ridebuy.api.panels import RideAndBuyOut
from ridebuy.api.store_access import StoreAccess
from ridebuy.api.timeparams import NS_PER_S, to_ns
from ridebuy.devices.registry import Registry
from ridebuy.devices.ride_and_buy import RideAndBuyAssumptions, RideAndBuyTotals, totals
from ridebuy.store.base import StoreError

log = logging.getLogger(__name__)

DAY_S = 86_400


def month_start(now_ns: int, zone: ZoneInfo) -> tuple[str, int]:
    """``("YYYY-MM", start of that month in ns)`` for the month ``now_ns`` falls in, in ``zone``."""
    local = datetime.fromtimestamp(now_ns / NS_PER_S, UTC).astimezone(zone)
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    # replace() keeps the UTC offset of ``local``: take the offset in force on the 1st (DST may differ).
    start = start.replace(tzinfo=None).replace(tzinfo=zone)
    return f"{start.year:04d}-{start.month:02d}", to_ns(start.astimezone(UTC))


@dataclass(frozen=True, slots=True)
class MonthFigures:
    month: str
    totals: RideAndBuyTotals
    counted_ns: int


class RideAndBuyLine:
    """Holds the latest count; :meth:`refresh` recounts from the store, :meth:`out` says what a panel shows."""

    def __init__(self, assumptions: RideAndBuyAssumptions, zone: ZoneInfo, refresh_s: float) -> None:
        self.assumptions = assumptions
        self.zone = zone
        self.refresh_s = refresh_s
        self.latest: MonthFigures | None = None

    async def refresh(self, store: StoreAccess, registry: Registry, now_ns: int) -> bool:
        """Recount this month's passages; False (the old count kept) when the store fails."""
        month, start_ns = month_start(now_ns, self.zone)
        passages: list[tuple[str, str, int | None]] = []
        try:
            for counter in registry.counters:
                buckets = await store.counter_counts(counter.id, start_ns, now_ns, DAY_S, None)
                passages.extend((b.direction, b.traffic_class, b.count) for b in buckets)
        except StoreError as exc:
            log.warning("cannot count this month's passages for the panels: %s", exc)
            return False
        self.latest = MonthFigures(month, totals(passages), now_ns)
        return True

    def out(self, now_ns: int) -> RideAndBuyOut | None:
        latest = self.latest
        if latest is None or now_ns - latest.counted_ns > 3 * self.refresh_s * NS_PER_S:
            return None
        if month_start(now_ns, self.zone)[0] != latest.month:
            return None
        return RideAndBuyOut(
            month=latest.month,
            visits=latest.totals.visits,
            cycle_trips=latest.totals.cycle_trips,
            co2_avoided_kg=round(latest.totals.co2_avoided_kg(self.assumptions), 1),
            trip_km=self.assumptions.trip_km,
            car_share=self.assumptions.car_share,
            co2_g_per_km=self.assumptions.co2_g_per_km,
        )
