"""From registry entries and live state to response bodies (one place, shared by the list, GeoJSON and stream)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ridebuy.api.geo import Position, distance_m
from ridebuy.api.live_state import LiveState
from ridebuy.api.schemas import (
    AvailabilityFigures,
    CounterOut,
    CounterStatus,
    DeviceOut,
    ParkingFeature,
    ParkingOut,
    ParkingProperties,
    PlacesOut,
    PointGeometry,
)
from ridebuy.api.timeparams import NS_PER_S, to_datetime
from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.devices.codecs import heartbeat_allowance_s
from ridebuy.devices.opening_hours import open_at
from ridebuy.devices.registry import Device, DeviceKind, Parking, Registry


def figures(parking: Parking, availability: Availability | None) -> AvailabilityFigures:
    """What is known of a parking; before anything was folded, everything is unknown (never free)."""
    if availability is None:
        status = ParkingStatus.CLOSED if parking.closed else ParkingStatus.UNKNOWN
        return AvailabilityFigures(free=0, occupied=0, unknown=parking.capacity, status=status, last_updated=None)
    return AvailabilityFigures(
        free=availability.free,
        occupied=availability.occupied,
        unknown=availability.unknown,
        status=availability.status,
        last_updated=to_datetime(availability.last_updated_ns),
    )


@dataclass(frozen=True, slots=True)
class Moment:
    """What a parking's body depends on besides the registry and live state: the time (open now) and the town's
    time zone (opening hours are local)."""

    now_ns: int
    timezone: ZoneInfo

    @property
    def now(self) -> datetime:
        return datetime.fromtimestamp(self.now_ns / NS_PER_S, UTC)


def stale_after_s(registry: Registry, parking_id: str) -> int | None:
    """The longest heartbeat allowance of a parking's devices: figures older than this are old news."""
    return max((heartbeat_allowance_s(d) for d in registry.devices_of_parking(parking_id)), default=None)


def parking_out(
    parking: Parking,
    availability: Availability | None,
    registry: Registry,
    moment: Moment,
    near: Position | None = None,
) -> ParkingOut:
    distance = round(distance_m(near, Position(parking.lat, parking.lon)), 1) if near is not None else None
    return ParkingOut(
        id=parking.id,
        name=parking.name,
        lat=parking.lat,
        lon=parking.lon,
        capacity=parking.capacity,
        covered=parking.covered,
        address=parking.address,
        opening_hours=parking.opening_hours,
        open_now=open_at(parking.opening_hours, moment.now, moment.timezone),
        secure=parking.secure,
        places=PlacesOut(**parking.places.model_dump()) if parking.places is not None else None,
        charging_points=parking.charging_points,
        price=parking.price,
        max_stay_h=parking.max_stay_h,
        photo_url=parking.photo_url,
        stale_after_s=stale_after_s(registry, parking.id),
        distance_m=distance,
        **figures(parking, availability).model_dump(),
    )


def parking_feature(parking: ParkingOut) -> ParkingFeature:
    properties = parking.model_dump(exclude={"id", "lat", "lon"})
    return ParkingFeature(
        id=parking.id,
        geometry=PointGeometry(coordinates=(parking.lon, parking.lat)),
        properties=ParkingProperties(**properties),
    )


def counter_out(registry: Registry, live: LiveState, counter_id: str) -> CounterOut:
    counter = registry.counter_by_id[counter_id]
    devices = [d for d in registry.devices if d.counter == counter_id]
    seen = [ns for d in devices if (ns := live.health(d.id).last_seen_ns) is not None]
    alive = any(live.alive(d.id) for d in devices)
    return CounterOut(
        id=counter.id,
        name=counter.name,
        lat=counter.lat,
        lon=counter.lon,
        devices=[d.id for d in devices],
        status=CounterStatus.OK if alive else CounterStatus.UNKNOWN,
        last_updated=to_datetime(max(seen, default=None)),
    )


def device_out(device: Device, live: LiveState) -> DeviceOut:
    health = live.health(device.id)
    return DeviceOut(
        id=device.id,
        kind=device.kind,
        parking=device.parking if device.kind is not DeviceKind.COUNTER else None,
        counter=device.counter,
        format=device.format,
        codec=device.codec,
        heartbeat_s=heartbeat_allowance_s(device),
        last_seen=to_datetime(health.last_seen_ns),
        stale=not live.alive(device.id),
        offline=live.offline(device.id),
        battery_v=health.figures.battery_v,
        battery_pct=health.figures.battery_pct,
        battery_low=live.battery_low(device.id),
        rssi=health.figures.rssi,
        snr=health.figures.snr,
        status_updated=to_datetime(health.status_ns),
    )
