"""Encoders for the simulators: whatever a codec encodes, it decodes back to the same values."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ridebuy.devices.codecs import CODECS, Codec, CodecError, Count, Values
from ridebuy.devices.payloads import Direction

TPS110 = CODECS["bosch-tps110"]
VS340 = CODECS["milesight-vs340"]
VS350 = CODECS["milesight-vs350"]


def round_trip(codec: Codec, values: Values) -> Values:
    f_port, data = codec.encode(values)
    return codec.from_decoded(f_port, codec.decode(f_port, data))


@given(occupied=st.sampled_from([0, 1]), temperature=st.none() | st.integers(-40, 85))
def test_tps110_round_trip(occupied: int, temperature: int | None) -> None:
    status = {} if temperature is None else {"temperature_c": float(temperature)}
    values = Values(occupied=occupied, status=status)
    assert round_trip(TPS110, values) == values


def test_tps110_sends_a_change_on_port_1_and_a_heartbeat_on_port_2() -> None:
    assert TPS110.encode(Values(occupied=1)) == (1, b"\x01")
    assert TPS110.encode(Values(occupied=0, status={"temperature_c": -1.0})) == (2, b"\x00\xff")


@given(occupied=st.sampled_from([0, 1]), battery=st.none() | st.integers(0, 100))
def test_vs340_round_trip(occupied: int, battery: int | None) -> None:
    status = {} if battery is None else {"battery_pct": float(battery)}
    values = Values(occupied=occupied, status=status)
    assert round_trip(VS340, values) == values


counts = st.integers(0, 0xFFFF)


@given(
    period=st.none() | st.tuples(counts, counts),
    history=st.dictionaries(st.integers(1_600_000_000, 2_000_000_000), st.tuples(counts, counts), max_size=3),
    battery=st.none() | st.integers(0, 100),
    temperature_dc=st.none() | st.integers(-400, 850),
)
def test_vs350_round_trip(
    period: tuple[int, int] | None,
    history: dict[int, tuple[int, int]],
    battery: int | None,
    temperature_dc: int | None,
) -> None:
    made: list[Count] = []
    if period is not None:
        made += [Count(Direction.IN, period[0]), Count(Direction.OUT, period[1])]
    for stamp in sorted(history):
        end_ns = stamp * 1_000_000_000
        inward, outward = history[stamp]
        made += [Count(Direction.IN, inward, end_ns=end_ns), Count(Direction.OUT, outward, end_ns=end_ns)]
    status: dict[str, float | int | str] = {}
    if battery is not None:
        status["battery_pct"] = float(battery)
    if temperature_dc is not None:
        status["temperature_c"] = temperature_dc / 10
    if not made and not status:
        return
    values = Values(counts=tuple(made), status=status)
    assert round_trip(VS350, values) == values


@pytest.mark.parametrize(
    ("codec", "values", "message"),
    [
        (TPS110, Values(occupied=3), "0 or 1"),
        (TPS110, Values(), "0 or 1"),
        (TPS110, Values(occupied=1, status={"temperature_c": 200.0}), "signed byte"),
        (VS340, Values(occupied=None), "0 or 1"),
        (VS340, Values(occupied=1, status={"battery_pct": 140.0}), "percentage"),
        (VS350, Values(counts=(Count(Direction.IN, 70_000),)), "16 bits"),
        (VS350, Values(), "nothing to encode"),
    ],
)
def test_encoders_refuse_what_the_bytes_cannot_carry(codec: Codec, values: Values, message: str) -> None:
    with pytest.raises(CodecError, match=message):
        codec.encode(values)
