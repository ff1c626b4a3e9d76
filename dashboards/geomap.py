"""The map panel's queries, made from the registry: one InfluxQL query per parking and per counter.

InfluxQL cannot join the measurements with a table of places, so each query carries its place's coordinates as
constants (``last("capacity") * 0 + 50.6716 AS "lat"``) and pins its tag (``"parking" = 'grand-place'``). The panel
is rebuilt from the registry at every push and every provisioning build, which keeps the map in step with it: a
parking added, moved or removed in the registry is added, moved or removed on the map the next time.
"""

# ruff: noqa: S608 - InfluxQL text for Grafana, tag values quoted with quote_literal, numbers formatted from floats
from __future__ import annotations

from typing import Any

from ridebuy.dashboards.catalogue import DATASOURCE_UID
from ridebuy.devices.registry import Counter, Parking, Registry
from ridebuy.store.influxql import quote_literal

PARKING_REF_PREFIX = "parking:"
COUNTER_REF_PREFIX = "counter:"


def _number(value: float) -> str:
    """A coordinate as an InfluxQL term added to zero: ``+ 5.077`` or ``- 0.1276``."""
    return f"+ {value!r}" if value >= 0 else f"- {-value!r}"


def parking_query(parking: Parking) -> str:
    return (
        'SELECT last("free") AS "free", last("occupied") AS "occupied", last("unknown") AS "unknown", '
        'last("capacity") AS "capacity", 100 * last("occupied") / last("capacity") AS "occupancy", '
        f'last("capacity") * 0 {_number(parking.lat)} AS "lat", last("capacity") * 0 {_number(parking.lon)} AS "lon" '
        f'FROM "availability" WHERE "parking" = {quote_literal(parking.id)} AND $timeFilter GROUP BY "parking"'
    )


def counter_query(counter: Counter) -> str:
    return (
        'SELECT sum("count") AS "passages", '
        f'sum("count") * 0 {_number(counter.lat)} AS "lat", sum("count") * 0 {_number(counter.lon)} AS "lon" '
        f'FROM "passages" WHERE "counter" = {quote_literal(counter.id)} AND $timeFilter GROUP BY "counter"'
    )


def _target(ref_id: str, query: str) -> dict[str, Any]:
    return {
        "refId": ref_id,
        "datasource": {"type": "influxdb", "uid": DATASOURCE_UID},
        "rawQuery": True,
        "query": query,
        "resultFormat": "table",
    }


def map_targets(registry: Registry) -> list[dict[str, Any]]:
    """One query per parking (refId ``parking:<id>``) and per counter (``counter:<id>``), in registry order."""
    targets = [_target(PARKING_REF_PREFIX + p.id, parking_query(p)) for p in registry.parkings]
    targets += [_target(COUNTER_REF_PREFIX + c.id, counter_query(c)) for c in registry.counters]
    return targets


def map_view(registry: Registry) -> dict[str, Any]:
    """Fit the view to the places; the centre of the places is where the map opens before the data arrives."""
    places = [(p.lat, p.lon) for p in registry.parkings] + [(c.lat, c.lon) for c in registry.counters]
    if not places:
        return {"id": "fit", "allLayers": True, "padding": 10, "lat": 0, "lon": 0, "zoom": 2}
    lat = sum(place[0] for place in places) / len(places)
    lon = sum(place[1] for place in places) / len(places)
    return {"id": "fit", "allLayers": True, "padding": 10, "lat": round(lat, 5), "lon": round(lon, 5), "zoom": 15}
