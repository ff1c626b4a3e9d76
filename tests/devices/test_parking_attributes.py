"""Parking attributes in the registry: validated at load with a message naming the entry and the field."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ridebuy.devices.opening_hours import open_at
from ridebuy.devices.registry import BicyclePlaces, RegistryError, SecureKind, load_registry, parse_registry
from ridebuy.devices.registry import sample_registry_path as sample

BRUSSELS = ZoneInfo("Europe/Brussels")


def _registry(**attributes: Any) -> dict[str, Any]:
    parking = {"id": "p1", "name": "P1", "lat": 50.67, "lon": 5.07, "capacity": 10, **attributes}
    return {"parkings": [parking]}


def test_every_attribute_is_read() -> None:
    registry = parse_registry(
        _registry(
            opening_hours="Mo-Fr 07:00-19:00; Sa 09:00-12:00",
            secure="bike_room",
            places={"regular": 6, "cargo": 2, "ebike": 2},
            charging_points=2,
            price="free",
            max_stay_h=24,
            address="Grand-Place 1, 4280 Hannut",
            photo_url="https://example.org/p1.jpg",
        ),
        "test.yaml",
    )
    parking = registry.parkings[0]
    assert parking.secure is SecureKind.BIKE_ROOM
    assert parking.places == BicyclePlaces(regular=6, cargo=2, ebike=2)
    assert (parking.charging_points, parking.price, parking.max_stay_h) == (2, "free", 24.0)


def test_defaults_describe_a_plain_rack() -> None:
    parking = parse_registry(_registry(), "test.yaml").parkings[0]
    assert (parking.opening_hours, parking.secure, parking.places, parking.charging_points) == (
        None,
        SecureKind.NONE,
        None,
        0,
    )
    assert (parking.price, parking.max_stay_h, parking.photo_url, parking.address) == (None, None, None, None)


@pytest.mark.parametrize(
    ("attributes", "field", "words"),
    [
        ({"opening_hours": "Mo-Fx 07:00-19:00"}, "opening_hours", "opening_hours syntax"),
        ({"secure": "moat"}, "secure", "none"),
        ({"places": {"regular": 8, "cargo": 2, "ebike": 1}}, "(entry)", "add up to 11"),
        ({"places": {"regular": -1}}, "places.regular", "greater than or equal to 0"),
        ({"places": {"trikes": 1}}, "places.trikes", "Extra inputs"),
        ({"charging_points": -2}, "charging_points", "greater than or equal to 0"),
        ({"max_stay_h": 0}, "max_stay_h", "greater than 0"),
        ({"photo_url": "http://example.org/p.jpg"}, "photo_url", "pattern"),
        ({"photo_url": "javascript:alert(1)"}, "photo_url", "pattern"),
    ],
)
def test_a_bad_attribute_names_its_entry_and_field(attributes: dict[str, Any], field: str, words: str) -> None:
    with pytest.raises(RegistryError) as error:
        parse_registry(_registry(**attributes), "town.yaml")
    message = str(error.value)
    assert message.startswith("town.yaml: parkings[0] (id 'p1'), field ")
    assert f"field '{field}'" in message
    assert words in message


def test_open_now_follows_the_opening_hours_in_local_time() -> None:
    hours = "Mo-Fr 07:00-19:00"
    # 17:30 UTC on a Friday in May is 19:30 in Brussels (summer time): closed; 16:30 UTC is 18:30: open.
    assert open_at(hours, datetime(2026, 5, 8, 16, 30, tzinfo=UTC), BRUSSELS) is True
    assert open_at(hours, datetime(2026, 5, 8, 17, 30, tzinfo=UTC), BRUSSELS) is False
    assert open_at(hours, datetime(2026, 5, 9, 10, 0, tzinfo=UTC), BRUSSELS) is False  # Saturday
    assert open_at(None, datetime(2026, 5, 9, 10, 0, tzinfo=UTC), BRUSSELS) is True  # no hours: always open
    assert open_at("Mo-Su unknown", datetime(2026, 5, 9, 10, 0, tzinfo=UTC), BRUSSELS) is None


def test_the_hannut_sample_describes_its_parkings() -> None:
    parkings = load_registry(sample()).parkings
    assert all(p.address for p in parkings)
    assert any(p.opening_hours for p in parkings)
    assert any(p.secure is not SecureKind.NONE for p in parkings)
    assert any(p.places is not None and p.places.cargo > 0 for p in parkings)
    assert any(p.charging_points > 0 for p in parkings)
    assert "ILLUSTRATIVE" in sample().read_text()
