"""DATEX II "Parking Publication Light" as JSON: the simple profile (one record per parking site with its spaces
and, when known, the spaces available now) that light clients and several National Access Points read."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ridebuy.api.open_data.figures import LiveFigures
from ridebuy.api.open_data.publication import Publisher, Uris, rfc3339
from ridebuy.devices.registry import Parking

MEDIA_TYPE = "application/json"


def _site(parking: Parking, live: LiveFigures, open_now: bool | None, uris: Uris) -> dict[str, Any]:
    site: dict[str, Any] = {
        "_id": parking.id,
        "type": {"value": "onStreet"},
        "name": parking.name,
        "urlLinkAddress": uris.parking(parking.id),
        "numberOfSpaces": parking.capacity,
        "temporaryClosed": parking.closed,
        "locationAndDimension": {
            "coordinatesForDisplay": {"latitude": parking.lat, "longitude": parking.lon},
        },
    }
    if parking.address is not None:
        site["locationAndDimension"]["locationDescriptor"] = parking.address
    if live.last_updated_ns is not None:
        site["lastUpdate"] = rfc3339(live.last_updated_ns)
    if open_now is not None:
        site["isOpenNow"] = open_now
    if parking.opening_hours is not None:
        site["openingTimesDescription"] = [parking.opening_hours]
    if parking.price is not None:
        free = parking.price.strip().lower() == "free"
        site["freeParking"] = free
        if not free:
            site["tariffDescription"] = [parking.price]
    if parking.max_stay_h is not None:
        site["maximumParkingDuration"] = round(parking.max_stay_h * 3600)
    if parking.secure.value != "none":
        site["security"] = [parking.secure.value.replace("_", " ")]
    if parking.charging_points:
        site["equipmentAndServices"] = [f"{parking.charging_points} e-bike charging points"]
    assignment: dict[str, Any] = {"typeOfAssignment": {"value": "onlyFor"}, "vehicleType": {"value": "bicycle"}}
    if live.free is not None:
        # The same figure as /v1/parkings' free; absent (not 0) while unknown.
        site["availableSpaces"] = live.free
        assignment["availableSpaces"] = live.free
    site["assignedFor"] = [assignment]
    return site


def publication(
    parkings: list[Parking],
    figures: Mapping[str, LiveFigures],
    open_now: Mapping[str, bool | None],
    publisher: Publisher,
    uris: Uris,
    published_ns: int,
) -> dict[str, Any]:
    return {
        "_modelBaseVersion": "3",
        "parkingPublicationLight": {
            "lang": publisher.language,
            "publicationTime": rfc3339(published_ns),
            "publicationCreator": {"country": publisher.country, "nationalIdentifier": publisher.name},
            "name": f"{publisher.name}: bicycle parkings",
            "parkingSite": [_site(p, figures[p.id], open_now.get(p.id), uris) for p in parkings],
        },
    }


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
