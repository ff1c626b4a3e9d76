"""Large registries are parsed in a child process: same registry, same errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from ridebuy.devices.registry import RegistryError, load_registry, sample_registry_path
from ridebuy.devices.registry import load as registry_load


def test_child_process_load_gives_the_same_registry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_load, "LARGE_REGISTRY_BYTES", 0)
    lean = registry_load.load_registry_lean(sample_registry_path())
    assert lean == load_registry(sample_registry_path())
    assert lean.spaces_of("gp-rack-2") == load_registry(sample_registry_path()).spaces_of("gp-rack-2")
    assert set(lean.device_by_id) == {d.id for d in lean.devices}


def test_child_process_load_reports_the_same_errors(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(registry_load, "LARGE_REGISTRY_BYTES", 0)
    bad = tmp_path / "town.yaml"
    bad.write_text("devices: [{id: d, kind: rack, parking: nowhere}]\n")
    with pytest.raises(RegistryError, match=r"devices\[0\] \(id 'd'\), field 'parking'"):
        registry_load.load_registry_lean(bad)
    with pytest.raises(RegistryError, match="cannot read"):
        registry_load.load_registry_lean(tmp_path / "absent.yaml")
