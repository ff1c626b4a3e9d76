"""The French "comptage mobilités" tables (schema.data.gouv.fr, v0.2.5): sites, channels and measures as CSV.

A site is a counter of the registry; each site has one BIKE channel per direction (``in``, ``out``), whose
measures are the passages of bikes (classes bike, cargo and ebike together) per time step. An interval in which
the store holds nothing is written empty; a counted zero is written 0.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ridebuy.api.open_data.publication import rfc3339
from ridebuy.devices.registry import Counter
from ridebuy.store.base import CountBucket

MEDIA_TYPE = "text/csv; charset=utf-8"

SITE_FIELDS = (
    "site_id",
    "parent_site_id",
    "site_name",
    "fr_insee_code",
    "xlong",
    "ylat",
    "external_ids",
    "infrastructure_type",
)
CHANNEL_FIELDS = (
    "channel_id",
    "channel_provider_id",
    "site_provider_id",
    "site_id",
    "mobility_type",
    "comment",
    "counter_transmission_type",
    "publication_transmission_type",
    "counter_type",
    "direction",
    "provider_direction_code",
    "provider_direction_name",
    "data_provider_name",
    "temporality",
    "started_at",
    "ended_at",
    "last_updated_at",
    "time_step",
    "provider_portal_url",
)
MEASURE_FIELDS = ("channel_id", "counter_id", "start_datetime", "end_datetime", "count")

DIRECTIONS = ("in", "out")
BIKE_CLASSES = frozenset({"bike", "cargo", "ebike"})
_DIRECTION_NAMES = {"in": "in: entering the counted area", "out": "out: leaving the counted area"}


@dataclass(frozen=True, slots=True)
class Channel:
    counter: Counter
    direction: str

    @property
    def id(self) -> str:
        return f"{self.counter.id}-{self.direction}"


def channels_of(counters: Iterable[Counter]) -> list[Channel]:
    return [Channel(counter, direction) for counter in counters for direction in DIRECTIONS]


def _csv(rows: Iterable[Sequence[object]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue()


def header(fields: Sequence[str]) -> str:
    return _csv([fields])


def sites_csv(counters: Iterable[Counter], uris_of: dict[str, str]) -> str:
    """``uris_of``: the stable URI of each counter, given as its external id."""
    rows = [
        {"site_id": c.id, "site_name": c.name, "xlong": c.lon, "ylat": c.lat, "external_ids": uris_of[c.id]}
        for c in counters
    ]
    return header(SITE_FIELDS) + _csv([[row.get(f, "") for f in SITE_FIELDS] for row in rows])


def channels_csv(
    channels: Iterable[Channel],
    started_ns: dict[str, int],
    last_updated_ns: dict[str, int | None],
    time_step_s: int,
    provider: str,
    portal_url: str,
) -> str:
    """One row per channel. ``started_ns`` per channel id: when counting began (the table needs it)."""
    rows = []
    for channel in channels:
        updated = last_updated_ns.get(channel.counter.id)
        rows.append(
            {
                "channel_id": channel.id,
                "site_id": channel.counter.id,
                "mobility_type": "BIKE",
                "counter_transmission_type": "REMOTE TRANSMISSION",
                "publication_transmission_type": "API",
                "provider_direction_code": channel.direction.upper(),
                "provider_direction_name": _DIRECTION_NAMES[channel.direction],
                "data_provider_name": provider,
                "temporality": "PERMANENT",
                "started_at": rfc3339(started_ns[channel.id]),
                "last_updated_at": rfc3339(updated) if updated is not None else "",
                "time_step": time_step_s,
                "provider_portal_url": portal_url,
            }
        )
    return header(CHANNEL_FIELDS) + _csv([[row.get(f, "") for f in CHANNEL_FIELDS] for row in rows])


def bike_counts(buckets: Iterable[CountBucket], direction: str) -> dict[int, int | None]:
    """Bikes per bucket start of one direction: the classes summed where any has data, None where none has."""
    totals: dict[int, int | None] = {}
    for bucket in buckets:
        if bucket.direction != direction or bucket.traffic_class not in BIKE_CLASSES:
            continue
        if bucket.count is None:
            totals.setdefault(bucket.start_ns, None)
        else:
            totals[bucket.start_ns] = (totals.get(bucket.start_ns) or 0) + bucket.count
    return totals


def measure_rows(channel: Channel, buckets: Iterable[CountBucket], start_ns: int, end_ns: int, every_s: int) -> str:
    """Every time step of [start, end) for one channel, empty where the store holds nothing."""
    counts = bike_counts(buckets, channel.direction)
    step_ns = every_s * 1_000_000_000
    rows = []
    for bucket_ns in range(start_ns, end_ns, step_ns):
        count = counts.get(bucket_ns)
        rows.append((channel.id, "", rfc3339(bucket_ns), rfc3339(bucket_ns + step_ns), "" if count is None else count))
    return _csv(rows)
