"""Response bodies of the v1 API, with the examples shown at /docs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.registry import DeviceFormat, DeviceKind, SecureKind

_PARKING_EXAMPLE: dict[str, JsonValue] = {
    "id": "grand-place",
    "name": "Grand-Place",
    "lat": 50.6716,
    "lon": 5.077,
    "capacity": 24,
    "covered": False,
    "address": "Grand-Place, 4280 Hannut",
    "opening_hours": None,
    "open_now": True,
    "secure": "none",
    "places": {"regular": 20, "cargo": 2, "ebike": 2},
    "charging_points": 2,
    "price": "free",
    "max_stay_h": None,
    "photo_url": None,
    "stale_after_s": 900,
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


class PlacesOut(_Body):
    regular: int = Field(description="places for ordinary bikes")
    cargo: int = Field(description="places long or wide enough for cargo bikes and trailers")
    ebike: int = Field(description="places kept for e-bikes")


class ParkingAttributes(_Body):
    """What the registry says of a parking besides its position and capacity (all optional there)."""

    covered: bool = Field(description="under a roof")
    address: str | None = Field(None, description="postal address, as the registry gives it")
    opening_hours: str | None = Field(
        None, description="OpenStreetMap opening_hours syntax (e.g. `Mo-Sa 07:00-20:00`); null: always open"
    )
    open_now: bool | None = Field(
        None,
        description="whether `opening_hours` says open right now (in the town's time zone, RIDEBUY_TOWN_TIMEZONE); "
        "true without opening hours; null when the expression says unknown",
    )
    secure: SecureKind = Field(
        SecureKind.NONE, description="protection beyond a rack: none, locker, bike_room or guarded"
    )
    places: PlacesOut | None = Field(
        None, description="places per bicycle type (their sum is at most `capacity`); null: not described"
    )
    charging_points: int = Field(0, description="e-bike charging sockets")
    price: str | None = Field(None, description="`free`, or the price as a text; null: not known")
    max_stay_h: float | None = Field(None, description="longest allowed stay in hours; null: no limit known")
    photo_url: str | None = Field(None, description="an https URL of a photo of the parking")
    stale_after_s: int | None = Field(
        None,
        description="the figures are old once `last_updated` is further back than this (the longest heartbeat "
        "allowance of its devices); null: no devices",
    )


class ParkingInfo(_Body):
    """A parking as the registry describes it."""

    id: str
    name: str
    lat: float = Field(description="WGS 84 latitude")
    lon: float = Field(description="WGS 84 longitude")
    capacity: int = Field(description="places of the parking, from the registry")


class ParkingOut(AvailabilityFigures, ParkingAttributes, ParkingInfo):
    model_config = ConfigDict(json_schema_extra={"examples": [_PARKING_EXAMPLE]})

    distance_m: float | None = Field(None, description="distance from `near` in metres, when `near` is given")


class ParkingList(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [{"parkings": [_PARKING_EXAMPLE]}]})
    parkings: list[ParkingOut]


class PointGeometry(_Body):
    type: Literal["Point"] = "Point"
    coordinates: tuple[float, float] = Field(description="[longitude, latitude] (RFC 7946 order)")


class ParkingProperties(AvailabilityFigures, ParkingAttributes):
    name: str
    capacity: int
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


class HourOfWeek(_Body):
    weekday: int = Field(description="0 = Monday … 6 = Sunday, in the town's local time")
    hour: int = Field(description="0 to 23, local time")
    samples: int = Field(description="days with figures for this hour")
    mean_free: float | None = Field(description="mean free places in this hour; null: no figures")
    full_share: float | None = Field(description="share of the days on which the parking was full in this hour")


class UsuallyFull(_Body):
    days: Literal["weekdays", "weekend"] = Field(description="weekdays: Monday to Friday; weekend: Saturday, Sunday")
    start_hour: int = Field(description="local hour the parking is usually full from")
    end_hour: int = Field(description="local hour it usually has room again (exclusive)")


class ParkingTrend(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "parking": "gare-bus",
                    "timezone": "Europe/Brussels",
                    "weeks": 4,
                    "days_measured": 28,
                    "enough_history": True,
                    "usually_full": [{"days": "weekdays", "start_hour": 8, "end_hour": 10}],
                    "hours": [
                        {"weekday": 0, "hour": 8, "samples": 4, "mean_free": 0.25, "full_share": 0.75},
                    ],
                }
            ]
        }
    )
    parking: str
    timezone: str = Field(description="the town's time zone (RIDEBUY_TOWN_TIMEZONE) the hours are in")
    weeks: int = Field(description="weeks of history looked at")
    days_measured: int = Field(description="days with figures in that history")
    enough_history: bool = Field(description="whether there are enough days (7) to say what is usual")
    usually_full: list[UsuallyFull] = Field(
        description="hours in which the parking was full on at least half of the days measured (empty without "
        "enough history)"
    )
    hours: list[HourOfWeek] = Field(description="the 168 hours of the week, Monday 0:00 first")


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
