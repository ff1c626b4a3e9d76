"""Simulator side: values -> codec bytes -> TTS / ChirpStack envelope -> decode_envelope gives the values back."""

from __future__ import annotations

import itertools

import paho.mqtt.client as mqtt
import pytest

from ridebuy.devices.codecs import CODECS, Codec, Count, Values, heartbeat_allowance_s
from ridebuy.devices.envelopes import (
    SUBSCRIPTIONS,
    FrameVerdict,
    Uplink,
    chirpstack_status,
    decode_envelope,
    format_of_topic,
    judge_frame,
    parse_envelope,
    simulated_uplink,
)
from ridebuy.devices.payloads import Direction
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceFormat, DeviceKind, Registry, parse_registry
from tests.devices.lorawan_registry import NOW_NS, TWO_GATEWAYS

FORMATS = (DeviceFormat.TTN, DeviceFormat.CHIRPSTACK)
EARLIER_NS = NOW_NS - 7200 * 10**9
"""A stored history record of two hours ago (whole seconds, as the device stamps it)."""
SAMPLES: dict[str, list[Values]] = {
    "bosch-tps110": [Values(occupied=1), Values(occupied=0, status={"temperature_c": 4.0})],
    "milesight-vs340": [Values(occupied=1, status={"battery_pct": 97.0}), Values(occupied=0)],
    "milesight-vs350": [
        Values(counts=(Count(Direction.IN, 14), Count(Direction.OUT, 9)), status={"battery_pct": 80.0}),
        Values(counts=(Count(Direction.IN, 2, end_ns=EARLIER_NS), Count(Direction.OUT, 1, end_ns=EARLIER_NS))),
    ],
}


def device_id(codec: Codec, fmt: DeviceFormat) -> str:
    return f"{codec.name}-{fmt.value}"


def simulated_registry() -> Registry:
    devices = []
    for number, (codec, fmt) in enumerate(itertools.product(CODECS.values(), FORMATS), start=1):
        kind = sorted(codec.kinds)[0]
        place = {"counter": "c"} if kind is DeviceKind.COUNTER else {"parking": "p"}
        devices.append(
            {
                "id": device_id(codec, fmt),
                "kind": kind.value,
                **place,
                "format": fmt.value,
                "codec": codec.name,
                "dev_eui": f"{number:016X}",
            }
        )
    return parse_registry(
        {
            "parkings": [{"id": "p", "name": "P", "lat": 50.67, "lon": 5.07, "capacity": 20}],
            "counters": [{"id": "c", "name": "C", "lat": 50.67, "lon": 5.07}],
            "devices": devices,
        },
        "simulated.yaml",
    )


REGISTRY = simulated_registry()
CASES = [
    pytest.param(codec, fmt, values, id=f"{codec.name}-{fmt.value}-{index}")
    for codec, fmt in itertools.product(CODECS.values(), FORMATS)
    for index, values in enumerate(SAMPLES[codec.name])
]


def test_every_codec_has_samples() -> None:
    assert set(SAMPLES) == set(CODECS)


@pytest.mark.parametrize(("codec", "fmt", "values"), CASES)
def test_round_trip(codec: Codec, fmt: DeviceFormat, values: Values) -> None:
    device = REGISTRY.device_by_id[device_id(codec, fmt)]
    time_ns = NOW_NS - 2 * 10**9
    topic, payload = simulated_uplink(device, values, f_cnt=1234, time_ns=time_ns, receptions=TWO_GATEWAYS)
    assert format_of_topic(topic) is fmt
    assert any(mqtt.topic_matches_sub(pattern, topic) for pattern in SUBSCRIPTIONS[fmt])

    readings = decode_envelope(fmt, topic, payload, NOW_NS, REGISTRY)

    status = readings[-1]
    assert isinstance(status, StatusReading)
    assert status.ts_ns == time_ns and not status.ts_from_receipt
    assert status.values == {
        **values.status,
        "rssi": -97.0,
        "snr": 6.5,
        "f_cnt": 1234,
        "gateways": 2,
        "spreading_factor": 9,
    }
    data = readings[:-1]
    if values.occupied is not None:
        assert data == [OccupancyReading(device.id, "p", device.kind, values.occupied, time_ns)]
    else:
        interval_s = heartbeat_allowance_s(device)
        assert [(r.direction, r.count, r.interval_s, r.ts_ns) for r in data if isinstance(r, PassageReading)] == [
            (c.direction, c.count, interval_s, (c.end_ns or time_ns) - interval_s * 10**9) for c in values.counts
        ]
        assert len(data) == len(values.counts)


def test_consecutive_simulated_uplinks_follow_in_one_session_until_a_rejoin() -> None:
    device = REGISTRY.device_by_id[device_id(CODECS["bosch-tps110"], DeviceFormat.TTN)]

    def uplink(f_cnt: int, session: str | None = None) -> Uplink:
        topic, payload = simulated_uplink(
            device, Values(occupied=1), f_cnt=f_cnt, time_ns=NOW_NS, receptions=TWO_GATEWAYS[:1], session=session
        )
        return parse_envelope(DeviceFormat.TTN, topic, payload)

    verdict, state = judge_frame(None, uplink(41))
    assert verdict is FrameVerdict.FIRST
    verdict, state = judge_frame(state, uplink(42))
    assert verdict is FrameVerdict.NEXT
    verdict, state = judge_frame(state, uplink(0, session="bmV3LXNlc3Npb24="))
    assert verdict is FrameVerdict.NEW_SESSION


def test_chirpstack_status_builder_round_trip() -> None:
    device = REGISTRY.device_by_id[device_id(CODECS["milesight-vs340"], DeviceFormat.CHIRPSTACK)]
    assert device.dev_eui is not None
    topic, payload = chirpstack_status(
        application_id="5f9e5a3c-7d3e-4d0a-9a57-9a1d6c1b2e01",
        dev_eui=device.dev_eui,
        device_name=device.id,
        time_ns=NOW_NS - 10**9,
        margin_db=12,
        battery_pct=64.0,
    )
    assert any(mqtt.topic_matches_sub(pattern, topic) for pattern in SUBSCRIPTIONS[DeviceFormat.CHIRPSTACK])
    (status,) = decode_envelope(DeviceFormat.CHIRPSTACK, topic, payload, NOW_NS, REGISTRY)
    assert status == StatusReading(device.id, NOW_NS - 10**9, {"margin_db": 12.0, "battery_pct": 64.0})


def test_native_topics_are_told_apart() -> None:
    assert format_of_topic("ridebuy/v1/devices/gp-rack-1/occupancy") is DeviceFormat.NATIVE


def test_simulated_uplink_refuses_a_device_it_cannot_speak_for() -> None:
    native = parse_registry(
        {
            "parkings": [{"id": "p", "name": "P", "lat": 50.0, "lon": 5.0, "capacity": 2}],
            "devices": [{"id": "r", "kind": "rack", "parking": "p"}],
        },
        "n.yaml",
    ).device_by_id["r"]
    with pytest.raises(ValueError, match="names no codec"):
        simulated_uplink(native, Values(occupied=1), f_cnt=1, time_ns=NOW_NS, receptions=TWO_GATEWAYS)
