"""The dashboard JSON models and the provisioning files hold together (uids, data source, variables, layout)."""

from __future__ import annotations

from itertools import combinations
from typing import Any

import pytest
import yaml

from ridebuy.dashboards.build import build_dashboards
from ridebuy.dashboards.catalogue import (
    DATASOURCE_UID,
    FOLDER_UID,
    PROVISIONING_DIR,
    InfluxSource,
    datasource_model,
)
from ridebuy.dashboards.texts import LANGUAGES, Language
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS
from tests.dashboards.grafana_influxql import variables_used

SCHEMA_VERSION = 41
"""Grafana 12's dashboard schema (docker-compose.yml runs Grafana 12.1)."""
BUILTINS = {
    "timeFilter",
    "__timeFilter",
    "__interval",
    "__interval_ms",
    "interval",
    "tag_parking",
    "tag_counter",
    "tag_device",
    "tag_direction",
    "tag_class",
    "tag_reason",
}
EXPECTED_UIDS = {"ridebuy-parkings", "ridebuy-counters", "ridebuy-devices", "ridebuy-ride-and-buy"}

DASHBOARDS = [dashboard for language in LANGUAGES for dashboard in build_dashboards(language)]


def _provisioned_datasource() -> dict[str, Any]:
    data = yaml.safe_load((PROVISIONING_DIR / "datasources" / "ridebuy.yaml").read_text())
    (source,) = data["datasources"]
    return dict(source)


def test_the_four_dashboards_have_stable_uids_and_a_current_schema() -> None:
    for language in LANGUAGES:
        assert {d["uid"] for d in build_dashboards(language)} == EXPECTED_UIDS
    for dashboard in DASHBOARDS:
        assert dashboard["schemaVersion"] == SCHEMA_VERSION
        assert "id" not in dashboard, "a shipped model must not carry Grafana's per-instance id"
        assert dashboard["title"].startswith("ridebuy · ")


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda d: d["uid"])
def test_every_query_uses_the_provisioned_data_source(dashboard: dict[str, Any]) -> None:
    assert _provisioned_datasource()["uid"] == DATASOURCE_UID
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == DATASOURCE_UID
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "influxdb", "uid": DATASOURCE_UID}
            assert target["rawQuery"] is True and target["resultFormat"] in ("time_series", "table")
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            assert variable["datasource"]["uid"] == DATASOURCE_UID


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda d: d["uid"])
def test_every_variable_used_is_defined(dashboard: dict[str, Any]) -> None:
    defined = {variable["name"] for variable in dashboard["templating"]["list"]}
    for panel in dashboard["panels"]:
        texts = [panel["title"], panel.get("description", "")]
        texts += [text for target in panel["targets"] for text in (target["query"], target.get("alias", ""))]
        for text in texts:
            assert variables_used(text) <= defined | BUILTINS, f"{panel['title']}: {variables_used(text) - defined}"


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda d: d["uid"])
def test_panels_have_unique_ids_and_do_not_overlap(dashboard: dict[str, Any]) -> None:
    panels = dashboard["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    for panel in panels:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
    for a, b in combinations([p["gridPos"] for p in panels], 2):
        side_by_side = a["x"] + a["w"] <= b["x"] or b["x"] + b["w"] <= a["x"]
        one_above_the_other = a["y"] + a["h"] <= b["y"] or b["y"] + b["h"] <= a["y"]
        apart = side_by_side or one_above_the_other
        assert apart, f"{a} overlaps {b}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_ride_and_buy_assumptions_are_variables_defaulting_to_the_module(language: Language) -> None:
    (ride,) = [d for d in build_dashboards(language) if d["uid"] == "ridebuy-ride-and-buy"]
    variables = {v["name"]: v for v in ride["templating"]["list"]}
    for name in ("trip_km", "co2_g_per_km", "car_share", "full_pct"):
        assert variables[name]["type"] == "textbox"
        expected = getattr(DEFAULT_ASSUMPTIONS, name)
        assert float(variables[name]["query"]) == expected
        assert float(variables[name]["current"]["value"]) == expected


def test_provider_loads_the_dashboards_into_the_ridebuy_folder() -> None:
    data = yaml.safe_load((PROVISIONING_DIR / "dashboards" / "ridebuy.yaml").read_text())
    (provider,) = data["providers"]
    assert provider["type"] == "file" and provider["folderUid"] == FOLDER_UID
    assert provider["options"]["path"] == "/etc/grafana/dashboards/ridebuy"


def test_pushed_data_source_matches_the_provisioned_one() -> None:
    provisioned = _provisioned_datasource()
    pushed = datasource_model(InfluxSource("http://influxdb:8086", "ridebuy", token="t"))
    for key in ("uid", "name", "type", "access"):
        assert pushed[key] == provisioned[key]
    assert pushed["jsonData"].keys() == provisioned["jsonData"].keys()
    for key in ("version", "httpMode", "timeInterval", "httpHeaderName1"):
        assert pushed["jsonData"][key] == provisioned["jsonData"][key]
    assert pushed["secureJsonData"] == {"httpHeaderValue1": "Token t"}
    with_user = datasource_model(InfluxSource("http://influx:8086", "db", username="u", password="p"))
    assert with_user["user"] == "u" and with_user["secureJsonData"] == {"password": "p"}
    assert "httpHeaderName1" not in with_user["jsonData"]
