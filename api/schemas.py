"""Response bodies of the v1 API, with the examples shown at /docs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.registry import DeviceFormat, DeviceKind

_PARKING_EXAMPLE: dict[str, JsonValue] = {
    "id": "grand-place",
    "name": "Grand-Place",
    "lat": 50.6716,
    "lon": 5.077,
    "capacity": 24,
    "covered": False,
    "address": None,
    "free": 9,
    "occupied": 11,
    "unknown": 4,
    "status": "stale",
    "last_updated": "2026-05-04T08:14:03Z",
    "distance_m": 182.4,
}


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class ErrorOut(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "no parking with id 'nowhere'"}]})
    detail: str = Field(description="what went wrong, in a sentence")


class ParameterError(_Body):
    parameter: str
    message: str


class ValidationErrorOut(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "detail": "parameter 'near': must be 'lat,lon' in decimal degrees, e.g. 50.6716,5.077",
                    "errors": [
                        {"parameter": "near", "message": "must be 'lat,lon' in decimal degrees, e.g. 50.6716,5.077"}
                    ],
                }
            ]
        }
    )
    detail: str = Field(description="the first problem, naming its parameter")
    errors: list[ParameterError] = Field(description="every problem found")


class AvailabilityFigures(_Body):
    """Live figures of a parking; ``free`` never includes spaces whose sensor is silent."""

    free: int = Field(description="free places right now (0 when closed; unknown spaces are not counted)")
    occupied: int = Field(description="bikes counted (may exceed capacity when bikes are locked outside slots)")
    unknown: int = Field(description="spaces whose sensor is silent or never spoke")
    status: ParkingStatus = Field(
        description="ok: every space watched; stale: some unknown; unknown: nothing known; closed"
    )
    last_updated: datetime | None = Field(description="latest measurement time behind the figures (UTC)")


class ParkingInfo(_Body):
    """A parking as the registry describes it."""

    id: str
    name: str
    lat: float = Field(description="WGS 84 latitude")
    lon: float = Field(description="WGS 84 longitude")
    capacity: int = Field(description="places of the parking, from the registry")
    covered: bool
    address: str | None = None


class ParkingOut(AvailabilityFigures, ParkingInfo):
    model_config = ConfigDict(json_schema_extra={"examples": [_PARKING_EXAMPLE]})

    distance_m: float | None = Field(None, description="distance from `near` in metres, when `near` is given")


class ParkingList(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"parkings": [_PARKING_EXAMPLE]}]})
    parkings: list[ParkingOut]


class PointGeometry(_Body):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (RFC 7946 order)")


class ParkingProperties(AvailabilityFigures):
    name: str
    capacity: int
    covered: bool
    address: str | None = None
    distance_m: float | None = None


class ParkingFeature(_Body):
    type: Literal["Feature"] = "Feature"
    id: str
    geometry: PointGeometry
    properties: ParkingProperties


class ParkingFeatureCollection(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": "FeatureCollection",
                    "features": [
                        {
                            "type": "Feature",
                            "id": "grand-place",
                            "geometry": {"type": "Point", "coordinates": [5.077, 50.6716]},
                            "properties": {k: v for k, v in _PARKING_EXAMPLE.items() if k not in ("id", "lat", "lon")},
                        }
                    ],
                }
            ]
        }
    )
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[ParkingFeature]


class HistoryBucket(_Body):
    start: datetime = Field(description="start of the bucket (UTC)")
    free: float | None = Field(description="mean free places in the bucket; null where nothing is known")
    occupied: float | None
    unknown: float | None
    capacity: int | None


class ParkingHistory(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parking": "grand-place",
                    "from": "2026-05-04T08:00:00Z",
                    "to": "2026-05-04T09:00:00Z",
                    "every": "30m",
                    "buckets": [
                        {"start": "2026-05-04T08:00:00Z", "free": 9.5, "occupied": 14.5, "unknown": 0, "capacity": 24},
                        {"start": "2026-05-04T08:30:00Z", "free": 6.0, "occupied": 18.0, "unknown": 0, "capacity": 24},
                    ],
                }
            ]
        },
        populate_by_name=True,
    )
    parking: str
    start: datetime = Field(alias="from", serialization_alias="from")
    end: datetime = Field(alias="to", serialization_alias="to")
    every: str
    buckets: list[HistoryBucket]


class CounterStatus(StrEnum):
    OK = "ok"
    """At least one of its devices spoke within its heartbeat allowance."""
    UNKNOWN = "unknown"


class CounterOut(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "centre-nord",
                    "name": "Entrée nord du centre (chaussée de Landen)",
                    "lat": 50.6762,
                    "lon": 5.079,
                    "devices": ["cn-count-1"],
                    "status": "ok",
                    "last_updated": "2026-05-04T08:14:58Z",
                }
            ]
        }
    )
    id: str
    name: str
    lat: float
    lon: float
    devices: list[str] = Field(description="ids of the devices counting there")
    status: CounterStatus
    last_updated: datetime | None = Field(description="latest measurement time of any of its devices")


class CounterList(_Body):
    counters: list[CounterOut]


class CountPoint(_Body):
    start: datetime
    count: int | None = Field(description="passages in the bucket; null is a gap (no data), not zero")


class CountSeries(_Body):
    model_config = ConfigDict(populate_by_name=True)
    direction: str = Field(description="in or out")
    traffic_class: str = Field(alias="class", serialization_alias="class", description="bike, cargo, ebike, pedestrian")
    total: int = Field(description="sum of the non-null counts")
    counts: list[CountPoint]


class CounterCounts(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "counter": "centre-nord",
                    "from": "2026-05-04T08:00:00Z",
                    "to": "2026-05-04T09:00:00Z",
                    "every": "15m",
                    "direction": None,
                    "series": [
                        {
                            "direction": "in",
                            "class": "bike",
                            "total": 17,
                            "counts": [
                                {"start": "2026-05-04T08:00:00Z", "count": 5},
                                {"start": "2026-05-04T08:15:00Z", "count": 12},
                                {"start": "2026-05-04T08:30:00Z", "count": None},
                                {"start": "2026-05-04T08:45:00Z", "count": 0},
                            ],
                        }
                    ],
                }
            ]
        },
        populate_by_name=True,
    )
    counter: str
    start: datetime = Field(alias="from", serialization_alias="from")
    end: datetime = Field(alias="to", serialization_alias="to")
    every: str
    direction: str | None
    series: list[CountSeries]


class DeviceOut(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "id": "gp-slot-01",
                    "kind": "slot",
                    "parking": "grand-place",
                    "counter": None,
                    "format": "ttn",
                    "codec": "bosch-tps110",
                    "heartbeat_s": 900,
                    "last_seen": "2026-05-04T08:10:00Z",
                    "stale": False,
                    "offline": False,
                    "battery_v": 3.61,
                    "battery_pct": 87.0,
                    "battery_low": False,
                    "rssi": -97.0,
                    "snr": 7.5,
                    "status_updated": "2026-05-04T08:10:00Z",
                }
            ]
        }
    )
    id: str
    kind: DeviceKind
    parking: str | None
    counter: str | None
    format: DeviceFormat = Field(description="how it speaks: native JSON, The Things Stack (ttn) or ChirpStack")
    codec: str | None = Field(description="vendor codec of its bytes (LoRaWAN devices)")
    heartbeat_s: int = Field(
        description="its heartbeat allowance: expected longest silence (the registry's heartbeat_s, else its "
        "codec's default, else 900)"
    )
    last_seen: datetime | None = Field(description="latest measurement time of any of its messages")
    stale: bool = Field(description="silent past its heartbeat allowance, or never heard of")
    offline: bool = Field(
        description="heard of before, but silent for more than 2 heartbeat allowances: its spaces count as unknown"
    )
    battery_v: float | None
    battery_pct: float | None
    battery_low: bool | None = Field(
        description="latest battery_pct below RIDEBUY_BATTERY_LOW_PCT, else latest battery_v below "
        "RIDEBUY_BATTERY_LOW_V; null when it reported no battery figure"
    )
    rssi: float | None = Field(description="radio signal strength (dBm) of its latest status")
    snr: float | None = Field(description="radio signal-to-noise ratio (dB) of its latest status")
    status_updated: datetime | None = Field(description="measurement time of its latest status message")


class DeviceList(_Body):
    devices: list[DeviceOut]


class Liveness(_Body):
    status: Literal["ok"] = "ok"


class ReadinessChecks(_Body):
    broker: bool = Field(description="the live-state MQTT subscription is connected")
    store: bool = Field(description="the store answers")
    bootstrap: bool = Field(description="live state was seeded from the store")


class Readiness(_Body):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"ready": True, "checks": {"broker": True, "store": True, "bootstrap": True}}]}
    )
    ready: bool
    checks: ReadinessChecks
