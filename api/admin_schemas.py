"""Response bodies of the admin endpoints (``/v1/admin/...``), with the examples shown at /docs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from ridebuy.devices.registry import DeviceFormat


class _Body(BaseModel):
    model_config = ConfigDict(frozen=True)


class DeadLetterOut(_Body):
    time: datetime = Field(description="when the message was refused (UTC)")
    reason: str = Field(description="why: unknown_device, invalid_json, invalid_payload, too_large, ...")
    detail: str = Field(description="what exactly was wrong, in a sentence")
    device: str = Field(description="the device the message named or a suggested id; empty when unknown")
    topic: str
    preview: str = Field(description="the start of the payload, as text")


class DeadLetterList(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "dead_letters": [
                        {
                            "time": "2026-05-04T08:14:03.120000Z",
                            "reason": "invalid_payload",
                            "detail": "field 'occupied': Input should be a valid integer",
                            "device": "gp-rack-1",
                            "topic": "ridebuy/v1/devices/gp-rack-1/occupancy",
                            "preview": '{"occupied": "lots"}',
                        }
                    ]
                }
            ]
        }
    )
    dead_letters: list[DeadLetterOut] = Field(description="the newest first")


class UnknownDeviceOut(_Body):
    suggested_id: str = Field(description="a registry id for it (native or TTS device id, else the DevEUI)")
    format: DeviceFormat = Field(description="how it speaks, from the topic: native, ttn or chirpstack")
    count: int = Field(description="its refused messages in the window looked at")
    first_seen: datetime
    last_seen: datetime
    topic: str = Field(description="topic of its latest message")
    detail: str
    dev_eui: str | None = Field(description="DevEUI (LoRaWAN devices), upper-case hex")
    device_id: str | None = Field(description="how its network server or topic names it")
    application_id: str | None = Field(description="its LoRaWAN application")
    adopt: dict[str, Any] = Field(
        description="the start of its registry entry: add kind and parking or counter (and codec for LoRaWAN), "
        "then POST it to /v1/admin/devices"
    )


class UnknownDeviceList(_Body):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "since": "2026-04-27T08:14:03Z",
                    "scanned": 3,
                    "unknown_devices": [
                        {
                            "suggested_id": "gp-tps-07",
                            "format": "ttn",
                            "count": 3,
                            "first_seen": "2026-05-04T07:02:11Z",
                            "last_seen": "2026-05-04T08:02:10Z",
                            "topic": "v3/hannut-parking@ttn/devices/gp-tps-07/up",
                            "detail": "ttn device 'gp-tps-07' DevEUI 70B3D5E75E00A007 application 'hannut-parking' "
                            "is not in the registry",
                            "dev_eui": "70B3D5E75E00A007",
                            "device_id": "gp-tps-07",
                            "application_id": "hannut-parking",
                            "adopt": {"id": "gp-tps-07", "format": "ttn", "dev_eui": "70B3D5E75E00A007"},
                        }
                    ],
                }
            ]
        }
    )
    since: datetime = Field(description="start of the window looked at")
    scanned: int = Field(description="unknown_device dead letters read (at most `scan`)")
    unknown_devices: list[UnknownDeviceOut] = Field(description="devices still missing from the registry, latest first")


class AdoptedOut(_Body):
    device: dict[str, Any] = Field(description="the entry as written to the registry file")
    devices: int = Field(description="devices in the registry now")
