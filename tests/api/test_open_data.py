"""Open-data feeds in-process on a small fake store, each checked against its official schema and against
/v1/parkings at the same moment (the real stack is in test_open_data_path.py)."""

from __future__ import annotations

import contextlib
import copy
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.open_data import velopark
from ridebuy.api.open_data.publication import Publisher, Uris
from ridebuy.api.settings import ApiSettings
from ridebuy.devices.registry import Registry, parse_registry
from ridebuy.store.base import CountBucket, DeviceSnapshot, StoreUnavailable
from tests.api.fakes import Clock, FakeStore, InProcessApi
from tests.api.open_data_schemas import (
    expand,
    to_nquads,
    validate_datex2,
    validate_parking_light,
    validate_table,
)
from tests.devices.helpers import SMALL

S = 1_000_000_000
NOW = 1_777_880_000 * S  # 2026-05-04T07:33:20Z, a Monday: 09:33 in Hannut
DAY = 86_400 * S
MAY_3 = NOW - NOW % DAY - DAY  # 2026-05-03T00:00:00Z
QUARTER = 900 * S
BASE = "https://velo.hannut.be"

NS = {
    "d2": "http://datex2.eu/schema/3/d2Payload",
    "fac": "http://datex2.eu/schema/3/facilities",
    "prk": "http://datex2.eu/schema/3/parking",
}
VP = "http://velopark.ilabt.imec.be/openvelopark/vocabulary#"
VPT = "http://velopark.ilabt.imec.be/openvelopark/terms#"
MV = "http://schema.mobivoc.org/"
SCHEMA = "http://schema.org/"


def registry() -> Registry:
    """The small test registry plus two parkings that use every optional attribute."""
    data: dict[str, Any] = copy.deepcopy(SMALL)
    data["parkings"] += [
        {
            "id": "abri-gare",
            "name": "Abri vélos de la gare",
            "lat": 50.6741,
            "lon": 5.0812,
            "capacity": 10,
            "covered": True,
            "address": "Place de la Gare 1, 4280 Hannut",
            "opening_hours": "24/7",
            "secure": "locker",
            "places": {"regular": 6, "cargo": 2, "ebike": 2},
            "charging_points": 2,
            "price": "free",
            "max_stay_h": 24,
            "photo_url": "https://velo.hannut.be/photos/abri-gare.jpg",
        },
        {
            "id": "marche",
            "name": "Place du marché",
            "lat": 50.6722,
            "lon": 5.0753,
            "capacity": 6,
            "opening_hours": "Mo-Sa 07:00-20:00",
            "secure": "guarded",
            "price": "1 EUR/day",
            "max_stay_h": 1.5,
        },
    ]
    data["devices"] += [{"id": "abri-rack", "kind": "rack", "parking": "abri-gare", "heartbeat_s": 60}]
    return parse_registry(data, "open-data.yaml")


@dataclass
class RangedStore(FakeStore):
    """Counts per counter, returned for the buckets of the range asked for (as a backend does)."""

    by_counter: dict[str, list[CountBucket]] | None = None

    def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None = None
    ) -> list[CountBucket]:
        super().counter_counts(counter_id, start_ns, end_ns, every_s, direction)
        if every_s == 86_400:  # the day scan of channels.csv: one bucket per day with data
            days: dict[tuple[int, str, str], int] = {}
            for b in (self.by_counter or {}).get(counter_id, []):
                if b.count is not None and start_ns <= b.start_ns < end_ns:
                    key = (b.start_ns - b.start_ns % DAY, b.direction, b.traffic_class)
                    days[key] = days.get(key, 0) + b.count
            return [CountBucket(k[0], k[1], k[2], v) for k, v in days.items()]
        return [
            b
            for b in (self.by_counter or {}).get(counter_id, [])
            if start_ns <= b.start_ns < end_ns and (direction is None or b.direction == direction)
        ]


@dataclass
class Api(InProcessApi):
    store: RangedStore


def make_api(tmp_path: Path, store: RangedStore, **settings: Any) -> Iterator[Api]:
    clock = Clock(NOW)
    configured = ApiSettings(registry=tmp_path / "unused.yaml", api_expire_interval_s=3600, **settings)
    app = create_app(configured, store=store, registry=registry(), clock_ns=clock, listen=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, clock=clock, store=store)


@pytest.fixture
def store() -> RangedStore:
    counts = [
        CountBucket(MAY_3 + 4 * QUARTER, "in", "bike", 3),
        CountBucket(MAY_3 + 4 * QUARTER, "in", "cargo", 1),
        CountBucket(MAY_3 + 5 * QUARTER, "in", "bike", 0),  # counted, nobody passed: a real zero
        CountBucket(MAY_3 + 6 * QUARTER, "in", "bike", None),  # the store's gap
        CountBucket(MAY_3 + 4 * QUARTER, "out", "pedestrian", 7),  # not a bike
    ]
    return RangedStore(
        snapshots=[
            DeviceSnapshot("gp-rack-1", occupied=4, occupied_ns=NOW - 10 * S, last_seen_ns=NOW - 10 * S),
            DeviceSnapshot("abri-rack", occupied=10, occupied_ns=NOW - 20 * S, last_seen_ns=NOW - 20 * S),
        ],
        by_counter={"centre-north": counts},
    )


@pytest.fixture
def api(tmp_path: Path, store: RangedStore) -> Iterator[Api]:
    yield from make_api(tmp_path, store, public_base_url=BASE, open_data_publisher="Commune de Hannut")


def free_in_api(api: Api) -> dict[str, tuple[int, str]]:
    return {p["id"]: (p["free"], p["status"]) for p in api.client.get("/v1/parkings").json()["parkings"]}


def nquads(api: Api, path: str) -> str:
    response = api.client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/ld+json"
    return to_nquads(response.json())


# Velopark ------------------------------------------------------------------------------------------------------
def test_velopark_document_expands_to_the_velopark_terms(api: Api) -> None:
    rdf = nquads(api, "/open-data/velopark/abri-gare.jsonld")
    parking, section = f"<{BASE}/v1/parkings/abri-gare>", f"<{BASE}/v1/parkings/abri-gare#section>"
    graph = parking  # the sections live in the parking's named graph, as in Velopark's own documents
    expected = [
        f"{parking} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{MV}BicycleParkingStation> .",
        f'{parking} <{SCHEMA}name> "Abri vélos de la gare"@fr .',
        f'{parking} <{VP}temporarilyClosed> "false"^^<http://www.w3.org/2001/XMLSchema#boolean> .',
        f"{section} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{VPT}BicycleLocker> {graph} .",
        f'{section} <{VP}covered> "true"^^<http://www.w3.org/2001/XMLSchema#boolean> {graph} .',
        f'{section} <{MV}totalCapacity> "10"^^<http://www.w3.org/2001/XMLSchema#integer> {graph} .',
        f"{section} <{MV}capacity> <{BASE}/open-data/velopark/abri-gare/live.jsonld> {graph} .",
        f'{section} <{VP}maximumParkingDuration> "PT24H"^^<http://www.w3.org/2001/XMLSchema#duration> {graph} .',
    ]
    for triple in expected:
        assert triple in rdf, triple
    # Places per bike type, each its own vp:AllowedBicycle.
    for kind, amount in (("RegularBicycle", 6), ("CargoBicycle", 2), ("ElectricBicycle", 2)):
        node = next(line.split()[0] for line in rdf.splitlines() if f"<{VPT}{kind}>" in line)
        assert f'{node} <{VP}bicyclesAmount> "{amount}"^^<http://www.w3.org/2001/XMLSchema#integer>' in rdf
    assert f'<{SCHEMA}latitude> "5.06741E1"^^<http://www.w3.org/2001/XMLSchema#double>' in rdf
    assert f'<{MV}freeOfCharge> "true"^^<http://www.w3.org/2001/XMLSchema#boolean>' in rdf
    assert rdf.count(f"<{SCHEMA}dayOfWeek>") == 7  # 24/7 as a week of opening hours
    assert f"<{VPT}ChargingPoint>" in rdf


def test_velopark_document_of_a_plain_parking_says_only_what_is_known(api: Api) -> None:
    document = api.client.get("/open-data/velopark/gare.jsonld").json()
    section = document["@graph"][0]
    assert section["allows"] == [
        {"@type": "AllowedBicycle", "bicycleType": "vpt:RegularBicycle", "bicyclesAmount": 4, "countingSystem": True}
    ]
    for absent in ("openingHoursSpecification", "priceSpecification", "maximumParkingDuration"):
        assert absent not in section
    assert "address" not in document and "photos" not in document
    assert expand(document)  # a JSON-LD processor reads it without fetching anything


def test_velopark_live_document_holds_the_api_free_count(api: Api) -> None:
    free = free_in_api(api)
    rdf = nquads(api, "/open-data/velopark/grand-place/live.jsonld")
    live = f"<{BASE}/open-data/velopark/grand-place/live.jsonld>"
    assert f"{live} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{MV}RealTimeCapacity> ." in rdf
    assert f'{live} <{MV}currentValue> "{free["grand-place"][0]}"^^<http://www.w3.org/2001/XMLSchema#integer> .' in rdf
    assert f'{live} <{MV}totalCapacity> "12"^^<http://www.w3.org/2001/XMLSchema#integer> .' in rdf
    assert f'{live} <http://purl.org/dc/terms/date> "2026-05-04T07:33:10Z"' in rdf

    # Nothing known of the station's rack: no free places claimed, only the total and the time of the state.
    assert free["gare"] == (0, "unknown")
    unknown = api.client.get("/open-data/velopark/gare/live.jsonld").json()
    assert "freePlaces" not in unknown and unknown["totalPlaces"] == 4
    assert f"<{MV}currentValue>" not in to_nquads(unknown)

    # A message about another parking changes nothing a reader of this one could see: same document, same ETag.
    before = api.client.get("/open-data/velopark/gare/live.jsonld")
    api.clock.now_ns += 5 * S
    api.send("gp-rack-1", "status", {"battery_v": 3.6})
    after = api.client.get("/open-data/velopark/gare/live.jsonld", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 304


def test_live_documents_carry_validators_and_cors_and_change_with_the_live_state(api: Api) -> None:
    path = "/open-data/velopark/gare/live.jsonld"
    first = api.client.get(path, headers={"Origin": "https://maps.example.org"})
    assert first.headers["access-control-allow-origin"] == "*"
    assert first.headers["last-modified"] == "Mon, 04 May 2026 07:33:20 GMT"
    etag = first.headers["etag"]
    assert api.client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert api.client.get(path, headers={"If-Modified-Since": first.headers["last-modified"]}).status_code == 304

    api.clock.now_ns += 60 * S
    api.send("gare-rack", "occupancy", {"occupied": 1})
    changed = api.client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag
    assert changed.json()["freePlaces"] == 3 == free_in_api(api)["gare"][0]
    assert changed.headers["last-modified"] == "Mon, 04 May 2026 07:34:20 GMT"


def test_live_documents_are_built_once_per_change_of_the_live_state(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    original = velopark.live_document

    def counting(*args: Any, **kwargs: Any) -> dict[str, Any]:
        built.append(args[0].id)
        return original(*args, **kwargs)

    monkeypatch.setattr(velopark, "live_document", counting)
    for _ in range(3):
        api.client.get("/open-data/velopark/grand-place/live.jsonld")
    assert built == ["grand-place"]
    api.send("gp-rack-1", "occupancy", {"occupied": 5})
    api.client.get("/open-data/velopark/grand-place/live.jsonld")
    assert built == ["grand-place", "grand-place"]


def test_unknown_parking_is_404(api: Api) -> None:
    for path in ("/open-data/velopark/nowhere.jsonld", "/open-data/velopark/nowhere/live.jsonld"):
        response = api.client.get(path)
        assert response.status_code == 404
        assert response.json()["detail"] == "no parking with id 'nowhere'"


# DATEX II ------------------------------------------------------------------------------------------------------
def parse(xml: bytes) -> ET.Element:
    return ET.fromstring(xml)  # noqa: S314 - the API's own document, in a test


def place_status(xml: bytes) -> dict[str, ET.Element]:
    root = parse(xml)
    return {
        status.find("fac:reference", NS).get("id"): status  # type: ignore[union-attr,misc]
        for status in root.findall("prk:parkingStatusInformation", NS)
    }


def text(element: ET.Element, path: str) -> str | None:
    found = element.find(path, NS)
    return None if found is None else found.text


def test_datex2_table_is_valid_and_lists_every_parking_for_bicycles(api: Api) -> None:
    response = api.client.get("/open-data/datex2/parking-table.xml")
    assert response.headers["content-type"] == "application/xml"
    validate_datex2(response.content)
    root = parse(response.content)
    places = root.findall("prk:parkingTable/prk:hierarchyElementGeneral", NS)
    assert [p.get("id") for p in places] == ["grand-place", "gare", "shut", "abri-gare", "marche"]
    abri = places[3]
    assert text(abri, "prk:supply/prk:quantity") == "10"
    assert text(abri, "fac:applicableForVehicles/{http://datex2.eu/schema/3/common}vehicleType") == "bicycle"
    assert text(abri, ".//{http://datex2.eu/schema/3/locationReferencing}latitude") == "50.6741"
    # The static table keeps its ETag while only the live state changes.
    api.send("gp-rack-1", "occupancy", {"occupied": 2})
    assert api.client.get("/open-data/datex2/parking-table.xml").headers["etag"] == response.headers["etag"]


def test_datex2_status_is_valid_and_its_vacant_spaces_are_the_api_free(api: Api) -> None:
    api.send("gare-rack", "occupancy", {"occupied": 4})  # full
    response = api.client.get("/open-data/datex2/parking-status.xml")
    validate_datex2(response.content)
    statuses, free = place_status(response.content), free_in_api(api)

    for parking_id, (api_free, api_status) in free.items():
        vacant = text(statuses[parking_id], "prk:occupancy/prk:numberOfVacantSpaces")
        if api_status == "unknown":
            assert vacant is None  # unknown stays unknown: no figure at all
            assert text(statuses[parking_id], "prk:status") == "unknown"
        else:
            assert vacant == str(api_free), parking_id
    grand_place = statuses["grand-place"]
    assert text(grand_place, "prk:occupancy/prk:numberOfOccupiedSpaces") == "4"
    assert text(grand_place, "prk:occupancy/prk:occupancy") == "40.0"  # of the 10 watched places
    assert "2 of 12 places unknown" in (text(grand_place, ".//{*}value") or "")
    assert text(grand_place, "prk:status") == "spacesAvailable"
    assert text(statuses["gare"], "prk:status") == "full"
    assert text(statuses["abri-gare"], "prk:status") == "full"
    assert text(statuses["shut"], "fac:openingStatus") == "closed"
    assert text(statuses["abri-gare"], "fac:openingStatus") == "open"  # 24/7
    assert text(statuses["marche"], "fac:openingStatus") == "open"  # Monday 09:33 in Brussels time
    assert text(statuses["grand-place"], "fac:openingStatus") == "open"  # no hours: always open, as /v1/parkings
    opened = {p["id"]: p["open_now"] for p in api.client.get("/v1/parkings").json()["parkings"]}
    for parking_id, status in statuses.items():
        expected = "closed" if parking_id == "shut" else {True: "open", False: "closed", None: None}[opened[parking_id]]
        assert text(status, "fac:openingStatus") == expected, parking_id


def test_datex2_status_follows_opening_hours_in_local_time(api: Api) -> None:
    api.clock.now_ns = NOW + 11 * 3600 * S  # 18:33 UTC = 20:33 in Hannut: the market square is closed
    api.live.expire(api.clock())
    statuses = place_status(api.client.get("/open-data/datex2/parking-status.xml").content)
    assert text(statuses["marche"], "fac:openingStatus") == "closed"


def test_datex2_status_refers_to_the_table_version(api: Api) -> None:
    table = parse(api.client.get("/open-data/datex2/parking-table.xml").content)
    status = parse(api.client.get("/open-data/datex2/parking-status.xml").content)
    versions = {p.get("id"): p.get("version") for p in table.iter(f"{{{NS['prk']}}}hierarchyElementGeneral")}
    reference = status.find("prk:parkingTableReference", NS)
    assert reference is not None
    assert reference.get("version") == table.find("prk:parkingTable", NS).get("version")  # type: ignore[union-attr]
    for parking_id, element in place_status(ET.tostring(status)).items():
        assert element.find("fac:reference", NS).get("version") == versions[parking_id]  # type: ignore[union-attr]


def test_parking_light_is_valid_and_unknown_stays_unknown(api: Api) -> None:
    response = api.client.get("/open-data/datex2/parking-light.json")
    assert response.headers["access-control-allow-origin"] == "*"
    document = response.json()
    validate_parking_light(document)
    sites = {s["_id"]: s for s in document["parkingPublicationLight"]["parkingSite"]}
    free = free_in_api(api)
    assert sites["grand-place"]["availableSpaces"] == free["grand-place"][0] == 6
    assert "availableSpaces" not in sites["gare"]  # nothing known: absent, not 0
    assert sites["abri-gare"]["freeParking"] is True and sites["abri-gare"]["isOpenNow"] is True
    assert sites["marche"]["tariffDescription"] == ["1 EUR/day"]
    assert sites["marche"]["maximumParkingDuration"] == 5400
    assert sites["shut"]["temporaryClosed"] is True and sites["shut"]["availableSpaces"] == 0
    assert sites["abri-gare"]["urlLinkAddress"] == f"{BASE}/v1/parkings/abri-gare"


# Counting tables -----------------------------------------------------------------------------------------------
def test_sites_and_channels_are_valid_tables(api: Api) -> None:
    sites = api.client.get("/open-data/counters/sites.csv")
    assert sites.headers["content-type"] == "text/csv; charset=utf-8"
    validate_table(sites.text, "site")
    assert sites.text.splitlines()[1] == (f"centre-north,,Centre north,,5.071,50.676,{BASE}/v1/counters/centre-north,")
    channels = api.client.get("/open-data/counters/channels.csv")
    validate_table(channels.text, "channel")
    rows = [line.split(",") for line in channels.text.splitlines()[1:]]
    assert [(r[0], r[4], r[10], r[14], r[17]) for r in rows] == [
        ("centre-north-in", "BIKE", "IN", "2026-05-03T00:00:00Z", "900"),  # the first day with bikes counted
        ("centre-north-out", "BIKE", "OUT", "2025-05-03T00:00:00Z", "900"),  # none in the window: its start
    ]


def test_measures_are_valid_with_gaps_empty_and_zeros_zero(api: Api) -> None:
    response = api.client.get("/open-data/counters/measures.csv", params={"from": "2026-05-03", "to": "2026-05-03"})
    assert response.status_code == 200, response.text
    assert response.headers["content-disposition"] == 'attachment; filename="measures-2026-05-03-2026-05-03.csv"'
    validate_table(response.text, "measure")
    rows = [line.split(",") for line in response.text.splitlines()[1:]]
    assert len(rows) == 2 * 96  # two channels, a day of quarter hours
    inbound = {r[2]: r[4] for r in rows if r[0] == "centre-north-in"}
    assert inbound["2026-05-03T01:00:00Z"] == "4"  # bike and cargo bike together
    assert inbound["2026-05-03T01:15:00Z"] == "0"  # a real zero
    assert inbound["2026-05-03T01:30:00Z"] == ""  # no data
    assert inbound["2026-05-03T00:00:00Z"] == ""
    assert {r[4] for r in rows if r[0] == "centre-north-out"} == {""}  # pedestrians are not bikes
    assert rows[0][3] == "2026-05-03T00:15:00Z"  # end_datetime: one time step later


def test_measures_stream_a_long_range_in_chunks(api: Api) -> None:
    with api.client.stream(
        "GET", "/open-data/counters/measures.csv", params={"from": "2026-03-01", "to": "2026-04-30"}
    ) as response:
        assert response.status_code == 200
        lines = sum(chunk.count("\n") for chunk in response.iter_text())
    assert lines == 1 + 2 * 61 * 96
    queries = [c for c in api.store.calls if c[0] == "counter_counts"]
    assert len(queries) == 2 * 3  # 61 days of quarter hours: three chunks per channel
    assert all(c[4] == 900 for c in queries)


def test_measures_stop_at_the_current_quarter_hour(api: Api) -> None:
    rows = api.client.get("/open-data/counters/measures.csv", params={"from": "2026-05-04", "to": "2026-05-04"})
    starts = [line.split(",")[2] for line in rows.text.splitlines()[1:]]
    assert starts[-1] == "2026-05-04T07:30:00Z"  # the quarter hour under way at 07:33:20, none in the future


@pytest.mark.parametrize(
    ("params", "parameter", "says"),
    [
        ({"from": "2026-05-04", "to": "2026-05-03"}, "to", "the same day as 'from' or later"),
        ({"from": "2025-01-01", "to": "2026-05-03"}, "to", "more than 366: ask for several shorter ranges"),
        ({"from": "4 May", "to": "2026-05-03"}, "from", "date"),
        ({"to": "2026-05-03"}, "from", "required"),
    ],
)
def test_measures_refuse_a_bad_or_unbounded_range(api: Api, params: dict[str, str], parameter: str, says: str) -> None:
    response = api.client.get("/open-data/counters/measures.csv", params=params)
    assert response.status_code == 422
    error = response.json()
    assert error["errors"][0]["parameter"] == parameter
    assert says in error["detail"].lower() or says in error["errors"][0]["message"].lower()
    assert not [c for c in api.store.calls if c[0] == "counter_counts"]


def test_measures_say_when_the_store_is_away(api: Api) -> None:
    api.store.down = True
    response = api.client.get("/open-data/counters/measures.csv", params={"from": "2026-05-03", "to": "2026-05-03"})
    assert response.status_code == 503
    assert "unavailable" in response.json()["detail"]


# Catalogue -----------------------------------------------------------------------------------------------------
def test_catalogue_is_dcat_with_the_configured_licence_and_publisher(tmp_path: Path, store: RangedStore) -> None:
    licence = "https://creativecommons.org/licenses/by/4.0/"
    for api in make_api(
        tmp_path,
        store,
        public_base_url=BASE,
        open_data_licence=licence,
        open_data_publisher="Commune de Hannut",
        open_data_publisher_url="https://www.hannut.be",
    ):
        response = api.client.get("/open-data/catalogue.jsonld")
        rdf = to_nquads(response.json())
        catalogue = f"<{BASE}/open-data/>"
        assert (
            f"{catalogue} <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <http://www.w3.org/ns/dcat#Catalog> ."
            in rdf
        )
        assert f"{catalogue} <http://purl.org/dc/terms/license> <{licence}> ." in rdf
        assert f"{catalogue} <http://purl.org/dc/terms/publisher> <https://www.hannut.be> ." in rdf
        assert '<https://www.hannut.be> <http://xmlns.com/foaf/0.1/name> "Commune de Hannut" .' in rdf
        frequency = "<http://purl.org/dc/terms/accrualPeriodicity>"
        eu = "http://publications.europa.eu/resource/authority/frequency/"
        assert f"<{BASE}/open-data/#datex2-status> {frequency} <{eu}UPDATE_CONT> ." in rdf
        assert f"<{BASE}/open-data/#datex2-table> {frequency} <{eu}IRREG> ." in rdf
        for path in ("datex2/parking-status.xml", "velopark/abri-gare/live.jsonld", "counters/measures.csv"):
            distribution = f"<{BASE}/open-data/{path}>"
            assert f"{distribution} <http://purl.org/dc/terms/license> <{licence}> ." in rdf
        title = "<http://purl.org/dc/terms/title>"
        assert f'<{BASE}/open-data/#datex2-light> {title} "Parkings vélos et places libres' in rdf  # French
        assert f'<{BASE}/open-data/#datex2-light> {title} "Bicycle parkings and free places' in rdf  # and English
        # The same catalogue when a client asks /open-data/ for JSON-LD.
        negotiated = api.client.get("/open-data/", headers={"Accept": "application/ld+json"})
        assert negotiated.json() == response.json()


def test_open_data_page_links_every_feed(api: Api) -> None:
    page = api.client.get("/open-data/")
    assert page.headers["content-type"].startswith("text/html")
    for path in (
        "datex2/parking-table.xml",
        "datex2/parking-light.json",
        "velopark/marche.jsonld",
        "counters/channels.csv",
        "catalogue.jsonld",
    ):
        assert f'href="{BASE}/open-data/{path}"' in page.text
    assert "Commune de Hannut" in page.text and 'rel="license"' in page.text
    assert '<html lang="fr">' in page.text and "Parkings vélos (DATEX II v3 ParkingTablePublication)" in page.text


def test_identifiers_follow_the_request_when_no_public_url_is_set(tmp_path: Path, store: RangedStore) -> None:
    for api in make_api(tmp_path, store):
        document = api.client.get("/open-data/velopark/gare.jsonld").json()
        assert document["@id"] == "http://testserver/v1/parkings/gare"
        assert document["@graph"][0]["liveCapacity"] == "http://testserver/open-data/velopark/gare/live.jsonld"


def test_public_base_url_is_checked() -> None:
    from ridebuy.shared.settings import SettingsError, load_settings

    with pytest.raises(SettingsError, match="RIDEBUY_PUBLIC_BASE_URL"):
        load_settings(ApiSettings, public_base_url="velo.hannut.be")
    assert (
        load_settings(ApiSettings, public_base_url="https://velo.hannut.be/").public_base_url
        == "https://velo.hannut.be"
    )


def test_feeds_are_in_the_openapi_document(api: Api) -> None:
    paths = api.client.get("/openapi.json").json()["paths"]
    for path in (
        "/open-data/",
        "/open-data/velopark/{parking_id}.jsonld",
        "/open-data/velopark/{parking_id}/live.jsonld",
        "/open-data/datex2/parking-table.xml",
        "/open-data/datex2/parking-status.xml",
        "/open-data/datex2/parking-light.json",
        "/open-data/counters/sites.csv",
        "/open-data/counters/channels.csv",
        "/open-data/counters/measures.csv",
    ):
        assert path in paths, path


def test_static_documents_follow_a_registry_edit(api: Api) -> None:
    paths = ("/open-data/velopark/gare.jsonld", "/open-data/datex2/parking-table.xml", "/open-data/counters/sites.csv")
    before = {path: api.client.get(path) for path in paths}
    data = registry().model_dump(mode="json", exclude_defaults=True)
    next(p for p in data["parkings"] if p["id"] == "gare")["capacity"] = 8
    api.live.replace_registry(parse_registry(data, "edited.yaml"), api.clock())

    document = api.client.get(paths[0])
    assert document.headers["etag"] != before[paths[0]].headers["etag"]
    assert document.json()["@graph"][0]["totalCapacity"] == 8
    table = api.client.get(paths[1])
    assert table.headers["etag"] != before[paths[1]].headers["etag"]
    validate_datex2(table.content)
    gare = next(
        p for p in parse(table.content).iter(f"{{{NS['prk']}}}hierarchyElementGeneral") if p.get("id") == "gare"
    )
    assert text(gare, "prk:supply/prk:quantity") == "8"
    assert api.client.get(paths[2]).headers["etag"] == before[paths[2]].headers["etag"]  # same counters, same table


def test_status_publication_is_built_once_per_change_off_the_event_loop(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    from ridebuy.api.open_data import datex2

    threads: list[str] = []
    original = datex2.parking_status

    def recording(*args: Any) -> bytes:
        threads.append(threading.current_thread().name)
        return original(*args)

    monkeypatch.setattr(datex2, "parking_status", recording)
    first = api.client.get("/open-data/datex2/parking-status.xml")
    again = api.client.get("/open-data/datex2/parking-status.xml", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and len(threads) == 1
    assert threads[0] != "MainThread" and "AnyIO worker thread" in threads[0]

    api.send("gare-rack", "occupancy", {"occupied": 2})
    changed = api.client.get("/open-data/datex2/parking-status.xml", headers={"If-None-Match": first.headers["etag"]})
    assert changed.status_code == 200 and len(threads) == 2
    statuses = place_status(changed.content)
    assert text(statuses["gare"], "prk:occupancy/prk:numberOfVacantSpaces") == "2" == str(free_in_api(api)["gare"][0])


def test_measures_cut_short_by_the_store_are_logged_not_completed(
    api: Api, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    original = api.store.counter_counts

    def failing_later(*args: Any, **kwargs: Any) -> list[CountBucket]:
        calls.append(1)
        if len(calls) > 1:
            raise StoreUnavailable("connection refused (fake)")
        return original(*args, **kwargs)

    monkeypatch.setattr(api.store, "counter_counts", failing_later)
    received = ""
    with (
        contextlib.suppress(Exception),
        api.client.stream(
            "GET", "/open-data/counters/measures.csv", params={"from": "2026-05-01", "to": "2026-05-02"}
        ) as response,
    ):
        assert response.status_code == 200  # the first query succeeded: the answer had started
        for chunk in response.iter_text():
            received += chunk
    lines = received.splitlines()
    assert len(lines) < 1 + 2 * 2 * 96  # never a complete-looking table
    assert "measures.csv cut short after 1 of 2 store queries" in caplog.text


def test_open_data_page_speaks_english_when_the_feeds_do(tmp_path: Path, store: RangedStore) -> None:
    for api in make_api(tmp_path, store, open_data_language="en"):
        page = api.client.get("/open-data/").text
        assert '<html lang="en">' in page and "<h1>Open data: bicycle parkings and counts</h1>" in page
        # The feeds' names follow the language too.
        assert api.client.get("/open-data/velopark/gare.jsonld").json()["name"][0]["@language"] == "en"


def test_places_not_assigned_to_a_type_count_as_regular_in_velopark() -> None:
    parking = parse_registry(
        {"parkings": [{"id": "p", "name": "P", "lat": 50.67, "lon": 5.07, "capacity": 12, "places": {"cargo": 2}}]},
        "one.yaml",
    ).parkings[0]
    document = velopark.parking_document(
        parking, Publisher("Commune", None, "https://x.example/licence", "BE", "fr"), Uris(BASE), counted=False
    )
    amounts = {a["bicycleType"]: a["bicyclesAmount"] for a in document["@graph"][0]["allows"]}
    assert amounts == {"vpt:RegularBicycle": 10, "vpt:CargoBicycle": 2}


def test_every_feed_of_the_hannut_sample_is_valid(tmp_path: Path) -> None:
    """The sample registry uses the parking attributes (hours, places, prices, photos): all of it must stay valid."""
    from ridebuy.devices.registry import load_registry, sample_registry_path

    hannut = load_registry(sample_registry_path())
    settings = ApiSettings(registry=tmp_path / "unused.yaml", api_expire_interval_s=3600, public_base_url=BASE)
    app = create_app(settings, store=RangedStore(), registry=hannut, clock_ns=Clock(NOW), listen=False)
    with TestClient(app) as client:
        validate_datex2(client.get("/open-data/datex2/parking-table.xml").content)
        validate_datex2(client.get("/open-data/datex2/parking-status.xml").content)
        validate_parking_light(client.get("/open-data/datex2/parking-light.json").json())
        for parking in hannut.parkings:
            for path in (f"/open-data/velopark/{parking.id}.jsonld", f"/open-data/velopark/{parking.id}/live.jsonld"):
                assert to_nquads(client.get(path).json()), path
        validate_table(client.get("/open-data/counters/sites.csv").text, "site")
        validate_table(client.get("/open-data/counters/channels.csv").text, "channel")
        assert to_nquads(client.get("/open-data/catalogue.jsonld").json())
