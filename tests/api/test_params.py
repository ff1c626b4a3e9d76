"""Pure helpers: distances and positions, durations and ranges, ETag matching."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import pytest

from ridebuy.api.caching import _etag_matches, _not_modified_since
from ridebuy.api.errors import BadParameter
from ridebuy.api.geo import EARTH_RADIUS_M, Position, distance_m, parse_position
from ridebuy.api.timeparams import parse_duration_s, resolve_range, to_datetime, to_ns


def test_distance_of_one_degree_along_a_meridian() -> None:
    assert distance_m(Position(0, 0), Position(1, 0)) == pytest.approx(EARTH_RADIUS_M * math.pi / 180)
    assert distance_m(Position(50.67, 5.08), Position(50.67, 5.08)) == 0
    assert distance_m(Position(0, 179.5), Position(0, -179.5)) == pytest.approx(EARTH_RADIUS_M * math.pi / 180)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("50.6", "must be 'lat,lon'"),
        ("a,b", "must be 'lat,lon'"),
        ("91,0", "latitude"),
        ("0,181", "longitude"),
        ("nan,0", "latitude"),
        ("1,2,3", "must be 'lat,lon'"),
    ],
)
def test_bad_positions_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_position(text)


def test_positions_parse() -> None:
    assert parse_position(" 50.6716, 5.077") == Position(50.6716, 5.077)


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1h", 3600), ("1d", 86_400), ("90s", 90)])
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration_s(text, "every") == seconds


@pytest.mark.parametrize("text", ["15", "m", "1w", "-1h", "10s", "8d", "1.5h"])
def test_bad_durations_name_the_parameter(text: str) -> None:
    with pytest.raises(BadParameter) as caught:
        parse_duration_s(text, "every")
    assert caught.value.parameter == "every"


def test_times_round_trip_to_the_microsecond() -> None:
    ns = 1_777_880_000_123_456_000
    moment = to_datetime(ns)
    assert moment == datetime(2026, 5, 4, 7, 33, 20, 123456, tzinfo=UTC)
    assert to_ns(moment) == ns
    assert to_datetime(None) is None


def test_ranges_default_to_a_day_before_now() -> None:
    span = resolve_range(None, None, 900, 1_777_880_000 * 10**9)
    assert (span.start_ns, span.end_ns) == ((1_777_880_000 - 86_400) * 10**9, 1_777_880_000 * 10**9)


def test_etag_comparison_is_weak_and_takes_lists() -> None:
    assert _etag_matches('"a"', '"a"')
    assert _etag_matches('W/"a"', '"a"')
    assert _etag_matches('"b", "a"', '"a"')
    assert _etag_matches("*", '"a"')
    assert not _etag_matches('"b"', '"a"')


def test_if_modified_since_compares_whole_seconds() -> None:
    assert _not_modified_since("Mon, 04 May 2026 07:33:20 GMT", 1_777_880_000)
    assert not _not_modified_since("Mon, 04 May 2026 07:33:19 GMT", 1_777_880_000)
    assert not _not_modified_since("garbage", 1_777_880_000)
