"""Unit tests of the line-protocol encoder: escaping, value formats, refusals (no server needed)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

import pytest

from ridebuy.store.lineprotocol import (
    TIME_MAX_NS,
    LineEncoder,
    LineProtocolError,
    encode_points,
    escape_key,
    escape_measurement,
    format_field_value,
    quote_string,
)
from ridebuy.store.points import Point


def line(measurement: str, tags: dict[str, str], fields: dict[str, object], time_ns: int = 1) -> str:
    point = Point(measurement, tuple(tags.items()), tuple(fields.items()), time_ns)  # type: ignore[arg-type]
    return LineEncoder().line(point)


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("occupancy", "occupancy"),
        ("a b", r"a\ b"),
        ("a,b", r"a\,b"),
        ("a=b", "a=b"),  # '=' needs no escape in a measurement
        ('a"b', 'a"b'),
        ("é☃", "é☃"),
        (" ,", r"\ \,"),
    ],
)
def test_measurement_escaping(name: str, escaped: str) -> None:
    assert escape_measurement(name) == escaped


@pytest.mark.parametrize(
    ("name", "escaped"),
    [
        ("grand-place", "grand-place"),
        ("a b", r"a\ b"),
        ("a,b", r"a\,b"),
        ("a=b", r"a\=b"),
        ("a, =b", r"a\,\ \=b"),
        ('a"b', 'a"b'),  # quotes mean nothing in keys and tag values
        ("'", "'"),
        ("Hannut ☃ 𝄞", r"Hannut\ ☃\ 𝄞"),
    ],
)
def test_key_and_tag_value_escaping(name: str, escaped: str) -> None:
    assert escape_key(name) == escaped


@pytest.mark.parametrize(
    ("value", "quoted"),
    [
        ("plain", '"plain"'),
        ("", '""'),
        ('say "hi"', r'"say \"hi\""'),
        ("back\\slash", r'"back\\slash"'),
        ("trailing\\", r'"trailing\\"'),
        ('\\"', r'"\\\""'),
        ("two\nlines", '"two\nlines"'),  # kept literal: a quoted newline does not end the line
        ("a, b=c d", '"a, b=c d"'),
    ],
)
def test_string_field_quoting(value: str, quoted: str) -> None:
    assert quote_string(value) == quoted


@pytest.mark.parametrize(
    "name",
    ["back\\slash", "trailing\\", "new\nline", "carriage\rreturn", "tab\there", "nul\x00", "del\x7f", ""],
)
def test_names_that_cannot_be_written_exactly_are_refused(name: str) -> None:
    with pytest.raises(LineProtocolError):
        escape_key(name)
    with pytest.raises(LineProtocolError):
        escape_measurement(name)
    with pytest.raises(LineProtocolError):
        line("m", {"t": name}, {"f": 1}) if name else line("m", {"": "x"}, {"f": 1})


def test_a_measurement_starting_with_hash_is_refused_it_would_be_a_comment() -> None:
    with pytest.raises(LineProtocolError, match="comment"):
        escape_measurement("#m")
    assert escape_measurement("m#") == "m#"


def test_values_by_type() -> None:
    assert format_field_value("f", 7) == "7i"
    assert format_field_value("f", -9_223_372_036_854_775_808) == "-9223372036854775808i"
    assert format_field_value("f", 9_223_372_036_854_775_807) == "9223372036854775807i"
    assert format_field_value("f", True) == "true"
    assert format_field_value("f", False) == "false"
    assert format_field_value("f", 3.0) == "3.0"  # stays a float field, never turns into an integer
    assert format_field_value("f", -0.5) == "-0.5"
    assert format_field_value("f", 1e16) == "1e+16"
    assert format_field_value("f", 1e-5) == "1e-05"
    assert format_field_value("f", 0.1 + 0.2) == "0.30000000000000004"  # repr: shortest exact round trip


def test_enum_subclasses_are_written_as_their_base_type() -> None:
    class Level(IntEnum):
        HIGH = 3

    class Colour(StrEnum):
        RED = "red"

    assert format_field_value("f", Level.HIGH) == "3i"
    assert format_field_value("f", Colour.RED) == '"red"'


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf"), 2**63, -(2**63) - 1, None, b"bytes", [1]])
def test_values_that_cannot_be_written_are_refused(value: object) -> None:
    with pytest.raises(LineProtocolError, match="'f'"):
        format_field_value("f", value)  # type: ignore[arg-type]
    with pytest.raises(LineProtocolError):
        line("m", {}, {"f": value})


def test_a_whole_line() -> None:
    assert (
        line(
            "occupancy",
            {"parking": "grand place", "device": "gp,1", "kind": "rack"},
            {"occupied": 7, "ts_from_receipt": True},
            1_777_852_800_000_000_123,
        )
        == r"occupancy,device=gp\,1,kind=rack,parking=grand\ place occupied=7i,ts_from_receipt=true "
        "1777852800000000123"
    )


def test_tags_are_sorted_by_key_and_empty_values_left_out() -> None:
    assert line("m", {"z": "1", "a": "", "m": "2"}, {"f": 1.5}) == "m,m=2,z=1 f=1.5 1"
    assert line("m", {"a": ""}, {"f": 1}) == "m f=1i 1"


def test_a_tag_given_twice_is_refused() -> None:
    point = Point("m", (("t", "1"), ("t", "2")), (("f", 1),), 1)
    with pytest.raises(LineProtocolError, match="twice"):
        LineEncoder().line(point)


def test_field_keys_are_escaped() -> None:
    assert line("m", {}, {"a b": 1, "c,d": 2, "e=f": 3}) == r"m a\ b=1i,c\,d=2i,e\=f=3i 1"


def test_a_point_without_fields_is_refused() -> None:
    with pytest.raises(LineProtocolError, match="no fields"):
        LineEncoder().line(Point("m", (), (), 1))


@pytest.mark.parametrize("time_ns", [TIME_MAX_NS + 1, 1.5, True, "1"])
def test_times_influxdb_cannot_store_are_refused(time_ns: object) -> None:
    with pytest.raises(LineProtocolError, match="time"):
        LineEncoder().line(Point("m", (), (("f", 1),), time_ns))  # type: ignore[arg-type]


def test_encode_joins_lines_and_caches_series() -> None:
    encoder = LineEncoder(max_cached_series=2)
    points = [Point("m", (("t", str(i % 3)),), (("f", i),), i) for i in range(6)]
    body = encoder.encode(points)
    assert body.decode().split("\n") == [f"m,t={i % 3} f={i}i {i}" for i in range(6)]
    assert len(encoder._series) <= 2  # bounded: cleared when full, never grows without limit
    assert encode_points(points) == body


def test_encode_is_utf8() -> None:
    assert encode_points([Point("m", (("t", "é"),), (("s", "☃"),), 1)]) == 'm,t=é s="☃" 1'.encode()


def test_one_bad_point_refuses_the_batch_and_names_the_problem() -> None:
    points = [Point("m", (("t", "ok"),), (("f", 1),), 1), Point("m", (("t", "bad\n"),), (("f", 1),), 2)]
    with pytest.raises(LineProtocolError, match=r"tag 't' value 'bad\\n'"):
        encode_points(points)
