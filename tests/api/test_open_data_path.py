"""Open-data feeds on the real stack after simulated traffic: ``ridebuy simulate`` -> Mosquitto -> ``ridebuy
ingest`` -> InfluxDB, and ``ridebuy api`` folding the same stream. Every feed is valid against its official
schema, says the same as /v1/parkings and /v1/counters at the same moment, and leaves unknown unknown."""

from __future__ import annotations

import copy
import csv
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from tests.api.conftest import Stack
from tests.api.open_data_schemas import to_nquads, validate_datex2, validate_parking_light, validate_table
from tests.devices.helpers import SMALL
from tests.support.processes import Processes, RidebuyProcess
from tests.support.registries import write_registry
from tests.support.waiting import wait_until

T = TypeVar("T")
PRK = "{http://datex2.eu/schema/3/parking}"
FAC = "{http://datex2.eu/schema/3/facilities}"
BIKES = {"bike", "cargo", "ebike"}


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """The small registry plus a parking no sensor watches: its figures stay unknown whatever the traffic."""
    data: dict[str, Any] = copy.deepcopy(SMALL)
    data["parkings"].append(
        {
            "id": "abri-gare",
            "name": "Abri de la gare",
            "lat": 50.674,
            "lon": 5.081,
            "capacity": 10,
            "covered": True,
            "opening_hours": "24/7",
            "places": {"regular": 8, "cargo": 2},
        }
    )
    return write_registry(tmp_path / "registry.yaml", data)


def simulate(processes: Processes, stack: Stack, *extra: str) -> RidebuyProcess:
    return processes.start_ridebuy(
        ["simulate", "--mqtt-url", stack.mosquitto.url, "--registry", str(stack.registry), "--seed", "16", *extra]
    )


def same_moment(stack: Stack, fetch: Callable[[], T]) -> tuple[dict[str, dict[str, Any]], T]:
    """``fetch()`` bracketed by two reads of /v1/parkings with the same ETag: both saw the same live state."""

    def attempt() -> tuple[dict[str, dict[str, Any]], T] | None:
        before = stack.get("/v1/parkings")
        fetched = fetch()
        after = stack.get("/v1/parkings")
        if before.headers["etag"] != after.headers["etag"]:
            return None
        return {p["id"]: p for p in before.json()["parkings"]}, fetched

    found = wait_until(attempt, timeout_s=30, what="two identical reads of /v1/parkings around the feed")
    assert found is not None
    return found


def test_feeds_agree_with_the_api_after_simulated_traffic(stack: Stack, processes: Processes) -> None:
    stack.start_ingest()
    stack.start_api("--public-base-url", "https://velo.hannut.be", "--open-data-publisher", "Commune de Hannut")
    traffic = simulate(processes, stack, "--speed", "60", "--backfill", "0.1", "--duration", "6")
    assert traffic.process is not None and traffic.process.wait(120) == 0, traffic.log()[-3000:]
    wait_until(lambda: stack.json("/v1/parkings/gare")["status"] == "ok", what="live figures through the API")

    # DATEX II status: vacant spaces are /v1/parkings' free, unknown has no figure.
    parkings, status_xml = same_moment(stack, lambda: stack.get("/open-data/datex2/parking-status.xml").content)
    validate_datex2(status_xml)
    statuses = {
        s.find(f"{FAC}reference").get("id"): s  # type: ignore[union-attr]
        for s in ET.fromstring(status_xml).iter(f"{PRK}parkingStatusInformation")  # noqa: S314 - our own
    }
    assert set(statuses) == set(parkings)
    for parking_id, parking in parkings.items():
        vacant = statuses[parking_id].find(f"{PRK}occupancy/{PRK}numberOfVacantSpaces")
        if parking["status"] == "unknown":
            assert vacant is None, parking_id
        else:
            assert vacant is not None and int(vacant.text or "") == parking["free"], parking_id
    assert parkings["abri-gare"]["status"] == "unknown"
    assert parkings["gare"]["status"] == "ok"

    # Parking Publication Light and Velopark live: the same figures.
    parkings, light = same_moment(stack, lambda: stack.json("/open-data/datex2/parking-light.json"))
    validate_parking_light(light)
    for site in light["parkingPublicationLight"]["parkingSite"]:
        if parkings[site["_id"]]["status"] == "unknown":
            assert "availableSpaces" not in site
        else:
            assert site["availableSpaces"] == parkings[site["_id"]]["free"]
    for parking_id in ("gare", "grand-place", "abri-gare"):
        path = f"/open-data/velopark/{parking_id}/live.jsonld"
        parkings, live = same_moment(stack, lambda path=path: stack.json(path))  # type: ignore[misc]
        assert live.get("freePlaces") == (
            None if parkings[parking_id]["status"] == "unknown" else parkings[parking_id]["free"]
        )
        assert live["@id"] == f"https://velo.hannut.be/open-data/velopark/{parking_id}/live.jsonld"
        assert "RealTimeCapacity" in to_nquads(live)

    table = stack.get("/open-data/datex2/parking-table.xml")
    validate_datex2(table.content)
    again = stack.http.get("/open-data/datex2/parking-table.xml", headers={"If-None-Match": table.headers["etag"]})
    assert again.status_code == 304


def test_counting_measures_match_the_counts_api(stack: Stack, processes: Processes) -> None:
    stack.start_ingest()
    stack.start_api()
    traffic = simulate(
        processes, stack, "--speed", "120", "--backfill", "0.1", "--duration", "3", "--counter-interval", "900"
    )
    assert traffic.process is not None and traffic.process.wait(120) == 0, traffic.log()[-3000:]
    # Before the simulated history (2.4 h): a quarter hour in which the counter counted and nobody passed.
    quiet_ms = (int(datetime.now(UTC).timestamp()) // 900 - 16) * 900_000
    for bike in sorted(BIKES):
        stack.publish(
            "cn-count-1", "passage", {"ts": quiet_ms, "direction": "in", "count": 0, "interval_s": 900, "class": bike}
        )
    wait_until(
        lambda: stack.influx.rows(
            stack.database, f"SELECT count FROM passages WHERE time >= {quiet_ms}ms AND time < {quiet_ms + 1}ms"
        ),
        what="the quiet quarter hour stored",
    )

    now = datetime.now(UTC)
    first_day = (now - timedelta(days=1)).date()
    response = stack.get(
        "/open-data/counters/measures.csv", **{"from": first_day.isoformat(), "to": now.date().isoformat()}
    )
    assert response.status_code == 200, response.text
    validate_table(response.text, "measure")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    measured = {(r["channel_id"], r["start_datetime"]): r["count"] for r in rows}

    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    counts = stack.json(
        "/v1/counters/centre-north/counts",
        **{"from": start.isoformat(), "to": rows[-1]["end_datetime"], "every": "15m"},
    )
    expected: dict[tuple[str, str], int | None] = {}
    for series in counts["series"]:
        if series["class"] not in BIKES:
            continue
        for point in series["counts"]:
            key = (f"centre-north-{series['direction']}", point["start"])
            if point["count"] is not None:
                expected[key] = (expected.get(key) or 0) + point["count"]
            else:
                expected.setdefault(key, None)
    assert expected, counts
    for key, count in expected.items():
        assert measured[key] == ("" if count is None else str(count)), key
    quiet = datetime.fromtimestamp(quiet_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    before_quiet = datetime.fromtimestamp(quiet_ms / 1000 - 900, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert measured[("centre-north-in", quiet)] == "0"  # a counted zero is 0
    assert measured[("centre-north-in", before_quiet)] == ""  # nothing stored: empty, not 0
    assert any(v not in ("", "0") for v in measured.values())

    for table in ("sites", "channels"):
        validate_table(stack.get(f"/open-data/counters/{table}.csv").text, table[:-1])
    channels = list(csv.DictReader(io.StringIO(stack.get("/open-data/counters/channels.csv").text)))
    first_counted = min(k[1] for k, v in expected.items() if v)
    assert {c["started_at"][:10] for c in channels} <= {first_counted[:10], start.date().isoformat()}


def test_catalogue_and_page_served_by_the_api_process(stack: Stack) -> None:
    stack.start_api("--open-data-licence", "https://creativecommons.org/licenses/by/4.0/")
    catalogue = stack.http.get("/open-data/", headers={"Accept": "application/ld+json"}).json()
    assert catalogue["dct:license"] == {"@id": "https://creativecommons.org/licenses/by/4.0/"}
    assert catalogue["@id"] == f"{stack.url}/open-data/"
    page = httpx.get(f"{stack.url}/open-data/", timeout=10)
    assert page.status_code == 200 and "catalogue.jsonld" in page.text
