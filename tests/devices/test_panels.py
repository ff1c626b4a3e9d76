"""Display panels in the registry: valid entries load, a bad one stops start-up naming file, entry and field."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from ridebuy.devices.panels import Arrow, Language, text_in
from ridebuy.devices.registry import RegistryError, load_registry, sample_registry_path
from tests.devices.helpers import SMALL

PANEL: dict[str, Any] = {
    "id": "entree",
    "title": {"fr": "Parkings vélo", "nl": "Fietsparkings"},
    "languages": ["fr", "nl"],
    "parkings": ["grand-place", {"parking": "gare", "arrow": "right", "direction": {"fr": "200 m", "nl": "200 m"}}],
    "message": "Ride and Buy",
    "ride_and_buy": True,
}


def write(tmp_path: Path, *panels: dict[str, Any]) -> Path:
    data = copy.deepcopy(SMALL)
    data["panels"] = list(panels)
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def test_a_panel_loads_with_its_parkings_in_order(tmp_path: Path) -> None:
    registry = load_registry(write(tmp_path, PANEL))
    panel = registry.panel_by_id["entree"]
    assert panel.parking_ids == ["grand-place", "gare"]
    assert panel.parkings[1].arrow is Arrow.RIGHT
    assert panel.languages == [Language.FR, Language.NL]
    assert text_in(panel.title, Language.NL) == "Fietsparkings"
    assert text_in(panel.message or "", Language.NL) == "Ride and Buy"
    assert panel.rotate_s == 8
    assert panel.ride_and_buy is True


def test_the_hannut_sample_has_panels() -> None:
    registry = load_registry(sample_registry_path())
    assert {"entree-nord", "grand-place"} <= set(registry.panel_by_id)


def test_a_registry_without_panels_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "town.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    assert load_registry(path).panels == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"parkings": ["grand-place", "nowhere"]},
            "panels[0] (id 'entree'), field 'parkings.1.parking': unknown parking 'nowhere'",
        ),
        ({"id": "bad id"}, "panels[0] (id 'bad id'), field 'id': String should match pattern"),
        ({"parkings": []}, "panels[0] (id 'entree'), field 'parkings': List should have at least 1 item"),
        ({"languages": ["fr", "xx"]}, "panels[0] (id 'entree'), field 'languages.1': Input should be 'fr', 'nl'"),
        ({"languages": ["fr", "fr"], "title": "T"}, "'languages' lists a language twice"),
        ({"parkings": ["gare", "gare"]}, "'parkings' lists 'gare' twice"),
        ({"languages": ["fr", "nl", "en"]}, "'title' has no text for en (languages of the panel)"),
        (
            {"parkings": [{"parking": "gare", "arrow": "up"}]},
            "panels[0] (id 'entree'), field 'parkings.0.arrow': Input should be 'ahead'",
        ),
        ({"title": ""}, "panels[0] (id 'entree'), field 'title': must be a text of 1 to 200 characters"),
        ({"title": {"fr": "A", "xx": "B"}}, "field 'title': 'xx' is not a language (fr, nl, de, en)"),
        ({"message": 5}, "field 'message': must be a text, or a mapping of language (fr, nl, de, en) to text"),
        ({"colour": "red"}, "panels[0] (id 'entree'), field 'colour': Extra inputs are not permitted"),
        ({"rotate_s": 1}, "panels[0] (id 'entree'), field 'rotate_s': Input should be greater than or equal to 2"),
    ],
)
def test_a_bad_panel_names_file_entry_and_field(tmp_path: Path, change: dict[str, Any], expected: str) -> None:
    path = write(tmp_path, {**PANEL, **change})
    with pytest.raises(RegistryError) as raised:
        load_registry(path)
    message = str(raised.value)
    assert message.startswith(f"{path}: panels[0] ")
    assert expected in message


def test_two_panels_may_not_share_an_id(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"panels\[1\] \(id 'entree'\), field 'id': duplicate id 'entree'"):
        load_registry(write(tmp_path, PANEL, PANEL))
