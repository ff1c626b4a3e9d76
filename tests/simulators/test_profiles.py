from __future__ import annotations

import itertools
from datetime import datetime

import pytest

from ridebuy.devices.registry import Registry
from ridebuy.simulators.clock import LOCAL_TZ
from ridebuy.simulators.profiles import MARKET_DAY, PROFILES, PlaceKind, place_kind, profile_for


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ)


# 2026-05-04 is a Monday (market day), 2026-05-06 a Wednesday, 2026-05-09 a Saturday, 2026-05-10 a Sunday.
@pytest.mark.parametrize(
    ("parking_id", "kind"),
    [
        ("gare-bus", PlaceKind.STATION),
        ("athenee", PlaceKind.SCHOOL),
        ("college", PlaceKind.SCHOOL),
        ("bibliotheque", PlaceKind.LIBRARY),
        ("hall-sports", PlaceKind.SPORTS),
        ("place-marche", PlaceKind.MARKET),
        ("grand-place", PlaceKind.MARKET),
        ("eglise", PlaceKind.CHURCH),
        ("rue-commerces", PlaceKind.SHOPS),
        ("rue-tirlemont", PlaceKind.SHOPS),
        ("hotel-de-ville", PlaceKind.TOWN_HALL),
        ("centre-culturel", PlaceKind.CULTURE),
    ],
)
def test_each_hannut_parking_gets_the_kind_of_its_place(hannut: Registry, parking_id: str, kind: PlaceKind) -> None:
    parking = hannut.parking_by_id[parking_id]
    assert place_kind(parking.id, parking.name) is kind


def test_an_unknown_place_follows_the_town_centre_and_accents_do_not_matter() -> None:
    assert place_kind("p-17", "Parking 17") is PlaceKind.CENTRE
    assert place_kind("p-18", "ÉCOLE DU CENTRE") is PlaceKind.SCHOOL


def test_every_profile_covers_every_day_with_sane_curves() -> None:
    for profile in PROFILES.values():
        assert sorted(profile.days) == list(range(7)), profile.kind
        for curve in profile.days.values():
            hours = [hour for hour, _ in curve]
            assert hours[0] == 0 and hours[-1] == 24
            assert all(a < b for a, b in itertools.pairwise(hours))
            assert all(0.0 <= share <= 1.1 for _, share in curve)


def test_the_station_is_fuller_at_commuting_hours_than_at_night() -> None:
    station = PROFILES[PlaceKind.STATION]
    assert station.share(at("2026-05-05T08:45")) > 0.8 > 0.1 > station.share(at("2026-05-05T03:00"))
    assert station.share(at("2026-05-10T08:45")) < 0.2  # Sunday: no commuters


def test_schools_fill_on_school_days_and_empty_on_wednesday_afternoon_and_weekends() -> None:
    school = PROFILES[PlaceKind.SCHOOL]
    assert school.share(at("2026-05-05T10:00")) > 0.9
    assert school.share(at("2026-05-06T15:00")) < 0.1
    assert school.share(at("2026-05-09T10:00")) < 0.1


def test_the_market_morning_fills_the_market_square_beyond_an_ordinary_morning() -> None:
    market = profile_for("place-marche", "Place Lucien Gustin (marché)")
    monday = at("2026-05-04T10:00")
    assert monday.weekday() == MARKET_DAY
    assert market.share(monday) > 0.95 > 0.5 > market.share(at("2026-05-05T10:00"))


def test_shops_are_busier_in_the_afternoon_and_on_saturday_than_on_sunday() -> None:
    shops = PROFILES[PlaceKind.SHOPS]
    assert shops.share(at("2026-05-05T16:00")) > shops.share(at("2026-05-05T10:00"))
    assert shops.share(at("2026-05-09T16:00")) > shops.share(at("2026-05-10T16:00"))
