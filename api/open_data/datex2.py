"""DATEX II v3 Parking (CEN/TS 16157-6) as XML: the ParkingTablePublication (what each parking is) and the
ParkingStatusPublication (how full it is now), both in a ``d2:payload`` valid against the v3.7 schemas.

Each parking is a ``prk:Place`` for bicycles with its supply (``spaceView``); its status is a ``prk:PlaceStatus``
that refers to the place by id and version. A parking whose figures are unknown has no ``occupancy`` and the
status ``unknown``: no number is made up.
"""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from ridebuy.api.open_data.figures import ALMOST_FULL_SHARE, LiveFigures
from ridebuy.api.open_data.publication import Publisher, parking_version, rfc3339
from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.registry import Parking

MEDIA_TYPE = "application/xml"

NS = {
    "d2": "http://datex2.eu/schema/3/d2Payload",
    "com": "http://datex2.eu/schema/3/common",
    "fac": "http://datex2.eu/schema/3/facilities",
    "loc": "http://datex2.eu/schema/3/locationReferencing",
    "prk": "http://datex2.eu/schema/3/parking",
    "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}
for _prefix, _uri in NS.items():
    ET.register_namespace(_prefix, _uri)

TABLE_ID = "ridebuy-bicycle-parkings"
_XSI_TYPE = f"{{{NS['xsi']}}}type"


def _q(name: str) -> str:
    prefix, local = name.split(":")
    return f"{{{NS[prefix]}}}{local}"


def _add(parent: ET.Element, name: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, _q(name), {_q(k) if ":" in k else k: v for k, v in attributes.items()})
    if text is not None:
        element.text = text
    return element


def _typed(parent: ET.Element, name: str, xsi_type: str, **attributes: str) -> ET.Element:
    element = _add(parent, name, **attributes)
    element.set(_XSI_TYPE, xsi_type)
    return element


def _multilingual(parent: ET.Element, name: str, text: str, language: str) -> None:
    values = _add(_add(parent, name), "com:values")
    _add(values, "com:value", text, lang=language)


def _payload(publication: str, publisher: Publisher, published_ns: int) -> ET.Element:
    root = ET.Element(_q("d2:payload"), {"lang": publisher.language, "modelBaseVersion": "3"})
    root.set(_XSI_TYPE, publication)
    _add(root, "com:publicationTime", rfc3339(published_ns))
    creator = _add(root, "com:publicationCreator")
    _add(creator, "com:country", publisher.country)
    _add(creator, "com:nationalIdentifier", publisher.name)
    return root


def table_version(parkings: Iterable[Parking]) -> str:
    """Changes when any parking's entry does (a reader re-reads the table then)."""
    joined = ",".join(f"{p.id}:{parking_version(p)}" for p in parkings)
    return hashlib.blake2b(joined.encode(), digest_size=6).hexdigest()


def _serialise(root: ET.Element) -> bytes:
    content: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return content


def parking_table(parkings: list[Parking], publisher: Publisher, published_ns: int) -> bytes:
    """The static ParkingTablePublication: one ``prk:Place`` per parking."""
    root = _payload("prk:ParkingTablePublication", publisher, published_ns)
    table = _add(root, "prk:parkingTable", id=TABLE_ID, version=table_version(parkings))
    _multilingual(table, "prk:name", f"{publisher.name}: bicycle parkings", publisher.language)
    _add(table, "prk:versionTime", rfc3339(published_ns))
    for parking in parkings:
        place = _typed(
            table, "prk:hierarchyElementGeneral", "prk:Place", id=parking.id, version=parking_version(parking)
        )
        _multilingual(place, "fac:name", parking.name, publisher.language)
        if parking.address is not None:
            _multilingual(place, "fac:description", parking.address, publisher.language)
        if parking.photo_url is not None:
            _add(_add(place, "fac:photoUrl"), "com:urlLinkAddress", parking.photo_url)
        location = _typed(place, "fac:locationReference", "prk:PointLocationForParking")
        coordinates = _add(_add(location, "loc:pointByCoordinates"), "loc:pointCoordinates")
        _add(coordinates, "loc:latitude", repr(parking.lat))
        _add(coordinates, "loc:longitude", repr(parking.lon))
        vehicles = _add(place, "fac:applicableForVehicles")
        _add(vehicles, "com:vehicleType", "bicycle")
        _add(place, "prk:layer", "0")
        _add(place, "prk:type", "place")
        supply = _add(place, "prk:supply")
        _add(supply, "prk:quantity", str(parking.capacity))
        _add(supply, "prk:viewType", "spaceView")
        _add(place, "prk:layout", "openSpace")
    return _serialise(root)


def place_status(figures: LiveFigures) -> str:
    """DATEX II ``ParkingPlaceStatusEnum`` for the figures: full / almostFull / spacesAvailable only when they
    are known; unknown otherwise (a closed parking says so in its opening status instead)."""
    if figures.free is None:
        return "unknown"
    if figures.free > 0:
        watched = figures.free + (figures.occupied or 0)
        return "almostFull" if figures.free <= watched * ALMOST_FULL_SHARE else "spacesAvailable"
    # None free among the watched places: full only if every place is watched.
    return "full" if figures.status is ParkingStatus.OK else "unknown"


def opening_status(open_now: bool | None) -> str | None:
    return None if open_now is None else ("open" if open_now else "closed")


def parking_status(
    parkings: list[Parking],
    figures: Mapping[str, LiveFigures],
    open_now: Mapping[str, bool | None],
    publisher: Publisher,
    published_ns: int,
) -> bytes:
    """The dynamic ParkingStatusPublication: per place the vacant and occupied spaces, occupancy, status."""
    root = _payload("prk:ParkingStatusPublication", publisher, published_ns)
    _add(
        root, "prk:parkingTableReference", targetClass="prk:ParkingTable", id=TABLE_ID, version=table_version(parkings)
    )
    for parking in parkings:
        live = figures[parking.id]
        status = _typed(root, "prk:parkingStatusInformation", "prk:PlaceStatus")
        _add(status, "fac:reference", targetClass="fac:FacilityObject", id=parking.id, version=parking_version(parking))
        if live.last_updated_ns is not None:
            _add(status, "fac:lastUpdated", rfc3339(live.last_updated_ns))
        opening = "closed" if parking.closed else opening_status(open_now.get(parking.id))
        if opening is not None:
            _add(status, "fac:openingStatus", opening)
        if live.unknown and live.free is not None and not parking.closed:
            _multilingual(
                status,
                "fac:statusDescription",
                f"{live.unknown} of {live.capacity} places unknown (sensors silent): not counted as free",
                "en",
            )
        if live.free is not None:
            occupancy = _add(status, "prk:occupancy")
            _add(occupancy, "prk:numberOfVacantSpaces", str(live.free))  # 0 when closed
            if not parking.closed:
                _add(occupancy, "prk:numberOfOccupiedSpaces", str(live.occupied))
            if live.occupancy_pct is not None:
                _add(occupancy, "prk:occupancy", repr(live.occupancy_pct))
        if not parking.closed:
            _add(status, "prk:status", place_status(live))
    return _serialise(root)
