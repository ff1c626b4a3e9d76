"""Property tests: whatever arrives, decoding yields a reading or a Rejected verdict, never anything else."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from ridebuy.devices.native import decode_native
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.rejections import Rejected
from tests.devices.helpers import small_registry

REGISTRY = small_registry()
NOW_NS = 1_780_000_000_000_000_000
DEVICES = [d.id for d in REGISTRY.devices] + ["stranger", "", "a b", "é"]
KINDS = ["occupancy", "passage", "status", "x", ""]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
payload_dicts = st.fixed_dictionaries(
    {},
    optional={
        "ts": json_values | st.integers(0, 10**14),
        "occupied": json_values,
        "direction": st.sampled_from(["in", "out", "up"]) | json_values,
        "count": json_values,
        "class": st.sampled_from(["bike", "cargo", "car"]) | json_values,
        "battery_v": json_values,
        "seq": json_values,
    },
)


def decode_or_reject(topic: str, payload: bytes) -> object:
    try:
        return decode_native(topic, payload, NOW_NS, REGISTRY)
    except Rejected as rejection:
        return rejection


@settings(max_examples=400, deadline=None)
@given(device=st.sampled_from(DEVICES), kind=st.sampled_from(KINDS), payload=st.binary(max_size=300))
def test_arbitrary_bytes(device: str, kind: str, payload: bytes) -> None:
    result = decode_or_reject(f"ridebuy/v1/devices/{device}/{kind}", payload)
    assert isinstance(result, Rejected | OccupancyReading | PassageReading | StatusReading)


@settings(max_examples=400, deadline=None)
@given(device=st.sampled_from(DEVICES), kind=st.sampled_from(KINDS), body=payload_dicts)
def test_arbitrary_json_objects(device: str, kind: str, body: dict[str, object]) -> None:
    payload = json.dumps(body).encode()
    result = decode_or_reject(f"ridebuy/v1/devices/{device}/{kind}", payload)
    assert isinstance(result, Rejected | OccupancyReading | PassageReading | StatusReading)
    if isinstance(result, OccupancyReading):
        assert result.occupied >= 0
        assert result.ts_ns <= NOW_NS + 300 * 10**9


@settings(max_examples=200, deadline=None)
@given(topic=st.text(max_size=120), payload=st.binary(max_size=50))
def test_arbitrary_topics(topic: str, payload: bytes) -> None:
    result = decode_or_reject(topic, payload)
    assert isinstance(result, Rejected | OccupancyReading | PassageReading | StatusReading)
