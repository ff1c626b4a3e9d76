"""The Things Stack v3 uplinks on MQTT: topic, parsing into an :class:`Uplink`, and a builder for simulators.

Topic ``v3/{application id}[@{tenant id}]/devices/{device id}/up`` (no ``@tenant`` on open-source deployments,
``@ttn`` on The Things Network). Zero values (``f_cnt`` 0, ``f_port`` 0, ...) are left out of the JSON.
Facts: https://www.thethingsindustries.com/docs/integrations/data-formats/ and .../other-integrations/mqtt/
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

from ridebuy.devices.codecs.base import StatusValue
from ridebuy.devices.envelopes.uplink import DeviceIds, EventKind, Reception, Uplink
from ridebuy.devices.registry import DeviceFormat
from ridebuy.devices.times import rfc3339_ns

SUBSCRIPTION = "v3/+/devices/+/up"
"""The filter that receives every uplink of every application the broker user may read."""
_NAMESPACE = uuid.UUID("6f1c43a4-3f5e-4d5a-9b0e-2b7f3f1c5e01")


class TopicError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class TtnTopic:
    application_id: str
    tenant_id: str | None
    device_id: str


def topic(application_id: str, device_id: str, tenant_id: str | None = None) -> str:
    application = f"{application_id}@{tenant_id}" if tenant_id else application_id
    return f"v3/{application}/devices/{device_id}/up"


def parse_topic(text: str) -> TtnTopic:
    parts = text.split("/")
    if len(parts) != 5 or parts[0] != "v3" or parts[2] != "devices" or parts[4] != "up":
        raise TopicError("topic is not of the form v3/{application}[@{tenant}]/devices/{device}/up")
    application, _, tenant = parts[1].partition("@")
    if not application or not parts[3]:
        raise TopicError("application and device ids must not be empty")
    return TtnTopic(application, tenant or None, parts[3])


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True, allow_inf_nan=False)


class _ApplicationIds(_Model):
    application_id: str


class _EndDeviceIds(_Model):
    device_id: str
    application_ids: _ApplicationIds
    dev_eui: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{16}$")] | None = None


class _GatewayIds(_Model):
    gateway_id: str = ""


class _RxMetadata(_Model):
    gateway_ids: _GatewayIds = _GatewayIds()
    rssi: float | None = None
    snr: float | None = None
    time: str | None = None


class _Lora(_Model):
    spreading_factor: int | None = None


class _DataRate(_Model):
    lora: _Lora | None = None


class _Settings(_Model):
    data_rate: _DataRate | None = None


class _Battery(_Model):
    value: Annotated[float, Field(ge=0, le=100)] | None = None


class _UplinkMessage(_Model):
    session_key_id: str | None = None
    f_port: Annotated[int, Field(ge=0, le=255)] = 0
    f_cnt: Annotated[int, Field(ge=0, lt=2**32)] = 0
    frm_payload: str = ""
    decoded_payload: dict[str, Any] | None = None
    rx_metadata: list[_RxMetadata] = Field(default_factory=list)
    settings: _Settings | None = None
    received_at: str | None = None
    last_battery_percentage: _Battery | None = None


class TtnUp(_Model):
    """The fields of an application uplink message that ridebuy reads."""

    end_device_ids: _EndDeviceIds
    received_at: str | None = None
    uplink_message: _UplinkMessage
    simulated: bool = False


def to_uplink(message: TtnUp, where: TtnTopic) -> Uplink:
    """The neutral uplink; raises ValueError naming the field when the message contradicts itself or its topic."""
    ids = message.end_device_ids
    if ids.device_id != where.device_id or ids.application_ids.application_id != where.application_id:
        raise ValueError(
            f"end_device_ids ('{ids.application_ids.application_id}/{ids.device_id}') differ from the topic "
            f"('{where.application_id}/{where.device_id}')"
        )
    up = message.uplink_message
    try:
        payload = base64.b64decode(up.frm_payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("uplink_message.frm_payload is not base64") from None
    stamps = [message.received_at, up.received_at, *sorted(r.time for r in up.rx_metadata if r.time)]
    time_text = next((stamp for stamp in stamps if stamp), None)
    try:
        time_ns = rfc3339_ns(time_text) if time_text else None
    except ValueError as exc:
        raise ValueError(f"received_at: {exc}") from None
    lora = up.settings.data_rate.lora if up.settings and up.settings.data_rate else None
    status: dict[str, StatusValue] = {}
    if up.last_battery_percentage is not None and up.last_battery_percentage.value is not None:
        status["battery_pct"] = up.last_battery_percentage.value
    dev_eui = ids.dev_eui.upper() if ids.dev_eui else None
    return Uplink(
        ids=DeviceIds(DeviceFormat.TTN, ids.device_id, dev_eui, where.application_id),
        event=EventKind.UP,
        time_ns=time_ns,
        f_port=up.f_port,
        f_cnt=up.f_cnt,
        frm_payload=payload,
        decoded=up.decoded_payload,
        receptions=tuple(Reception(r.gateway_ids.gateway_id, r.rssi, r.snr) for r in up.rx_metadata),
        spreading_factor=lora.spreading_factor if lora else None,
        session=up.session_key_id,
        status=status,
    )


# Builder for simulators ---------------------------------------------------------------------------------------


def _rfc3339(time_ns: int) -> str:
    seconds, nanos = divmod(time_ns, 1_000_000_000)
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{nanos:09d}Z"


def ttn_uplink(
    *,
    application_id: str,
    device_id: str,
    f_port: int,
    f_cnt: int,
    frm_payload: bytes,
    time_ns: int,
    receptions: Sequence[Reception],
    dev_eui: str | None = None,
    tenant_id: str | None = None,
    session_key_id: str | None = None,
    decoded_payload: Mapping[str, Any] | None = None,
    spreading_factor: int = 9,
    simulated: bool = True,
) -> tuple[str, bytes]:
    """The topic and JSON of a realistic application uplink, zero values left out as the server does.

    Ids derive from the content, so building the same uplink twice (say, through other gateways) gives the same
    correlation ids, as a real server would for one uplink.
    """
    if not receptions:
        raise ValueError("an uplink is received by at least one gateway")
    # One session per device unless told otherwise (a rejoin gives a new session_key_id and DevAddr).
    session = session_key_id or base64.b64encode(uuid.uuid5(_NAMESPACE, f"{application_id}/{device_id}").bytes).decode()
    seed = f"{application_id}/{device_id}/{session}/{f_cnt}"
    correlation = uuid.uuid5(_NAMESPACE, seed).hex.upper()
    gateway_time = _rfc3339(time_ns - 120_000_000)
    ids: dict[str, Any] = {"device_id": device_id, "application_ids": {"application_id": application_id}}
    if dev_eui:
        ids["dev_eui"] = dev_eui.upper()
        ids["join_eui"] = "0000000000000000"
    ids["dev_addr"] = uuid.uuid5(_NAMESPACE, f"{session}/addr").hex[:8].upper()
    rx_metadata = []
    for index, reception in enumerate(receptions):
        meta: dict[str, Any] = {
            "gateway_ids": {"gateway_id": reception.gateway_id},
            "time": gateway_time,
            "timestamp": (time_ns // 1000 + index * 17) % 2**32,
            "rssi": reception.rssi,
            "channel_rssi": reception.rssi,
            "snr": reception.snr,
            "uplink_token": base64.b64encode(f"{reception.gateway_id}:{f_cnt}".encode()).decode(),
            "channel_index": f_cnt % 8,
            "received_at": _rfc3339(time_ns - 80_000_000),
        }
        rx_metadata.append({key: value for key, value in meta.items() if value not in (None, 0)})
    uplink: dict[str, Any] = {
        "session_key_id": session,
        "f_port": f_port,
        "f_cnt": f_cnt,
        "frm_payload": base64.b64encode(frm_payload).decode(),
        "decoded_payload": dict(decoded_payload) if decoded_payload is not None else None,
        "rx_metadata": rx_metadata,
        "settings": {
            "data_rate": {"lora": {"bandwidth": 125000, "spreading_factor": spreading_factor, "coding_rate": "4/5"}},
            "frequency": str(867_100_000 + (f_cnt % 8) * 200_000),
            "time": gateway_time,
        },
        "received_at": _rfc3339(time_ns - 40_000_000),
        "consumed_airtime": "0.185344s",
        "network_ids": {"net_id": "000013", "tenant_id": tenant_id or "ttn", "cluster_id": "eu1"},
    }
    message: dict[str, Any] = {
        "end_device_ids": ids,
        "correlation_ids": [f"as:up:{correlation}", f"ns:uplink:{correlation}"],
        "received_at": _rfc3339(time_ns),
        "uplink_message": {key: value for key, value in uplink.items() if value not in (None, 0, "")},
    }
    if simulated:
        message["simulated"] = True
    return topic(application_id, device_id, tenant_id), json.dumps(message).encode()
