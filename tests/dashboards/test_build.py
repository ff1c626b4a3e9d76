"""``ridebuy dashboards build``: the provisioning files in the town's language, with the map made from the registry
given, so that a parking added or moved in the registry is on the map at the next build."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from ridebuy.cli import main
from ridebuy.dashboards.geomap import COUNTER_REF_PREFIX, PARKING_REF_PREFIX
from ridebuy.devices.registry import load_registry, sample_registry_path


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
