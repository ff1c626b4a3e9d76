"""The Things Stack v3 uplinks: identification, decoding, metadata and every refusal."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest

from ridebuy.devices.envelopes import UnknownDevice, decode_envelope, parse_envelope
from ridebuy.devices.native import Limits
from ridebuy.devices.payloads import Direction
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.registry import DeviceFormat, DeviceKind
from ridebuy.devices.rejections import Rejected, RejectReason
from tests.devices.lorawan_registry import NOW_NS, lorawan_registry

REGISTRY = lorawan_registry()
TOPIC = "v3/ridebuy-hannut@ttn/devices/gp-slot-tps/up"
RECEIVED_AT_NS = 1_779_999_990_123_456_789

# Shaped after the uplink example of the data-formats page (values are ours): zero values absent.
UPLINK: dict[str, Any] = {
    "end_device_ids": {
        "device_id": "gp-slot-tps",
        "application_ids": {"application_id": "ridebuy-hannut"},
        "dev_eui": "70B3D5E75E000001",
        "join_eui": "70B3D57ED0000000",
        "dev_addr": "260B1234",
    },
    "correlation_ids": ["as:up:01HZX", "gs:uplink:01HZY"],
    "received_at": "2026-05-28T20:26:30.123456789Z",
    "uplink_message": {
        "session_key_id": "AXBSH1Pk6Z0G166E8sF1rw==",
        "f_port": 2,
        "f_cnt": 42,
        "frm_payload": base64.b64encode(bytes([1, 0x15])).decode(),
        "rx_metadata": [
            {"gateway_ids": {"gateway_id": "hannut-gare", "eui": "B827EBFFFE000001"}, "rssi": -112, "snr": -3.5},
            {
                "gateway_ids": {"gateway_id": "hannut-hdv", "eui": "B827EBFFFE000002"},
                "rssi": -98,
                "snr": 7.25,
                "time": "2026-05-28T20:26:29.9Z",
            },
        ],
        "settings": {"data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": 10}}, "frequency": "868100000"},
        "received_at": "2026-05-28T20:26:30.100Z",
        "consumed_airtime": "0.370688s",
    },
}


def message(**changes: Any) -> dict[str, Any]:
    out = copy.deepcopy(UPLINK)
    for path, value in changes.items():
        node = out
        keys = path.split("__")
        for key in keys[:-1]:
            node = node[key]
        if value is None:
            node.pop(keys[-1], None)
        else:
            node[keys[-1]] = value
    return out


def decode(payload: object, topic: str = TOPIC, received_ns: int = NOW_NS) -> list[Reading]:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return decode_envelope(DeviceFormat.TTN, topic, raw, received_ns, REGISTRY)


def reason_of(payload: object, topic: str = TOPIC, received_ns: int = NOW_NS) -> Rejected:
    with pytest.raises(Rejected) as caught:
        decode(payload, topic, received_ns)
    return caught.value


def test_heartbeat_becomes_occupancy_and_status_with_radio_metadata() -> None:
    occupancy, status = decode(UPLINK)
    assert occupancy == OccupancyReading("gp-slot-tps", "grand-place", DeviceKind.SLOT, 1, RECEIVED_AT_NS)
    assert status == StatusReading(
        "gp-slot-tps",
        RECEIVED_AT_NS,
        {"temperature_c": 21.0, "rssi": -98.0, "snr": 7.25, "f_cnt": 42, "gateways": 2, "spreading_factor": 10},
    )


def test_topic_without_tenant_is_the_open_source_form() -> None:
    readings = decode(UPLINK, topic="v3/ridebuy-hannut/devices/gp-slot-tps/up")
    assert [type(r) for r in readings] == [OccupancyReading, StatusReading]


def test_device_found_by_dev_eui_when_its_network_id_differs() -> None:
    renamed = message(end_device_ids__device_id="eui-70b3d5e75e000001")
    readings = decode(renamed, topic="v3/ridebuy-hannut@ttn/devices/eui-70b3d5e75e000001/up")
    assert {r.device_id for r in readings} == {"gp-slot-tps"}


def test_zero_values_are_absent_frame_counter_zero_and_times_fall_back() -> None:
    first = message(uplink_message__f_cnt=None, received_at=None)
    occupancy, status = decode(first)
    assert isinstance(status, StatusReading)
    assert status.values["f_cnt"] == 0
    assert occupancy.ts_ns == 1_779_999_990_100_000_000  # uplink_message.received_at
    bare = message(received_at=None, uplink_message__received_at=None, uplink_message__rx_metadata=[])
    occupancy, status = decode(bare)
    assert isinstance(occupancy, OccupancyReading) and isinstance(status, StatusReading)
    assert (occupancy.ts_ns, occupancy.ts_from_receipt) == (NOW_NS, True)
    assert "rssi" not in status.values and status.values["gateways"] == 0


def test_uplink_without_application_payload_is_a_sign_of_life() -> None:
    mac_only = message(uplink_message__f_port=None, uplink_message__frm_payload=None)
    (status,) = decode(mac_only)
    assert isinstance(status, StatusReading)
    assert status.values["f_cnt"] == 42


def test_decoded_payload_without_bytes_goes_through_the_codec_mapping() -> None:
    decoded = message(
        uplink_message__frm_payload=None,
        uplink_message__decoded_payload={"type": "parking status", "occupied": False},
        uplink_message__f_port=1,
    )
    occupancy, _ = decode(decoded)
    assert isinstance(occupancy, OccupancyReading) and occupancy.occupied == 0


def test_bytes_win_over_a_formatter_with_other_field_names() -> None:
    custom = message(uplink_message__decoded_payload={"parked": "yes", "temp": 21})
    occupancy, status = decode(custom)
    assert isinstance(occupancy, OccupancyReading) and occupancy.occupied == 1
    assert isinstance(status, StatusReading) and status.values["temperature_c"] == 21.0


def test_device_without_codec_takes_a_native_shaped_decoded_payload() -> None:
    rack = message(
        end_device_ids__device_id="gp-rack-formatter",
        end_device_ids__dev_eui=None,
        uplink_message__decoded_payload={"occupied": 5, "battery_v": 3.6},
    )
    occupancy, status = decode(rack, topic="v3/ridebuy-hannut@ttn/devices/gp-rack-formatter/up")
    assert occupancy == OccupancyReading("gp-rack-formatter", "grand-place", DeviceKind.RACK, 5, RECEIVED_AT_NS)
    assert isinstance(status, StatusReading) and status.values["battery_v"] == 3.6


def test_last_battery_percentage_of_the_network_server_is_kept() -> None:
    with_battery = message(uplink_message__last_battery_percentage={"f_cnt": 40, "value": 87.5})
    _, status = decode(with_battery)
    assert isinstance(status, StatusReading) and status.values["battery_pct"] == 87.5


def test_counter_period_counts_cover_the_report_period() -> None:
    counts = message(
        end_device_ids__device_id="cn-count-ttn",
        end_device_ids__dev_eui=None,
        uplink_message__f_port=85,
        uplink_message__frm_payload=base64.b64encode(bytes([0x05, 0xCC, 12, 0, 7, 0])).decode(),
    )
    inward, outward, status = decode(counts, topic="v3/ridebuy-hannut@ttn/devices/cn-count-ttn/up")
    assert isinstance(inward, PassageReading) and isinstance(outward, PassageReading)
    assert (inward.direction, inward.count, outward.direction, outward.count) == (Direction.IN, 12, Direction.OUT, 7)
    assert inward.interval_s == 600  # the device's heartbeat_s: its report period
    assert inward.ts_ns == RECEIVED_AT_NS - 600 * 10**9
    assert inward.point_ns // 1_000_000 == inward.ts_ns // 1_000_000
    assert isinstance(status, StatusReading)


def test_unknown_device_names_its_ids_for_adoption() -> None:
    stranger = message(end_device_ids__device_id="new-sensor", end_device_ids__dev_eui="70B3D5E75E0000FF")
    with pytest.raises(UnknownDevice) as caught:
        decode(stranger, topic="v3/ridebuy-hannut@ttn/devices/new-sensor/up")
    rejection = caught.value
    assert rejection.reason is RejectReason.UNKNOWN_DEVICE
    assert rejection.device_id == "new-sensor"
    assert "DevEUI 70B3D5E75E0000FF" in rejection.detail and "ridebuy-hannut" in rejection.detail
    assert (rejection.ids.device_id, rejection.ids.dev_eui, rejection.ids.network) == (
        "new-sensor",
        "70B3D5E75E0000FF",
        DeviceFormat.TTN,
    )


@pytest.mark.parametrize(
    ("payload", "topic", "reason", "detail"),
    [
        (UPLINK, "v3/ridebuy-hannut/devices/gp-slot-tps/down/push", RejectReason.BAD_TOPIC, "v3/"),
        (UPLINK, "ridebuy/v1/devices/gp-slot-tps/occupancy", RejectReason.BAD_TOPIC, "v3/"),
        (UPLINK, "v3/other-app/devices/gp-slot-tps/up", RejectReason.INVALID_PAYLOAD, "differ from the topic"),
        (b"{not json", TOPIC, RejectReason.INVALID_JSON, ""),
        (b"[]", TOPIC, RejectReason.INVALID_JSON, ""),
        (message(uplink_message=None), TOPIC, RejectReason.INVALID_PAYLOAD, "uplink_message"),
        (message(uplink_message__f_cnt="many"), TOPIC, RejectReason.INVALID_PAYLOAD, "f_cnt"),
        (message(uplink_message__f_port=300), TOPIC, RejectReason.INVALID_PAYLOAD, "f_port"),
        (message(uplink_message__frm_payload="*not base64*"), TOPIC, RejectReason.INVALID_PAYLOAD, "base64"),
        (message(received_at="yesterday"), TOPIC, RejectReason.INVALID_PAYLOAD, "received_at"),
        (message(uplink_message__f_port=9), TOPIC, RejectReason.INVALID_PAYLOAD, "unknown fPort 9"),
        (message(uplink_message__f_port=3), TOPIC, RejectReason.INVALID_PAYLOAD, "bosch-tps110, fPort 3: truncated"),
        (message(received_at="2026-06-01T00:00:00Z"), TOPIC, RejectReason.TIMESTAMP_IN_FUTURE, "ahead"),
        (
            message(end_device_ids__device_id="gp-rack-1", end_device_ids__dev_eui=None),
            "v3/ridebuy-hannut@ttn/devices/gp-rack-1/up",
            RejectReason.WRONG_FORMAT,
            "format native",
        ),
        (
            message(end_device_ids__device_id="gp-slot-typo", end_device_ids__dev_eui=None),
            "v3/ridebuy-hannut@ttn/devices/gp-slot-typo/up",
            RejectReason.NO_CODEC,
            "bosch-tps11",
        ),
        (
            message(end_device_ids__device_id="gp-rack-formatter", end_device_ids__dev_eui=None),
            "v3/ridebuy-hannut@ttn/devices/gp-rack-formatter/up",
            RejectReason.NO_CODEC,
            "no codec",
        ),
        (
            message(
                end_device_ids__device_id="gp-rack-formatter",
                end_device_ids__dev_eui=None,
                uplink_message__decoded_payload={"occupied": -2},
            ),
            "v3/ridebuy-hannut@ttn/devices/gp-rack-formatter/up",
            RejectReason.INVALID_PAYLOAD,
            "decoded occupied",
        ),
        (
            message(
                end_device_ids__device_id="gp-rack-formatter",
                end_device_ids__dev_eui=None,
                uplink_message__decoded_payload={"bikes": 3},
            ),
            "v3/ridebuy-hannut@ttn/devices/gp-rack-formatter/up",
            RejectReason.INVALID_PAYLOAD,
            "neither 'occupied'",
        ),
    ],
)
def test_refusals(payload: object, topic: str, reason: RejectReason, detail: str) -> None:
    rejection = reason_of(payload, topic)
    assert rejection.reason is reason
    assert detail in rejection.detail


def test_too_large_is_refused_before_parsing() -> None:
    raw = json.dumps(UPLINK).encode()
    with pytest.raises(Rejected) as caught:
        parse_envelope(DeviceFormat.TTN, TOPIC, raw, Limits(max_payload_bytes=len(raw) - 1))
    assert caught.value.reason is RejectReason.TOO_LARGE
