"""``ridebuy dashboards build``: the provisioning files in the town's language, with the map made from the registry
given, so that a parking added or moved in the registry is on the map at the next build."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from ridebuy.cli import main
from ridebuy.dashboards.geomap import COUNTER_REF_PREFIX, PARKING_REF_PREFIX
from ridebuy.devices.registry import load_registry, sample_registry_path
from tests.support.processes import Processes


def _town(tmp_path: Path) -> Path:
    """The sample registry with one parking moved and one added."""
    data = yaml.safe_load(sample_registry_path().read_text())
    data["parkings"][0]["lat"] = 50.6801
    data["parkings"].append(
        {"id": "piscine", "name": "Piscine communale", "lat": 50.6650, "lon": 5.0700, "capacity": 30}
    )
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def _map(out: Path) -> dict[str, object]:
    parkings = json.loads((out / "parkings.json").read_text())
    (panel,) = [p for p in parkings["panels"] if p["type"] == "geomap"]
    return dict(panel)


def test_build_writes_the_dashboards_in_the_language_with_the_registrys_places(tmp_path: Path) -> None:
    registry_path = _town(tmp_path)
    out = tmp_path / "dashboards"
    assert main(["dashboards", "build", "--out", str(out), "--language", "nl", "--registry", str(registry_path)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "counters.json",
        "devices.json",
        "parkings.json",
        "ride-and-buy.json",
    ]
    assert json.loads((out / "parkings.json").read_text())["title"] == "ridebuy · Fietsenstallingen"
    panel = _map(out)
    registry = load_registry(registry_path)
    refs = [t["refId"] for t in panel["targets"]]  # type: ignore[attr-defined]
    assert refs == [PARKING_REF_PREFIX + p.id for p in registry.parkings] + [
        COUNTER_REF_PREFIX + c.id for c in registry.counters
    ]
    queries = {t["refId"]: t["query"] for t in panel["targets"]}  # type: ignore[attr-defined]
    assert '+ 50.6801 AS "lat"' in queries[PARKING_REF_PREFIX + "grand-place"]
    assert "\"parking\" = 'piscine'" in queries[PARKING_REF_PREFIX + "piscine"]
    # Names come from the registry too: the parking column shows them.
    names = [
        prop["value"][0]["options"]
        for override in panel["fieldConfig"]["overrides"]  # type: ignore[index]
        if override["matcher"]["options"] == "parking"
        for prop in override["properties"]
        if prop["id"] == "mappings"
    ]
    assert names and names[0]["piscine"]["text"] == "Piscine communale"


def test_build_defaults_to_the_town_language_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIDEBUY_LANGUAGE", "en")
    assert main(["dashboards", "build", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "counters.json").read_text())["title"] == "ridebuy · Counters"
    monkeypatch.delenv("RIDEBUY_LANGUAGE")
    assert main(["dashboards", "build", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "counters.json").read_text())["title"] == "ridebuy · Compteurs"


OWN_ASSUMPTIONS = {
    "RIDEBUY_RIDE_AND_BUY_TRIP_KM": "6",
    "RIDEBUY_RIDE_AND_BUY_CAR_SHARE": "0.25",
    "RIDEBUY_RIDE_AND_BUY_CO2_G_PER_KM": "120.5",
}
"""A town's own Ride and Buy assumptions, in the environment (the full threshold is given as a flag)."""


def assert_built_with_own_assumptions(dashboards: dict[str, dict[str, Any]]) -> None:
    """The Ride and Buy variables default to the town's assumptions, and every map turns red at its threshold."""
    ride = dashboards["ridebuy-ride-and-buy"]
    defaults = {v["name"]: v["query"] for v in ride["templating"]["list"] if v["type"] == "textbox"}
    assert defaults == {"trip_km": "6", "car_share": "0.25", "co2_g_per_km": "120.5", "full_pct": "70"}
    current = {v["name"]: v["current"]["value"] for v in ride["templating"]["list"] if v["type"] == "textbox"}
    assert current == defaults
    thresholds = [
        prop["value"]["steps"][-1]["value"]
        for dashboard in dashboards.values()
        for panel in dashboard["panels"]
        if panel["type"] == "geomap"
        for override in panel["fieldConfig"]["overrides"]
        if override["matcher"]["options"] == "occupancy"
        for prop in override["properties"]
        if prop["id"] == "thresholds"
    ]
    assert thresholds and all(value == 70 for value in thresholds)


def test_build_takes_the_towns_ride_and_buy_assumptions(tmp_path: Path, processes: Processes) -> None:
    out = tmp_path / "dashboards"
    result = processes.ridebuy(
        "dashboards", "build", "--out", str(out), "--ride-and-buy-full-pct", "70", env={**os.environ, **OWN_ASSUMPTIONS}
    )
    assert result.returncode == 0, result.stderr
    built = [json.loads(path.read_text()) for path in out.iterdir()]
    assert_built_with_own_assumptions({d["uid"]: d for d in built})


def test_a_bad_assumption_stops_the_build_with_a_sentence(tmp_path: Path, processes: Processes) -> None:
    result = processes.ridebuy("dashboards", "build", "--out", str(tmp_path), "--ride-and-buy-full-pct", "120")
    assert result.returncode == 2
    assert "RIDEBUY_RIDE_AND_BUY_FULL_PCT (--ride-and-buy-full-pct) is invalid" in result.stderr
    assert "Traceback" not in result.stderr and not list(tmp_path.iterdir())
