"""Velopark JSON-LD (Belgium's bicycle-parking register): one document per parking, one live document per section.

A parking is a ``mv:BicycleParkingStation`` with one section in its ``@graph`` (ridebuy knows a parking as a
whole); the section links its live document through ``liveCapacity`` (``mv:capacity``), which holds the free
places as ``mv:currentValue`` with ``mv:totalCapacity`` and ``dc:date``. Terms come from Velopark's own contexts
(``contexts/``), carried inline.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from ridebuy.api.open_data.figures import LiveFigures
from ridebuy.api.open_data.publication import Publisher, Uris, rfc3339
from ridebuy.devices.registry import Parking
from ridebuy.devices.registry.model import SecureKind

MEDIA_TYPE = "application/ld+json"

_ALL_WEEK = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@functools.cache
def context(name: str) -> dict[str, Any]:
    """A Velopark context shipped with the package (``velopark`` or ``velopark-live``)."""
    text = (resources.files("ridebuy.api.open_data") / "contexts" / f"{name}.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _organisation(publisher: Publisher, uris: Uris) -> dict[str, Any]:
    return {
        "@id": publisher.url or f"{uris.catalogue}#publisher",
        "@type": "BusinessEntity",
        "companyName": publisher.name,
    }


def _allowed(parking: Parking, counted: bool) -> list[dict[str, Any]]:
    """Places per bike type where the registry gives them, else the whole capacity for regular bikes. Places the
    registry does not assign to a type are for any bike: a regular bike fits them."""
    places = parking.places
    amounts = (
        [
            ("vpt:RegularBicycle", places.regular + max(parking.capacity - places.total, 0)),
            ("vpt:CargoBicycle", places.cargo),
            ("vpt:ElectricBicycle", places.ebike),
        ]
        if places is not None
        else [("vpt:RegularBicycle", parking.capacity)]
    )
    return [
        {"@type": "AllowedBicycle", "bicycleType": kind, "bicyclesAmount": amount, "countingSystem": counted}
        for kind, amount in amounts
        if amount > 0
    ]


def _iso_duration(hours: float) -> str:
    minutes = round(hours * 60)
    return f"PT{minutes // 60}H" if minutes % 60 == 0 else f"PT{minutes}M"


def _section(parking: Parking, uris: Uris, counted: bool) -> dict[str, Any]:
    section: dict[str, Any] = {
        "@id": uris.section(parking.id),
        "@type": "BicycleLocker" if parking.secure is SecureKind.LOCKER else "PublicBicycleParking",
        "publicAccess": True,
        "covered": parking.covered,
        "totalCapacity": parking.capacity,
        "liveCapacity": uris.velopark_live(parking.id),
        "allows": _allowed(parking, counted),
        "geo": [{"@type": "GeoCoordinates", "latitude": parking.lat, "longitude": parking.lon}],
    }
    if parking.opening_hours is not None:
        # OpenStreetMap syntax is richer than schema.org's week table: kept as text, and as a table when it is
        # the one common case that maps exactly.
        section["openingHoursExtraInformation"] = parking.opening_hours
        if parking.opening_hours.strip() == "24/7":
            section["openingHoursSpecification"] = [
                {
                    "@type": "OpeningHoursSpecification",
                    "dayOfWeek": f"schema:{day}",
                    "opens": "00:00:00",
                    "closes": "23:59:59",
                }
                for day in _ALL_WEEK
            ]
    if parking.max_stay_h is not None:
        section["maximumParkingDuration"] = _iso_duration(parking.max_stay_h)
    if parking.price is not None:
        free = parking.price.strip().lower() == "free"
        price: dict[str, Any] = {"@type": "PriceSpecification", "freeOfCharge": free}
        if not free:
            price["description"] = parking.price
        section["priceSpecification"] = [price]
    features = []
    if parking.charging_points > 0:
        features.append(
            {"@type": "vpt:ChargingPoint", "value": True, "description": f"{parking.charging_points} charging points"}
        )
    if parking.secure is SecureKind.GUARDED:
        features.append({"@type": "vpt:PersonnelSupervision", "value": True})
    if features:
        section["amenityFeature"] = features
    return section


def parking_document(parking: Parking, publisher: Publisher, uris: Uris, counted: bool) -> dict[str, Any]:
    """The static description of one parking. ``counted``: whether sensors count its bikes (a live figure)."""
    organisation = _organisation(publisher, uris)
    document: dict[str, Any] = {
        "@context": context("velopark"),
        "@id": uris.parking(parking.id),
        "@type": "BicycleParkingStation",
        "identifier": parking.id,
        "name": [{"@value": parking.name, "@language": publisher.language}],
        "ownedBy": organisation,
        "operatedBy": organisation,
        "temporarilyClosed": parking.closed,
        "rights": publisher.licence,
        "@graph": [_section(parking, uris, counted)],
    }
    if parking.address is not None:
        document["address"] = {"@type": "PostalAddress", "streetAddress": parking.address}
    if parking.photo_url is not None:
        document["photos"] = [{"@type": "Photograph", "image": parking.photo_url}]
    return document


def live_document(parking: Parking, live: LiveFigures, uris: Uris, as_of_ns: int) -> dict[str, Any]:
    """The live capacity of a parking's section. ``freePlaces`` is left out while nothing is known (a reader
    must not take silence for free places); ``date`` is when the figure was measured, else ``as_of_ns``."""
    document: dict[str, Any] = {
        "@context": context("velopark-live"),
        "@id": uris.velopark_live(parking.id),
        "@type": "RealTimeCapacity",
        "totalPlaces": parking.capacity,
        "date": rfc3339(live.last_updated_ns if live.last_updated_ns is not None else as_of_ns),
    }
    if live.free is not None:
        document["freePlaces"] = live.free
    return document


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
