from pathlib import Path

import pytest

from ridebuy.devices.registry import RegistryError, load_registry, parse_registry, sample_registry_path
from tests.devices.helpers import SMALL, small_registry


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "town.yaml"
    path.write_text(text)
    return path


def test_sample_registry_loads() -> None:
    registry = load_registry(sample_registry_path())
    assert len(registry.parkings) >= 10
    assert len(registry.counters) >= 2
    assert all(device.id in registry.device_by_id for device in registry.devices)


def test_spaces_are_shared_out() -> None:
    registry = small_registry()
    # 12 places, two slots: the one rack watches the 10 others.
    assert registry.spaces_of("gp-slot-01") == 1
    assert registry.spaces_of("gp-rack-1") == 10
    assert registry.spaces_of("cn-count-1") == 0


def test_racks_share_evenly() -> None:
    data = {
        "parkings": [{"id": "p", "name": "P", "lat": 0, "lon": 0, "capacity": 7}],
        "devices": [{"id": "a", "kind": "rack", "parking": "p"}, {"id": "b", "kind": "rack", "parking": "p"}],
    }
    registry = parse_registry(data, "x.yaml")
    assert sorted([registry.spaces_of("a"), registry.spaces_of("b")]) == [3, 4]


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        ("parkings: [{id: p, name: P, lat: 95, lon: 5, capacity: 3}]", r"parkings\[0\] \(id 'p'\), field 'lat'"),
        (
            "parkings: [{id: p, name: P, lat: 50, lon: 5, capacity: 3}]\n"
            "devices: [{id: d, kind: rack, parking: nowhere}]",
            r"devices\[0\] \(id 'd'\), field 'parking': unknown parking 'nowhere'",
        ),
        ("devices: [{id: 'bad id', kind: rack, parking: p}]", r"devices\[0\] \(id 'bad id'\), field 'id'"),
        ("devices: [{id: d, kind: bicycle, parking: p}]", r"devices\[0\] \(id 'd'\), field 'kind'"),
        ("devices: [{id: d, kind: counter}]", r"devices\[0\] \(id 'd'\).*needs 'counter'"),
        ("devices: [{id: d, kind: rack, parking: p, colour: red}]", r"field 'colour'"),
        (
            "parkings: [{id: p, name: P, lat: 50, lon: 5, capacity: 3},"
            " {id: p, name: Q, lat: 50, lon: 5, capacity: 1}]",
            r"parkings\[1\] \(id 'p'\), field 'id': duplicate id 'p'",
        ),
        (
            "parkings: [{id: p, name: P, lat: 50, lon: 5, capacity: 1}]\n"
            "devices: [{id: a, kind: slot, parking: p}, {id: b, kind: slot, parking: p}]",
            r"parkings\[0\] \(id 'p'\), field 'capacity': its devices watch 2 spaces",
        ),
        ("- just\n- a list", "must be a mapping"),
        ("parkings: [", "not valid YAML"),
    ],
)
def test_bad_registry_names_file_entry_and_field(tmp_path: Path, yaml_text: str, expected: str) -> None:
    path = write(tmp_path, yaml_text)
    with pytest.raises(RegistryError, match=expected) as caught:
        load_registry(path)
    assert str(path) in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="cannot read"):
        load_registry(tmp_path / "absent.yaml")


def test_small_registry_is_valid() -> None:
    assert parse_registry(SMALL, "small.yaml").parking_by_id["gare"].capacity == 4
