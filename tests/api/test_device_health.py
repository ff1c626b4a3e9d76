"""Device health in /v1/devices and /metrics: heartbeat allowance (codec default), offline, battery low."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ridebuy.api.app import create_app
from ridebuy.api.live_state import BatteryThresholds, DeviceHealth
from ridebuy.api.settings import ApiSettings
from ridebuy.devices.codecs import CODECS
from ridebuy.devices.readings import HealthFigures
from ridebuy.devices.registry import DEFAULT_HEARTBEAT_S, parse_registry
from tests.api.fakes import Clock, FakeStore, InProcessApi

S = 1_000_000_000
NOW = 1_777_880_000 * S

REGISTRY = {
    "parkings": [{"id": "gare", "name": "Gare", "lat": 50.67, "lon": 5.08, "capacity": 4}],
    "counters": [{"id": "north", "name": "North", "lat": 50.68, "lon": 5.07}],
    "devices": [
        {"id": "rack", "kind": "rack", "parking": "gare", "heartbeat_s": 60},
        {"id": "tps", "kind": "slot", "parking": "gare", "format": "ttn", "codec": "bosch-tps110"},
        {
            "id": "tps-fast",
            "kind": "slot",
            "parking": "gare",
            "format": "ttn",
            "codec": "bosch-tps110",
            "heartbeat_s": 120,
        },
        {"id": "count", "kind": "counter", "counter": "north"},
    ],
}


@dataclass
class Api(InProcessApi):
    def devices(self) -> dict[str, dict[str, object]]:
        return {d["id"]: d for d in self.client.get("/v1/devices").json()["devices"]}

    def metric(self, name: str) -> float:
        for line in self.client.get("/metrics").text.splitlines():
            if line.startswith(name + " "):
                return float(line.split()[-1])
        raise AssertionError(f"no metric {name}")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    clock = Clock(NOW)
    settings = ApiSettings(
        registry=tmp_path / "unused.yaml",
        api_expire_interval_s=3600,
        battery_low_pct=25,
        battery_low_v=3.4,
    )
    app = create_app(
        settings, store=FakeStore(), registry=parse_registry(REGISTRY, "test"), clock_ns=clock, listen=False
    )
    with TestClient(app) as client:
        yield Api(client=client, clock=clock)


def test_the_heartbeat_allowance_comes_from_the_codec_unless_the_registry_sets_one(api: Api) -> None:
    devices = api.devices()
    assert devices["tps"]["heartbeat_s"] == CODECS["bosch-tps110"].heartbeat_s == 24 * 3600
    assert devices["tps-fast"]["heartbeat_s"] == 120
    assert devices["rack"]["heartbeat_s"] == 60
    assert devices["count"]["heartbeat_s"] == DEFAULT_HEARTBEAT_S
    assert (devices["tps"]["format"], devices["tps"]["codec"]) == ("ttn", "bosch-tps110")


def test_a_device_goes_offline_after_missed_heartbeats(api: Api) -> None:
    api.send("rack", "occupancy", {"ts": NOW // 1_000_000, "occupied": 1})
    rack = api.devices()["rack"]
    assert (rack["stale"], rack["offline"]) == (False, False)
    never = api.devices()["count"]
    assert (never["stale"], never["offline"], never["last_seen"]) == (True, False, None)  # never heard of
    assert api.metric("ridebuy_api_devices_offline") == 0
    assert api.metric("ridebuy_api_devices") == 4

    api.clock.now_ns += 119 * S  # within two 60 s heartbeats
    api.live.expire(api.clock())
    assert api.devices()["rack"]["offline"] is False
    api.clock.now_ns += 2 * S  # two heartbeats missed
    api.live.expire(api.clock())
    rack = api.devices()["rack"]
    assert (rack["stale"], rack["offline"]) == (True, True)
    assert api.metric("ridebuy_api_devices_offline") == 1
    gare = api.client.get("/v1/parkings/gare").json()
    assert (gare["free"], gare["unknown"]) == (0, 4)  # its spaces count as unknown, never as free

    api.send("rack", "status", {"battery_pct": 90})  # it speaks again
    assert api.devices()["rack"]["offline"] is False
    assert api.metric("ridebuy_api_devices_offline") == 0


def test_battery_low_is_judged_by_percent_else_by_voltage(api: Api) -> None:
    api.send("rack", "status", {"battery_pct": 24.5, "battery_v": 3.9})  # percent wins: low
    api.send("count", "status", {"battery_v": 3.35})  # voltage only: low
    api.send("tps-fast", "status", {"battery_pct": 60, "battery_v": 3.0})  # percent wins: fine
    api.send("tps", "status", {"rssi": -90})  # no battery figure
    devices = api.devices()
    assert {name: devices[name]["battery_low"] for name in devices} == {
        "rack": True,
        "count": True,
        "tps-fast": False,
        "tps": None,
    }
    assert api.metric("ridebuy_api_devices_battery_low") == 2
    api.send("count", "status", {"battery_v": 3.6})  # a new battery
    assert api.devices()["count"]["battery_low"] is False
    assert api.metric("ridebuy_api_devices_battery_low") == 1


@pytest.mark.parametrize(
    ("health", "low"),
    [
        (DeviceHealth("d", figures=HealthFigures(battery_pct=19.9)), True),
        (DeviceHealth("d", figures=HealthFigures(battery_pct=20.0)), False),
        (DeviceHealth("d", figures=HealthFigures(battery_pct=50.0, battery_v=2.0)), False),
        (DeviceHealth("d", figures=HealthFigures(battery_v=3.29)), True),
        (DeviceHealth("d", figures=HealthFigures(battery_v=3.3)), False),
        (DeviceHealth("d"), None),
    ],
)
def test_battery_thresholds(health: DeviceHealth, low: bool | None) -> None:
    assert BatteryThresholds(low_pct=20, low_v=3.3).low(health) is low
