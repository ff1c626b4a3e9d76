"""ChirpStack v4 integration events on MQTT: ``up`` and ``status``, parsing and builders for simulators.

Topic ``application/{application id (UUID)}/device/{DevEUI}/event/{up|status|join|ack|txack|log|location}``;
JSON is the Protocol Buffers JSON mapping in camelCase, zero values may be left out (``fCnt`` 0 among them).
Facts: https://github.com/chirpstack/chirpstack-docs integrations/mqtt.md and integrations/events.md
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from ridebuy.devices.codecs.base import StatusValue
from ridebuy.devices.envelopes.uplink import DeviceIds, EventKind, Reception, Uplink
from ridebuy.devices.registry import DeviceFormat
from ridebuy.devices.times import rfc3339_ns

EVENTS = (EventKind.UP, EventKind.STATUS)
SUBSCRIPTIONS = tuple(f"application/+/device/+/event/{event.value}" for event in EVENTS)
"""The filters that receive what ridebuy reads (other events - join, ack, log, ... - are not data)."""
_NAMESPACE = uuid.UUID("0b7cf3b2-8f0e-4c43-a7a4-6f1f1d8a9c02")


class TopicError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ChirpstackTopic:
    application_id: str
    dev_eui: str
    """Upper-case hex."""
    event: EventKind


def topic(application_id: str, dev_eui: str, event: EventKind = EventKind.UP) -> str:
    return f"application/{application_id}/device/{dev_eui.lower()}/event/{event.value}"


def parse_topic(text: str) -> ChirpstackTopic:
    parts = text.split("/")
    if len(parts) != 6 or parts[0] != "application" or parts[2] != "device" or parts[4] != "event":
        raise TopicError("topic is not of the form application/{application}/device/{dev_eui}/event/{event}")
    try:
        event = EventKind(parts[5])
    except ValueError:
        raise TopicError(f"event '{parts[5][:40]}' is not one ridebuy reads (up, status)") from None
    dev_eui = parts[3]
    if len(dev_eui) != 16 or any(c not in "0123456789abcdefABCDEF" for c in dev_eui):
        raise TopicError("the DevEUI in the topic must be 16 hex digits")
    return ChirpstackTopic(parts[1], dev_eui.upper(), event)


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="ignore", frozen=True, allow_inf_nan=False, alias_generator=to_camel, populate_by_name=True
    )


class _DeviceInfo(_Model):
    dev_eui: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{16}$")]
    device_name: str | None = None
    application_id: str | None = None


class _RxInfo(_Model):
    gateway_id: str = ""
    rssi: float | None = None
    snr: float | None = None


class _Lora(_Model):
    spreading_factor: int | None = None


class _Modulation(_Model):
    lora: _Lora | None = None


class _TxInfo(_Model):
    modulation: _Modulation | None = None


class ChirpstackEvent(_Model):
    """The fields of ``up`` and ``status`` events that ridebuy reads."""

    deduplication_id: str | None = None
    time: str | None = None
    device_info: _DeviceInfo
    # up
    dev_addr: str | None = None
    f_cnt: Annotated[int, Field(ge=0, lt=2**32)] = 0
    f_port: Annotated[int, Field(ge=0, le=255)] = 0
    data: str = ""
    object: dict[str, Any] | None = None
    rx_info: list[_RxInfo] = Field(default_factory=list)
    tx_info: _TxInfo | None = None
    # status
    margin: int = 0
    external_power_source: bool = False
    battery_level_unavailable: bool = False
    battery_level: Annotated[float, Field(ge=0, le=100)] = 0.0


def to_uplink(event: ChirpstackEvent, where: ChirpstackTopic) -> Uplink:
    """The neutral uplink; raises ValueError naming the field when the event contradicts itself or its topic."""
    info = event.device_info
    if info.dev_eui.upper() != where.dev_eui:
        raise ValueError(f"deviceInfo.devEui {info.dev_eui} differs from the topic's {where.dev_eui}")
    if info.application_id and info.application_id != where.application_id:
        raise ValueError(f"deviceInfo.applicationId differs from the topic's '{where.application_id}'")
    try:
        time_ns = rfc3339_ns(event.time) if event.time else None
    except ValueError as exc:
        raise ValueError(f"time: {exc}") from None
    ids = DeviceIds(DeviceFormat.CHIRPSTACK, info.device_name, where.dev_eui, where.application_id)
    if where.event is EventKind.STATUS:
        status: dict[str, StatusValue] = {"margin_db": float(event.margin)}
        # Protocol Buffers JSON leaves 0 out: a missing batteryLevel is 0 % unless the device says it cannot tell
        # or runs on external power.
        if not event.external_power_source and not event.battery_level_unavailable:
            status["battery_pct"] = event.battery_level
        return Uplink(ids, EventKind.STATUS, time_ns, server_id=event.deduplication_id, status=status)
    try:
        payload = base64.b64decode(event.data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("data is not base64") from None
    lora = event.tx_info.modulation.lora if event.tx_info and event.tx_info.modulation else None
    return Uplink(
        ids=ids,
        event=EventKind.UP,
        time_ns=time_ns,
        f_port=event.f_port,
        f_cnt=event.f_cnt,
        frm_payload=payload,
        decoded=event.object,
        receptions=tuple(Reception(r.gateway_id, r.rssi, r.snr) for r in event.rx_info),
        spreading_factor=lora.spreading_factor if lora else None,
        session=event.dev_addr,
        server_id=event.deduplication_id,
    )


# Builders for simulators --------------------------------------------------------------------------------------


def _rfc3339(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}+00:00"


def _device_info(application_id: str, dev_eui: str, device_name: str, tags: Mapping[str, str]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "tenantId": str(uuid.uuid5(_NAMESPACE, "tenant")),
        "tenantName": "ridebuy",
        "applicationId": application_id,
        "applicationName": "ridebuy",
        "deviceProfileId": str(uuid.uuid5(_NAMESPACE, f"profile/{device_name}")),
        "deviceProfileName": "ridebuy sensors",
        "deviceName": device_name,
        "devEui": dev_eui.lower(),
    }
    if tags:
        info["tags"] = dict(tags)
    return info


def chirpstack_up(
    *,
    application_id: str,
    dev_eui: str,
    device_name: str,
    f_port: int,
    f_cnt: int,
    data: bytes,
    time_ns: int,
    receptions: Sequence[Reception],
    dev_addr: str | None = None,
    decoded_object: Mapping[str, Any] | None = None,
    spreading_factor: int = 9,
    tags: Mapping[str, str] | None = None,
) -> tuple[str, bytes]:
    """The topic and JSON of a realistic ``up`` event, zero values left out as the server does.

    ``deduplicationId`` derives from the content, so the same uplink built twice (through other gateways)
    carries the same id, as ChirpStack gives one uplink one id.
    """
    if not receptions:
        raise ValueError("an uplink is received by at least one gateway")
    address = dev_addr or uuid.uuid5(_NAMESPACE, f"addr/{dev_eui.lower()}").hex[:8]
    event: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid5(_NAMESPACE, f"{dev_eui.lower()}/{address}/{f_cnt}/{data.hex()}")),
        "time": _rfc3339(time_ns),
        "deviceInfo": _device_info(application_id, dev_eui, device_name, tags or {}),
        "devAddr": address,
        "adr": True,
        "dr": max(0, 12 - spreading_factor),
        "fCnt": f_cnt,
        "fPort": f_port,
        "confirmed": False,
        "data": base64.b64encode(data).decode(),
        "object": dict(decoded_object) if decoded_object is not None else None,
        "rxInfo": [
            {
                "gatewayId": reception.gateway_id,
                "uplinkId": (time_ns // 1000 + index * 7919) % 2**32,
                "rssi": reception.rssi,
                "snr": reception.snr,
                "channel": f_cnt % 8,
                "context": base64.b64encode(f"{reception.gateway_id}:{f_cnt}".encode()).decode(),
                "metadata": {"region_config_id": "eu868", "region_common_name": "EU868"},
                "crcStatus": "CRC_OK",
            }
            for index, reception in enumerate(receptions)
        ],
        "txInfo": {
            "frequency": 867_100_000 + (f_cnt % 8) * 200_000,
            "modulation": {"lora": {"bandwidth": 125000, "spreadingFactor": spreading_factor, "codeRate": "CR_4_5"}},
        },
        "regionConfigId": "eu868",
    }
    return topic(application_id, dev_eui), json.dumps(_without_zeros(event)).encode()


def chirpstack_status(
    *,
    application_id: str,
    dev_eui: str,
    device_name: str,
    time_ns: int,
    margin_db: int,
    battery_pct: float | None,
) -> tuple[str, bytes]:
    """A ``status`` event; ``battery_pct`` ``None`` means the device cannot measure its battery."""
    event: dict[str, Any] = {
        "deduplicationId": str(uuid.uuid5(_NAMESPACE, f"status/{dev_eui.lower()}/{time_ns}")),
        "time": _rfc3339(time_ns),
        "deviceInfo": _device_info(application_id, dev_eui, device_name, {}),
        "margin": margin_db,
        "batteryLevelUnavailable": battery_pct is None,
        "batteryLevel": battery_pct,
    }
    return topic(application_id, dev_eui, EventKind.STATUS), json.dumps(_without_zeros(event)).encode()


def _without_zeros(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if value not in (None, 0, False, "")}
