"""What a display panel shows, as one body for the kiosk page, LED controllers (HTTP and MQTT) and the text format.

One rule decides what a panel may show for a parking (:func:`shown_free`): a number only when every space of the
parking is watched by a live sensor (status ``ok``; 0 then means full). Unknown, stale (some spaces unknown) and
closed parkings show no number: a panel read from 20 m has no room for "at least 5", and an old figure must never
pass for a current one.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from ridebuy.api.live_state import LiveState
from ridebuy.api.views import figures
from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.panels import Arrow, Language, LocalText, Panel

_EXAMPLE: dict[str, JsonValue] = {
    "id": "entree-nord",
    "title": {"fr": "Parkings vélo du centre", "nl": "Fietsparkings centrum"},
    "languages": ["fr", "nl"],
    "rotate_s": 8,
    "message": None,
    "ride_and_buy": {
        "month": "2026-05",
        "visits": 1234,
        "cycle_trips": 2410,
        "co2_avoided_kg": 614.6,
        "trip_km": 3.0,
        "car_share": 0.5,
        "co2_g_per_km": 170.0,
    },
    "parkings": [
        {
            "id": "gare-bus",
            "name": "Gare des bus (TEC)",
            "free": 12,
            "capacity": 40,
            "status": "ok",
            "last_updated": "2026-05-04T08:14:03Z",
            "arrow": "right",
            "direction": "150 m",
        }
    ],
}


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class PanelParkingOut(_Body):
    id: str
    name: str
    free: int | None = Field(
        description="free places to show; 0 is full; null when the panel shows '—' (unknown, stale or closed)"
    )
    capacity: int
    status: ParkingStatus = Field(description="ok, stale (some spaces unknown), unknown or closed")
    last_updated: datetime | None = Field(description="latest measurement time behind the figures (UTC)")
    arrow: Arrow | None = Field(None, description="where to ride, as on a guidance sign")
    direction: LocalText | None = Field(None, description="direction text, one string or one per language")


class RideAndBuyOut(_Body):
    """This month's Ride and Buy figures, with the assumptions of the CO2 estimate (devices.ride_and_buy)."""

    month: str = Field(description="calendar month in the town's time zone, YYYY-MM")
    visits: int = Field(description="cycle passages counted entering the centre this month")
    cycle_trips: int = Field(description="cycle passages in and out this month: the base of the estimate")
    co2_avoided_kg: float = Field(description="cycle_trips x trip_km x car_share x co2_g_per_km / 1000")
    trip_km: float
    car_share: float
    co2_g_per_km: float


class PanelOut(_Body):
    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    id: str
    title: LocalText
    languages: list[Language] = Field(description="languages the panel rotates through")
    rotate_s: int = Field(description="seconds per language")
    message: LocalText | None = None
    ride_and_buy: RideAndBuyOut | None = Field(
        None, description="null when the panel has no Ride and Buy line or the figures are not known right now"
    )
    parkings: list[PanelParkingOut]


def shown_free(status: ParkingStatus, free: int) -> int | None:
    """The number a panel shows, or None for '—' (see the module's docstring)."""
    return free if status is ParkingStatus.OK else None


def panel_out(panel: Panel, live: LiveState, ride_and_buy: RideAndBuyOut | None) -> PanelOut:
    registry = live.registry
    rows = []
    for entry in panel.parkings:
        parking = registry.parking_by_id.get(entry.parking)
        if parking is None:  # the registry validates references; a panel never outlives its parkings
            continue
        known = figures(parking, live.availability(parking.id))
        rows.append(
            PanelParkingOut(
                id=parking.id,
                name=parking.name,
                free=shown_free(known.status, known.free),
                capacity=parking.capacity,
                status=known.status,
                last_updated=known.last_updated,
                arrow=entry.arrow,
                direction=entry.direction,
            )
        )
    return PanelOut(
        id=panel.id,
        title=panel.title,
        languages=list(panel.languages),
        rotate_s=panel.rotate_s,
        message=panel.message,
        ride_and_buy=ride_and_buy if panel.ride_and_buy else None,
        parkings=rows,
    )
