"""The codec index lists every vendor module, and every codec ships its vectors."""

from __future__ import annotations

import pkgutil
from types import ModuleType

import pytest

import ridebuy.devices.codecs
from ridebuy.devices.codecs import CODECS, Codec, heartbeat_allowance_s, registry_problems
from ridebuy.devices.codecs.index import VENDOR_MODULES
from ridebuy.devices.registry import DEFAULT_HEARTBEAT_S, Registry, parse_registry
from tests.devices.codec_vectors import load_vectors

NOT_VENDORS = {"base", "index"}


def test_every_vendor_module_is_in_the_index() -> None:
    modules = {info.name for info in pkgutil.iter_modules(ridebuy.devices.codecs.__path__)} - NOT_VENDORS
    listed = {module.__name__.rsplit(".", 1)[1] for module in VENDOR_MODULES}
    assert modules == listed, "add the vendor module to VENDOR_MODULES in devices/codecs/index.py"


@pytest.mark.parametrize("module", VENDOR_MODULES, ids=lambda m: m.__name__)
def test_every_codec_of_a_module_is_indexed(module: ModuleType) -> None:
    for codec in module.CODECS:
        assert CODECS[codec.name] is codec


@pytest.mark.parametrize("codec", CODECS.values(), ids=lambda c: c.name)
def test_every_codec_has_vendor_and_negative_vectors(codec: Codec) -> None:
    vectors = [v for v in load_vectors() if v.codec == codec.name]
    assert any(v.origin == "vendor" for v in vectors), "copy the vendor's published examples"
    errors = [v.error or "" for v in vectors]
    assert any("truncated" in e for e in errors), "add a truncated vector"
    assert any("unknown fPort" in e for e in errors), "add an unknown-port vector"
    assert codec.heartbeat_s > 0
    assert codec.kinds


TPS110_SLOT = {"kind": "slot", "parking": "p", "format": "ttn", "codec": "bosch-tps110"}


def registry(devices: list[dict[str, object]]) -> Registry:
    return parse_registry(
        {
            "parkings": [{"id": "p", "name": "P", "lat": 50.67, "lon": 5.07, "capacity": 10}],
            "counters": [{"id": "c", "name": "C", "lat": 50.67, "lon": 5.07}],
            "devices": devices,
        },
        "test.yaml",
    )


def test_heartbeat_allowance_comes_from_the_registry_then_the_codec() -> None:
    reg = registry(
        [
            {**TPS110_SLOT, "id": "explicit", "heartbeat_s": 60},
            {**TPS110_SLOT, "id": "from-codec"},
            {"id": "native", "kind": "rack", "parking": "p"},
        ]
    )
    devices = reg.device_by_id
    assert heartbeat_allowance_s(devices["explicit"]) == 60
    assert heartbeat_allowance_s(devices["from-codec"]) == CODECS["bosch-tps110"].heartbeat_s
    assert heartbeat_allowance_s(devices["native"]) == DEFAULT_HEARTBEAT_S


def test_registry_problems_name_the_device_and_the_fault() -> None:
    reg = registry(
        [
            {"id": "good", "kind": "slot", "parking": "p", "format": "ttn", "codec": "bosch-tps110"},
            {"id": "typo", "kind": "slot", "parking": "p", "format": "ttn", "codec": "bosch-tps11"},
            {"id": "misfit", "kind": "counter", "counter": "c", "format": "ttn", "codec": "bosch-tps110"},
            {"id": "no-eui", "kind": "counter", "counter": "c", "format": "chirpstack", "codec": "milesight-vs350"},
        ]
    )
    problems = registry_problems(reg)
    assert len(problems) == 3
    assert "device 'typo': unknown codec 'bosch-tps11'" in problems[0]
    assert "device 'misfit': codec 'bosch-tps110' serves slot devices, not counter" in problems[1]
    assert "device 'no-eui': a chirpstack device needs 'dev_eui'" in problems[2]
