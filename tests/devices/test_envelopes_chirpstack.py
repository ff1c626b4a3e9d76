"""ChirpStack v4 ``up`` and ``status`` events: identification by DevEUI, omitted zeros, status, refusals."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from ridebuy.devices.envelopes import UnknownDevice, decode_envelope
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.registry import DeviceFormat, DeviceKind
from ridebuy.devices.rejections import Rejected, RejectReason
from tests.devices.lorawan_registry import NOW_NS, lorawan_registry

REGISTRY = lorawan_registry()
APP = "17c82e96-be03-4f38-aef3-f83d48582d97"
UP_TOPIC = f"application/{APP}/device/0101010101010101/event/up"
STATUS_TOPIC = f"application/{APP}/device/0101010101010101/event/status"
DEVICE_INFO = {
    "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242",
    "tenantName": "ChirpStack",
    "applicationId": APP,
    "applicationName": "Test application",
    "deviceProfileId": "14855bf7-d10d-4aee-b618-ebfcb64dc7ad",
    "deviceProfileName": "Test device-profile",
    "deviceName": "Test device",
    "devEui": "0101010101010101",
    "tags": {"key": "value"},
}
# The documented `up` example (integrations/events.md): no fCnt, since zero values are left out.
UP: dict[str, Any] = {
    "deduplicationId": "3ac7e3c4-4401-4b8d-9386-a5c902f9202d",
    "time": "2026-05-28T20:26:15.775023242+00:00",
    "deviceInfo": DEVICE_INFO,
    "devAddr": "00189440",
    "dr": 1,
    "fPort": 1,
    "data": "qg==",
    "rxInfo": [
        {
            "gatewayId": "0016c001f153a14c",
            "uplinkId": 4217106255,
            "rssi": -36,
            "snr": 10.5,
            "context": "E3OWOQ==",
            "metadata": {"region_name": "eu868", "region_common_name": "EU868"},
        }
    ],
    "txInfo": {"frequency": 867100000, "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": 11}}},
}
UP_TIME_NS = 1_779_999_975_775_023_242
STATUS: dict[str, Any] = {
    "deduplicationId": "bf2a9746-1c8b-49be-a92e-f0b89c8534e4",
    "time": "2026-05-28T20:26:16.927172638+00:00",
    "deviceInfo": DEVICE_INFO,
    "margin": 10,
    "batteryLevel": 88.3,
}


def decode(payload: object, topic: str = UP_TOPIC) -> list[Reading]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_envelope(DeviceFormat.CHIRPSTACK, topic, raw, NOW_NS, REGISTRY)


def with_(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def test_documented_up_event_with_omitted_frame_counter() -> None:
    occupancy, status = decode(UP)
    # 0xAA on fPort 1: bit 0 is clear, the space is free.
    assert occupancy == OccupancyReading("gp-slot-docs", "grand-place", DeviceKind.SLOT, 0, UP_TIME_NS)
    assert status == StatusReading(
        "gp-slot-docs", UP_TIME_NS, {"rssi": -36.0, "snr": 10.5, "f_cnt": 0, "gateways": 1, "spreading_factor": 11}
    )


def test_topic_dev_eui_may_be_lower_case_and_registry_upper_case() -> None:
    topic = f"application/{APP}/device/24e124713d000003/event/up"
    event = with_(UP, deviceInfo={**DEVICE_INFO, "devEui": "24e124713d000003"}, fPort=85, data="BcwBAAIA", fCnt=7)
    inward, outward, status = decode(event, topic)
    assert isinstance(inward, PassageReading) and isinstance(outward, PassageReading)
    assert (inward.device_id, inward.count, outward.count, inward.interval_s) == ("cn-count-cs", 1, 2, 3600)
    assert isinstance(status, StatusReading) and status.values["f_cnt"] == 7


def test_documented_status_event() -> None:
    (status,) = decode(STATUS, STATUS_TOPIC)
    assert status == StatusReading("gp-slot-docs", 1_779_999_976_927_172_638, {"margin_db": 10.0, "battery_pct": 88.3})


def test_status_battery_zero_is_omitted_but_unavailable_and_mains_say_nothing() -> None:
    (empty,) = decode(with_(STATUS, batteryLevel=None), STATUS_TOPIC)
    assert isinstance(empty, StatusReading) and empty.values["battery_pct"] == 0.0
    (mains,) = decode(with_(STATUS, batteryLevel=None, externalPowerSource=True), STATUS_TOPIC)
    (unknown,) = decode(with_(STATUS, batteryLevel=None, batteryLevelUnavailable=True, margin=None), STATUS_TOPIC)
    assert isinstance(mains, StatusReading) and isinstance(unknown, StatusReading)
    assert mains.values == {"margin_db": 10.0}
    assert unknown.values == {"margin_db": 0.0}


def test_decoded_object_of_a_formatter_for_a_device_without_codec() -> None:
    topic = f"application/{APP}/device/a000000000000004/event/up"
    event = with_(UP, deviceInfo={**DEVICE_INFO, "devEui": "A000000000000004"}, object={"direction": "out", "count": 3})
    passage, _ = decode(event, topic)
    assert isinstance(passage, PassageReading)
    assert (passage.direction.value, passage.count, passage.interval_s) == ("out", 3, 0)


def test_empty_application_payload_is_a_sign_of_life() -> None:
    (status,) = decode(with_(UP, data=None))
    assert isinstance(status, StatusReading) and status.values["gateways"] == 1


def test_unknown_dev_eui_is_dead_lettered_with_its_ids() -> None:
    topic = f"application/{APP}/device/00000000000000ab/event/up"
    with pytest.raises(UnknownDevice) as caught:
        decode(with_(UP, deviceInfo={**DEVICE_INFO, "devEui": "00000000000000ab"}), topic)
    assert caught.value.device_id == "00000000000000ab"
    assert "DevEUI 00000000000000AB" in caught.value.detail and APP in caught.value.detail


@pytest.mark.parametrize(
    ("payload", "topic", "reason", "detail"),
    [
        (UP, f"application/{APP}/device/0101010101010101/event/join", RejectReason.BAD_TOPIC, "join"),
        (UP, f"application/{APP}/device/not-an-eui/event/up", RejectReason.BAD_TOPIC, "16 hex"),
        (UP, f"application/{APP}/device/0202020202020202/event/up", RejectReason.INVALID_PAYLOAD, "differs"),
        (UP, "application/another-app/device/0101010101010101/event/up", RejectReason.INVALID_PAYLOAD, "applicationId"),
        (with_(UP, deviceInfo=None), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "deviceInfo"),
        (with_(UP, fCnt=-1), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "fCnt"),
        (with_(UP, data="%%%"), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "base64"),
        (with_(UP, time="18/07/2022"), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "time"),
        (with_(UP, fPort=7), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "unknown fPort 7"),
        (with_(UP, fPort=3, data="JAM="), UP_TOPIC, RejectReason.INVALID_PAYLOAD, "fPort 3: truncated"),
        (with_(STATUS, batteryLevel=180), STATUS_TOPIC, RejectReason.INVALID_PAYLOAD, "batteryLevel"),
        (b"\xff\xfe", UP_TOPIC, RejectReason.INVALID_JSON, ""),
    ],
)
def test_refusals(payload: object, topic: str, reason: RejectReason, detail: str) -> None:
    with pytest.raises(Rejected) as caught:
        decode(payload, topic)
    assert caught.value.reason is reason
    assert detail in caught.value.detail
