"""Daily occupancy shapes of bike parkings, by kind of place.

A profile gives, for a local date and time, the share of a parking's spaces that is typically taken (0 = empty,
1 = full, a little above 1 = bikes locked beside a full rack). The shapes are assumptions, written to look
plausible for a small Walloon town, not measurements: see docs/simulators.md.

Which profile a parking follows is guessed from its id and name (``gare`` -> station, ``athénée`` -> school, ...),
so a town's own registry gets sensible traffic without extra fields.
"""

from __future__ import annotations

import unicodedata
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
MARKET_DAY = MONDAY
"""Hannut's weekly market is held on Monday mornings around the Grand-Place."""

Curve = Sequence[tuple[float, float]]
"""Key points (local hour 0..24, share of spaces taken), joined by straight lines."""


class PlaceKind(StrEnum):
    STATION = "station"
    SCHOOL = "school"
    SHOPS = "shops"
    MARKET = "market"
    LIBRARY = "library"
    SPORTS = "sports"
    CHURCH = "church"
    TOWN_HALL = "town_hall"
    CULTURE = "culture"
    CENTRE = "centre"


@dataclass(frozen=True, slots=True)
class Profile:
    """One curve per weekday (Monday = 0)."""

    kind: PlaceKind
    days: Mapping[int, Curve]

    def share(self, when: datetime) -> float:
        """Typical share of spaces taken at this local date and time."""
        hour = when.hour + when.minute / 60 + when.second / 3600
        return interpolate(self.days[when.weekday()], hour)


def interpolate(curve: Curve, hour: float) -> float:
    hours = [point[0] for point in curve]
    index = bisect_right(hours, hour)
    if index == 0:
        return curve[0][1]
    if index == len(curve):
        return curve[-1][1]
    (h0, v0), (h1, v1) = curve[index - 1], curve[index]
    return v0 + (v1 - v0) * (hour - h0) / (h1 - h0)


def _week(weekday: Curve, *, saturday: Curve, sunday: Curve, **special: Curve) -> dict[int, Curve]:
    """Monday-Friday share ``weekday`` unless a day is named (monday=..., wednesday=...)."""
    names = {"monday": MONDAY, "tuesday": TUESDAY, "wednesday": WEDNESDAY, "thursday": THURSDAY, "friday": FRIDAY}
    days: dict[int, Curve] = dict.fromkeys(range(5), weekday)
    days[SATURDAY], days[SUNDAY] = saturday, sunday
    for name, curve in special.items():
        days[names[name]] = curve
    return days


_QUIET: Curve = ((0, 0.02), (24, 0.02))

_SHOPS_WEEKDAY: Curve = (
    (0, 0.03),
    (9, 0.08),
    (10, 0.35),
    (12, 0.5),
    (13, 0.4),
    (14.5, 0.75),
    (17, 0.8),
    (18.5, 0.3),
    (19.5, 0.05),
    (24, 0.03),
)
_SHOPS_SATURDAY: Curve = (
    (0, 0.03),
    (9, 0.15),
    (10.5, 0.7),
    (12, 0.85),
    (14, 0.8),
    (16, 0.95),
    (18, 0.6),
    (19, 0.1),
    (24, 0.03),
)
_SHOPS_SUNDAY: Curve = ((0, 0.02), (10, 0.08), (16, 0.12), (24, 0.02))
# Market stalls from about 7:30 to 13:00: racks around the square fill up early and overflow.
_MARKET_MORNING: Curve = (
    (0, 0.03),
    (6.5, 0.1),
    (8, 0.6),
    (9.5, 1.05),
    (11.5, 1.05),
    (13, 0.45),
    (14.5, 0.5),
    (17, 0.6),
    (18.5, 0.25),
    (20, 0.03),
    (24, 0.03),
)
_SCHOOL_DAY: Curve = (
    (0, 0.02),
    (7.3, 0.05),
    (8.2, 1.05),
    (12, 1.0),
    (12.3, 0.8),
    (13.3, 1.0),
    (15.5, 1.0),
    (16.2, 0.2),
    (17.5, 0.05),
    (24, 0.02),
)
# Belgian schools have Wednesday afternoons off.
_SCHOOL_WEDNESDAY: Curve = ((0, 0.02), (7.3, 0.05), (8.2, 1.05), (12.1, 1.0), (12.8, 0.1), (14, 0.03), (24, 0.02))
_LIBRARY_OPEN: Curve = (
    (0, 0.0),
    (9.5, 0.02),
    (10, 0.25),
    (12, 0.35),
    (14, 0.3),
    (16, 0.55),
    (17.5, 0.7),
    (18.2, 0.1),
    (19, 0.0),
    (24, 0.0),
)
_LIBRARY_CLOSED: Curve = ((0, 0.0), (24, 0.0))

PROFILES: Mapping[PlaceKind, Profile] = {
    profile.kind: profile
    for profile in (
        # Commuters leave their bike in the morning and take the bus; back in the evening.
        Profile(
            PlaceKind.STATION,
            _week(
                ((0, 0.05), (6, 0.08), (7, 0.45), (8.5, 0.95), (16.5, 0.9), (18, 0.4), (19.5, 0.12), (24, 0.05)),
                saturday=((0, 0.05), (9, 0.1), (12, 0.3), (17, 0.25), (20, 0.05), (24, 0.05)),
                sunday=((0, 0.03), (11, 0.1), (17, 0.1), (24, 0.03)),
            ),
        ),
        Profile(PlaceKind.SCHOOL, _week(_SCHOOL_DAY, wednesday=_SCHOOL_WEDNESDAY, saturday=_QUIET, sunday=_QUIET)),
        Profile(PlaceKind.SHOPS, _week(_SHOPS_WEEKDAY, saturday=_SHOPS_SATURDAY, sunday=_SHOPS_SUNDAY)),
        Profile(
            PlaceKind.MARKET,
            _week(
                _SHOPS_WEEKDAY,
                monday=_MARKET_MORNING,
                saturday=_SHOPS_SATURDAY,
                sunday=_SHOPS_SUNDAY,
            ),
        ),
        Profile(
            PlaceKind.LIBRARY,
            _week(
                _LIBRARY_OPEN,
                monday=_LIBRARY_CLOSED,
                saturday=_LIBRARY_OPEN,
                sunday=_LIBRARY_CLOSED,
            ),
        ),
        Profile(
            PlaceKind.SPORTS,
            _week(
                (
                    (0, 0.02),
                    (8, 0.05),
                    (10, 0.25),
                    (12, 0.15),
                    (16.5, 0.3),
                    (17.5, 0.7),
                    (20, 0.85),
                    (22, 0.6),
                    (23, 0.08),
                    (24, 0.02),
                ),
                wednesday=((0, 0.02), (8, 0.05), (13, 0.3), (14, 0.75), (18, 0.8), (21, 0.7), (23, 0.08), (24, 0.02)),
                saturday=((0, 0.02), (8.5, 0.2), (10, 0.8), (13, 0.6), (15, 0.85), (18, 0.5), (20, 0.1), (24, 0.02)),
                sunday=((0, 0.02), (9, 0.3), (10.5, 0.7), (12.5, 0.5), (17, 0.3), (19, 0.05), (24, 0.02)),
            ),
        ),
        Profile(
            PlaceKind.CHURCH,
            _week(
                ((0, 0.02), (8, 0.05), (12, 0.15), (17, 0.1), (20, 0.02), (24, 0.02)),
                saturday=(
                    (0, 0.02),
                    (8, 0.05),
                    (12, 0.15),
                    (17.5, 0.1),
                    (18, 0.6),
                    (19.2, 0.5),
                    (19.6, 0.05),
                    (24, 0.02),
                ),
                sunday=((0, 0.02), (9, 0.1), (9.8, 0.9), (11.3, 0.85), (12, 0.15), (17, 0.1), (20, 0.02), (24, 0.02)),
            ),
        ),
        Profile(
            PlaceKind.TOWN_HALL,
            _week(
                (
                    (0, 0.02),
                    (8, 0.1),
                    (9, 0.6),
                    (12, 0.65),
                    (13, 0.45),
                    (14, 0.6),
                    (16.5, 0.4),
                    (17.5, 0.05),
                    (24, 0.02),
                ),
                saturday=_QUIET,
                sunday=_QUIET,
            ),
        ),
        Profile(
            PlaceKind.CULTURE,
            _week(
                (
                    (0, 0.03),
                    (10, 0.1),
                    (14, 0.25),
                    (17, 0.2),
                    (19, 0.35),
                    (20, 0.8),
                    (22.5, 0.7),
                    (23.5, 0.1),
                    (24, 0.03),
                ),
                saturday=((0, 0.05), (10, 0.2), (14, 0.45), (17, 0.35), (20, 0.9), (23, 0.75), (24, 0.1)),
                sunday=((0, 0.05), (10, 0.1), (14, 0.5), (17, 0.4), (19, 0.05), (24, 0.05)),
            ),
        ),
        Profile(
            PlaceKind.CENTRE,
            _week(
                ((0, 0.05), (8, 0.2), (10, 0.4), (12, 0.55), (15, 0.6), (17, 0.65), (19, 0.3), (21, 0.1), (24, 0.05)),
                saturday=((0, 0.05), (9, 0.25), (11, 0.75), (16, 0.8), (19, 0.3), (24, 0.05)),
                sunday=((0, 0.05), (10, 0.2), (15, 0.35), (19, 0.1), (24, 0.05)),
            ),
        ),
    )
}

# First match wins; words are matched in the id and the name, accents and case ignored.
_KEYWORDS: tuple[tuple[PlaceKind, tuple[str, ...]], ...] = (
    (PlaceKind.STATION, ("gare", "station", "bus", "train", "p+r", "park and ride")),
    (PlaceKind.SCHOOL, ("athenee", "college", "ecole", "school", "lycee", "institut", "campus", "academie")),
    (PlaceKind.MARKET, ("marche", "market", "grand-place", "grand place")),
    (PlaceKind.LIBRARY, ("biblio", "library", "mediatheque")),
    (PlaceKind.SPORTS, ("sport", "piscine", "stade", "swimming", "stadium", "omnisport")),
    (PlaceKind.CHURCH, ("eglise", "church", "chapelle", "basilique")),
    (PlaceKind.TOWN_HALL, ("hotel-de-ville", "hotel de ville", "town hall", "maison communale", "administration")),
    (PlaceKind.CULTURE, ("cultur", "theatre", "cinema", "musee", "museum")),
    (PlaceKind.SHOPS, ("commerce", "shop", "rue", "magasin", "galerie")),
)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def place_kind(parking_id: str, name: str) -> PlaceKind:
    """Guess the kind of place from a parking's id and name; the town centre when nothing matches."""
    text = f"{_plain(parking_id)} {_plain(name)}"
    for kind, words in _KEYWORDS:
        if any(word in text for word in words):
            return kind
    return PlaceKind.CENTRE


def profile_for(parking_id: str, name: str) -> Profile:
    return PROFILES[place_kind(parking_id, name)]
