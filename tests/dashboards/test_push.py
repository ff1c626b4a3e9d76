"""``ridebuy dashboards push`` against a recording HTTP peer on loopback (no Grafana can be installed here)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from ridebuy.cli import main
from ridebuy.dashboards.build import build_dashboards
from ridebuy.dashboards.catalogue import DATASOURCE_UID, FOLDER_UID
from tests.dashboards.grafana_peer import GrafanaPeer
from tests.dashboards.test_build import OWN_ASSUMPTIONS, assert_built_with_own_assumptions
from tests.support.processes import Processes

TOKEN = "glsa_test_token"
STORE = ["--store-url", "influxdb://influx.internal:8086/ridebuy", "--store-token", "influx-secret"]


@pytest.fixture
def grafana() -> Iterator[GrafanaPeer]:
    peer = GrafanaPeer(TOKEN)
    peer.start()
    yield peer
    peer.stop()


def _push(grafana: GrafanaPeer, *extra: str, token: str = TOKEN) -> int:
    return main(["dashboards", "push", "--grafana-url", grafana.url, "--grafana-token", token, *STORE, *extra])


def test_first_push_creates_then_a_second_one_updates_in_place(grafana: GrafanaPeer) -> None:
    uids = sorted(d["uid"] for d in build_dashboards())
    assert _push(grafana, "--grafana-influx-url", "http://influxdb:8086") == 0
    first = grafana.calls()
    assert first[:4] == [
        ("GET", f"/api/datasources/uid/{DATASOURCE_UID}"),
        ("POST", "/api/datasources"),
        ("GET", f"/api/folders/{FOLDER_UID}"),
        ("POST", "/api/folders"),
    ]
    assert first[4:] == [("POST", "/api/dashboards/db")] * len(uids)
    assert all(r.authorization == f"Bearer {TOKEN}" for r in grafana.requests)

    datasource = grafana.datasources[DATASOURCE_UID]
    assert datasource["url"] == "http://influxdb:8086"
    assert datasource["jsonData"]["dbName"] == "ridebuy" and datasource["jsonData"]["version"] == "InfluxQL"
    assert datasource["secureJsonData"] == {"httpHeaderValue1": "Token influx-secret"}
    saves = [r.body for r in grafana.requests if r.path == "/api/dashboards/db"]
    assert all(save["overwrite"] is True and save["folderUid"] == FOLDER_UID for save in saves)
    assert all("id" not in save["dashboard"] for save in saves)
    assert sorted(grafana.dashboards) == uids

    grafana.requests.clear()
    assert _push(grafana, "--grafana-influx-url", "http://influxdb:8086") == 0
    assert grafana.calls() == [
        ("GET", f"/api/datasources/uid/{DATASOURCE_UID}"),
        ("PUT", f"/api/datasources/uid/{DATASOURCE_UID}"),
        ("GET", f"/api/folders/{FOLDER_UID}"),
        *[("POST", "/api/dashboards/db")] * len(uids),
    ]
    # Still one of each, under the same uids, the dashboards saved again over themselves.
    assert list(grafana.datasources) == [DATASOURCE_UID] and list(grafana.folders) == [FOLDER_UID]
    assert sorted(grafana.dashboards) == uids
    assert {d["version"] for d in grafana.dashboards.values()} == {2}
    shipped = {d["uid"]: d for d in build_dashboards("fr")}
    assert len(grafana.dashboards) == len(shipped) == 4
    for uid, stored in grafana.dashboards.items():
        assert {k: v for k, v in stored.items() if k not in ("version", "folderUid")} == {
            k: v for k, v in shipped[uid].items() if k != "version"
        }


def test_influx_url_defaults_to_the_store_host(grafana: GrafanaPeer) -> None:
    assert _push(grafana) == 0
    assert grafana.datasources[DATASOURCE_UID]["url"] == "http://influx.internal:8086"


def test_refused_token_fails_with_a_message(grafana: GrafanaPeer, capsys: pytest.CaptureFixture[str]) -> None:
    assert _push(grafana, token="wrong") == 1
    err = capsys.readouterr().err
    assert "refused" in err and "Unauthorized" in err
    assert "wrong" not in err and "influx-secret" not in err
    assert grafana.datasources == {} and grafana.dashboards == {}


def test_missing_grafana_url_or_token_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RIDEBUY_GRAFANA_URL", raising=False)
    monkeypatch.delenv("RIDEBUY_GRAFANA_TOKEN", raising=False)
    assert main(["dashboards", "push", *STORE]) == 2
    assert "--grafana-url" in capsys.readouterr().err
    assert main(["dashboards", "push", "--grafana-url", "http://127.0.0.1:9", *STORE]) == 2
    assert "--grafana-token" in capsys.readouterr().err


def test_unreachable_grafana_fails_with_a_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["dashboards", "push", "--grafana-url", "http://127.0.0.1:9", "--grafana-token", TOKEN, *STORE]) == 1
    assert "cannot reach Grafana" in capsys.readouterr().err


def test_language_flag_pushes_that_language(grafana: GrafanaPeer) -> None:
    assert _push(grafana, "--language", "nl") == 0
    assert grafana.dashboards["ridebuy-parkings"]["title"] == "ridebuy · Fietsenstallingen"
    assert _push(grafana) == 0  # the default language is the town's setting, French unless set
    assert grafana.dashboards["ridebuy-parkings"]["title"] == "ridebuy · Parkings vélos"


def test_bad_language_is_a_usage_error(grafana: GrafanaPeer, capsys: pytest.CaptureFixture[str]) -> None:
    assert _push(grafana, "--language", "de") == 2
    assert "RIDEBUY_LANGUAGE" in capsys.readouterr().err
    assert grafana.dashboards == {}


def test_push_takes_the_towns_ride_and_buy_assumptions(grafana: GrafanaPeer, processes: Processes) -> None:
    env = {**os.environ, **OWN_ASSUMPTIONS, "RIDEBUY_GRAFANA_TOKEN": TOKEN}
    result = processes.ridebuy(
        "dashboards", "push", "--grafana-url", grafana.url, *STORE, "--ride-and-buy-full-pct", "70", env=env
    )
    assert result.returncode == 0, result.stderr
    assert_built_with_own_assumptions(grafana.dashboards)
