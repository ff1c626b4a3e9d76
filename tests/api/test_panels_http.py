"""Panels over HTTP, in-process on a fake store: JSON with ETag, fixed-width text, the kiosk page, the Ride and Buy
line counted from stored passages."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.ride_and_buy_line import MonthFigures, RideAndBuyLine, month_start
from ridebuy.api.settings import ApiSettings
from ridebuy.cli import main
from ridebuy.devices.registry import Registry, parse_registry
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, RideAndBuyTotals
from ridebuy.store.base import CountBucket, DeviceSnapshot
from tests.api.fakes import Clock, FakeStore, InProcessApi
from tests.api.test_app import NOW, S
from tests.devices.helpers import SMALL
from tests.support.waiting import wait_until

PANELS: list[dict[str, Any]] = [
    {
        "id": "entree",
        "title": {"fr": "Parkings vélo", "nl": "Fietsparkings"},
        "languages": ["fr", "nl"],
        "parkings": [
            {"parking": "gare", "arrow": "right", "direction": "200 m"},
            "grand-place",
            "shut",
        ],
        "ride_and_buy": True,
    },
    {"id": "plain", "title": "Gare", "parkings": ["gare"]},
]
DAY_NS = 86_400 * S


def registry() -> Registry:
    data = copy.deepcopy(SMALL)
    data["panels"] = PANELS
    return parse_registry(data, "town.yaml")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[InProcessApi]:
    store = FakeStore(
        snapshots=[DeviceSnapshot("gp-rack-1", occupied=4, occupied_ns=NOW - 10 * S, last_seen_ns=NOW - 10 * S)],
        counts=[
            CountBucket(NOW - 2 * DAY_NS, "in", "bike", 40),
            CountBucket(NOW - 2 * DAY_NS, "out", "bike", 30),
            CountBucket(NOW - DAY_NS, "in", "cargo", 2),
            CountBucket(NOW - DAY_NS, "in", "pedestrian", 500),
            CountBucket(NOW, "out", "ebike", None),
        ],
    )
    clock = Clock(NOW)
    settings = ApiSettings(registry=tmp_path / "unused.yaml", api_expire_interval_s=3600)
    app = create_app(settings, store=store, registry=registry(), clock_ns=clock, listen=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield InProcessApi(client=client, clock=clock)


def test_the_panel_json_shows_a_number_only_for_fully_measured_parkings(api: InProcessApi) -> None:
    api.send("gare-rack", "occupancy", {"ts": NOW // 1_000_000, "occupied": 3})
    body = api.client.get("/v1/panels/entree").json()
    assert body["title"] == {"fr": "Parkings vélo", "nl": "Fietsparkings"}
    assert body["languages"] == ["fr", "nl"]
    rows = {p["id"]: p for p in body["parkings"]}
    assert [p["id"] for p in body["parkings"]] == ["gare", "grand-place", "shut"]  # the panel's order
    assert rows["gare"] == {
        "id": "gare",
        "name": "Gare",
        "free": 1,
        "capacity": 4,
        "status": "ok",
        "last_updated": "2026-05-04T07:33:20Z",
        "arrow": "right",
        "direction": "200 m",
    }
    assert (rows["grand-place"]["status"], rows["grand-place"]["free"]) == ("stale", None)  # slots silent
    assert (rows["shut"]["status"], rows["shut"]["free"]) == ("closed", None)


def test_the_panel_json_has_an_etag_and_answers_304(api: InProcessApi) -> None:
    first = api.client.get("/v1/panels/plain")
    etag = first.headers["etag"]
    assert api.client.get("/v1/panels/plain", headers={"If-None-Match": etag}).status_code == 304
    api.send("gare-rack", "occupancy", {"ts": NOW // 1_000_000, "occupied": 4})
    changed = api.client.get("/v1/panels/plain", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.json()["parkings"][0]["free"] == 0


def test_an_unknown_panel_is_404_with_a_sentence(api: InProcessApi) -> None:
    for path in ("/v1/panels/nowhere", "/v1/panels/nowhere.txt"):
        answer = api.client.get(path)
        assert (answer.status_code, answer.json()) == (404, {"detail": "no panel with id 'nowhere'"})
    page = api.client.get("/panel/nowhere")
    assert page.status_code == 404
    assert "No display panel with id 'nowhere' in the registry." in page.text


def test_the_text_form_for_led_signs(api: InProcessApi) -> None:
    api.send("gare-rack", "occupancy", {"ts": NOW // 1_000_000, "occupied": 4})
    answer = api.client.get("/v1/panels/entree.txt", params={"width": 8})
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.text == "Gare     FULL →\nGrand-Pl   --  \nClosed o   --  \n"
    again = api.client.get(
        "/v1/panels/entree.txt", params={"width": 8}, headers={"If-None-Match": answer.headers["etag"]}
    )
    assert again.status_code == 304
    plain = api.client.get("/v1/panels/entree.txt", params={"width": 4, "ascii": "true"})
    assert plain.headers["content-type"] == "text/plain; charset=us-ascii"
    assert plain.text == "Gare FULL ->\nGran   --   \nClos   --   \n"
    default = api.client.get("/v1/panels/plain.txt").text
    assert default == "Gare".ljust(16) + " FULL\n"  # RIDEBUY_PANEL_TEXT_WIDTH


def test_a_bad_width_is_422_naming_it(api: InProcessApi) -> None:
    answer = api.client.get("/v1/panels/entree.txt", params={"width": 0})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["parameter"] == "width"


def test_the_kiosk_page_is_served_with_its_configuration_and_no_inline_script(api: InProcessApi) -> None:
    page = api.client.get("/panel/entree")
    assert page.status_code == 200
    assert '<script id="ridebuy-panel-config" type="application/json">' in page.text
    assert '"panel": "entree"' in page.text and '"timezone": "Europe/Brussels"' in page.text
    assert '<script src="/static/panel.js" defer></script>' in page.text
    assert "script-src 'self';" in page.headers["content-security-policy"]
    for asset in ("/static/panel.js", "/static/panel.css"):
        assert api.client.get(asset).status_code == 200
    assert "http" not in api.client.get("/static/panel.css").text  # nothing from elsewhere


def test_the_ride_and_buy_line_counts_this_months_cyclists(api: InProcessApi) -> None:
    def line() -> object:
        return api.client.get("/v1/panels/entree").json()["ride_and_buy"]

    wait_until(lambda: line() is not None, timeout_s=10, what="the first count")
    assert line() == {
        "month": "2026-05",
        "visits": 42,  # bikes and cargo bikes in; pedestrians are not cyclists
        "cycle_trips": 72,
        "co2_avoided_kg": 18.4,  # 72 x 3 km x 0.5 x 170 g
        "trip_km": 3.0,
        "car_share": 0.5,
        "co2_g_per_km": 170.0,
    }
    assert api.client.get("/v1/panels/plain").json()["ride_and_buy"] is None  # not asked for on this panel
    store = api.client.app.state.context.store.store  # type: ignore[attr-defined]
    month_from = int(datetime(2026, 4, 30, 22, tzinfo=UTC).timestamp()) * S  # 1 May, midnight in Brussels
    assert ("counter_counts", "centre-north", month_from, NOW, 86_400, None) in store.calls


@pytest.mark.parametrize(
    ("now", "month", "start"),
    [
        (datetime(2026, 5, 4, 7, 33, tzinfo=UTC), "2026-05", datetime(2026, 4, 30, 22, tzinfo=UTC)),
        (datetime(2026, 3, 31, 21, 59, tzinfo=UTC), "2026-03", datetime(2026, 2, 28, 23, tzinfo=UTC)),  # CEST now
        (datetime(2026, 10, 31, 23, 30, tzinfo=UTC), "2026-11", datetime(2026, 10, 31, 23, tzinfo=UTC)),
    ],
)
def test_the_month_starts_at_local_midnight(now: datetime, month: str, start: datetime) -> None:
    assert month_start(int(now.timestamp()) * S, ZoneInfo("Europe/Brussels")) == (month, int(start.timestamp()) * S)


def test_an_old_or_last_months_count_is_not_shown() -> None:
    line = RideAndBuyLine(DEFAULT_ASSUMPTIONS, ZoneInfo("Europe/Brussels"), refresh_s=300)
    assert line.out(NOW) is None  # never counted
    line.latest = MonthFigures("2026-05", RideAndBuyTotals(visits=10, cycle_trips=20), counted_ns=NOW)
    shown = line.out(NOW + 899 * S)
    assert shown is not None and (shown.visits, shown.co2_avoided_kg) == (10, 5.1)
    assert line.out(NOW + 901 * S) is None  # three refresh periods without a count: the store is away
    line.latest = MonthFigures("2026-04", RideAndBuyTotals(visits=10, cycle_trips=20), counted_ns=NOW)
    assert line.out(NOW) is None  # counted last month


def test_a_bad_panel_stops_the_api_with_a_sentence(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    data = copy.deepcopy(SMALL)
    data["panels"] = [{"id": "entree", "title": "Parkings", "parkings": ["gare", "nowhere"]}]
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data))
    code = main(["api", "--registry", str(path), "--store-url", f"sqlite:///{tmp_path / 'db.sqlite'}"])
    assert code == 2
    assert f"{path}: panels[0] (id 'entree'), field 'parkings.1.parking': unknown parking 'nowhere'" in caplog.text
