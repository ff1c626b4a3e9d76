import json

import pytest

from ridebuy.devices.native import Limits, decode_native, passage_point_ns
from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceKind
from ridebuy.devices.rejections import Rejected, RejectReason
from tests.devices.helpers import small_registry

NOW_NS = 1_780_000_000_000_000_000
REGISTRY = small_registry()


def decode(device: str, kind: str, payload: object) -> object:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_native(f"ridebuy/v1/devices/{device}/{kind}", raw, NOW_NS, REGISTRY)


def reason_of(device: str, kind: str, payload: object) -> RejectReason:
    with pytest.raises(Rejected) as caught:
        decode(device, kind, payload)
    return caught.value.reason


def test_rack_occupancy_with_rfc3339_time() -> None:
    reading = decode("gp-rack-1", "occupancy", {"ts": "2026-05-04T08:15:00+02:00", "occupied": 7})
    assert reading == OccupancyReading(
        "gp-rack-1", "grand-place", DeviceKind.RACK, 7, 1_777_875_300 * 10**9, ts_from_receipt=False
    )


def test_slot_occupancy_with_epoch_ms() -> None:
    reading = decode("gp-slot-01", "occupancy", {"ts": 1_777_875_300_123, "occupied": True})
    assert isinstance(reading, OccupancyReading)
    assert (reading.occupied, reading.ts_ns) == (1, 1_777_875_300_123_000_000)


def test_missing_ts_uses_time_of_receipt_and_says_so() -> None:
    reading = decode("gp-slot-01", "occupancy", {"occupied": False})
    assert isinstance(reading, OccupancyReading)
    assert reading.ts_ns == NOW_NS
    assert reading.ts_from_receipt


def test_passage_defaults() -> None:
    reading = decode("cn-count-1", "passage", {"ts": 1_777_875_300_000, "direction": "in"})
    assert isinstance(reading, PassageReading)
    assert (reading.count, reading.interval_s, reading.traffic_class) == (1, 0, TrafficClass.BIKE)
    assert reading.direction is Direction.IN


def test_status_keeps_present_values_only() -> None:
    reading = decode("gp-rack-1", "status", {"battery_v": 3.6, "rssi": -97, "firmware": "1.2.0"})
    assert isinstance(reading, StatusReading)
    assert reading.values == {"battery_v": 3.6, "rssi": -97.0, "firmware": "1.2.0"}


@pytest.mark.parametrize(
    ("device", "kind", "payload", "reason"),
    [
        ("gp-rack-1", "nonsense", {"occupied": 1}, RejectReason.BAD_TOPIC),
        ("nobody", "occupancy", {"occupied": 1}, RejectReason.UNKNOWN_DEVICE),
        ("cn-count-1", "occupancy", {"occupied": 1}, RejectReason.WRONG_KIND),
        ("gp-rack-1", "passage", {"direction": "in"}, RejectReason.WRONG_KIND),
        ("gp-rack-1", "occupancy", b"{not json", RejectReason.INVALID_JSON),
        ("gp-rack-1", "occupancy", b"\xff\xfe\x00", RejectReason.INVALID_JSON),
        ("gp-rack-1", "occupancy", b"[1, 2]", RejectReason.INVALID_JSON),
        ("gp-rack-1", "occupancy", b"[" * 10_000 + b"]" * 10_000, RejectReason.INVALID_JSON),
        ("gp-rack-1", "status", b'{"battery_v": NaN}', RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {"occupied": -1}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {"occupied": "7"}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {"occupied": True}, RejectReason.INVALID_PAYLOAD),
        ("gp-slot-01", "occupancy", {"occupied": 1}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {"occupied": 1, "ts": "yesterday"}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", {"occupied": 1, "ts": "2026-05-04T08:15:00"}, RejectReason.INVALID_PAYLOAD),
        ("cn-count-1", "passage", {"direction": "sideways"}, RejectReason.INVALID_PAYLOAD),
        ("cn-count-1", "passage", {"direction": "in", "class": "car"}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "status", {"battery_pct": 140}, RejectReason.INVALID_PAYLOAD),
        ("gp-rack-1", "occupancy", b'{"occupied": 1, "pad": "' + b"x" * 70_000 + b'"}', RejectReason.TOO_LARGE),
        (
            "gp-rack-1",
            "occupancy",
            {"occupied": 1, "ts": (NOW_NS // 10**6) + 3_600_000},
            RejectReason.TIMESTAMP_IN_FUTURE,
        ),
    ],
)
def test_each_rejection_reason(device: str, kind: str, payload: object, reason: RejectReason) -> None:
    assert reason_of(device, kind, payload) is reason


def test_rejection_names_the_field() -> None:
    with pytest.raises(Rejected, match="occupied"):
        decode("gp-rack-1", "occupancy", {"occupied": "seven"})


def test_future_allowance_is_configurable() -> None:
    payload = json.dumps({"occupied": 1, "ts": NOW_NS // 10**6 + 10_000}).encode()
    topic = "ridebuy/v1/devices/gp-rack-1/occupancy"
    with pytest.raises(Rejected):
        decode_native(topic, payload, NOW_NS, REGISTRY, Limits(max_future_s=5))
    assert decode_native(topic, payload, NOW_NS, REGISTRY, Limits(max_future_s=60))


def test_distinct_passages_in_one_millisecond_get_distinct_times() -> None:
    ts = 1_777_875_300_000 * 10**6
    first = passage_point_ns(ts, None, b'{"direction":"in","ts":1777875300000}')
    second = passage_point_ns(ts, None, b'{"direction":"out","ts":1777875300000}')
    assert first != second
    assert ts <= first < ts + 10**6 and ts <= second < ts + 10**6


def test_redelivered_passage_maps_to_the_same_time() -> None:
    payload = b'{"direction":"in","ts":1777875300000}'
    ts = 1_777_875_300_000 * 10**6
    assert passage_point_ns(ts, None, payload) == passage_point_ns(ts, None, payload)
    assert passage_point_ns(ts, 41, b"a") == passage_point_ns(ts, 41, b"b") == ts + 41


@pytest.mark.parametrize(
    "ts",
    [
        1_795_795_055,  # epoch seconds: read as milliseconds it is 1970-01-21
        0,
        "2009-12-31T23:59:59Z",
        "2026-W19-1T08:15:00Z",  # ISO 8601 week date
        "2026-124T08:15:00Z",  # ISO 8601 ordinal date
        "20260504T081500Z",  # ISO 8601 basic format
        "2026-05-04 08:15:00Z",  # a space for T
        "2026-05-04T08:15Z",  # no seconds
        "2026-05-04T08:15:00+0200",  # offset without its colon
        "2026-05-04T24:00:00Z",
        "2026-02-30T08:15:00Z",
        "2026-05-04T08:15:00+24:00",
    ],
)
def test_implausible_or_non_rfc3339_times_are_refused(ts: object) -> None:
    with pytest.raises(Rejected, match="ts") as refused:
        decode("gp-rack-1", "occupancy", {"occupied": 1, "ts": ts})
    assert refused.value.reason is RejectReason.INVALID_PAYLOAD


def test_epoch_seconds_are_refused_with_a_hint() -> None:
    with pytest.raises(Rejected, match="epoch seconds"):
        decode("gp-rack-1", "occupancy", {"occupied": 1, "ts": 1_795_795_055})


@pytest.mark.parametrize(
    ("ts", "ns"),
    [
        ("2026-05-04t06:15:00z", 1_777_875_300 * 10**9),
        ("2026-05-04T08:15:00.123456789+02:00", 1_777_875_300_123_456_789),
        ("2026-05-04T06:15:00.5Z", 1_777_875_300_500_000_000),
    ],
)
def test_rfc3339_in_either_case_with_up_to_nanoseconds(ts: str, ns: int) -> None:
    reading = decode("gp-rack-1", "occupancy", {"occupied": 1, "ts": ts})
    assert isinstance(reading, OccupancyReading) and reading.ts_ns == ns
