"""From registry entries and live state to response bodies (one place, shared by the list, GeoJSON and stream)."""

from __future__ import annotations

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
    PointGeometry,
)
from ridebuy.api.timeparams import to_datetime
from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.devices.codecs import heartbeat_allowance_s
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


def parking_out(parking: Parking, availability: Availability | None, near: Position | None = None) -> ParkingOut:
    distance = round(distance_m(near, Position(parking.lat, parking.lon)), 1) if near is not None else None
    return ParkingOut(
        id=parking.id,
        name=parking.name,
        lat=parking.lat,
        lon=parking.lon,
        capacity=parking.capacity,
        covered=parking.covered,
        address=parking.address,
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
