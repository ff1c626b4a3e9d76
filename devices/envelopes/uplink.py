"""One network-server message in neutral form: who sent it, when, which bytes, through which gateways.

The Things Stack and ChirpStack name the same facts differently; their modules parse into :class:`Uplink` so that
identification, decoding, deduplication and frame-counter checks are written once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ridebuy.devices.codecs.base import StatusValue
from ridebuy.devices.registry import DeviceFormat


class EventKind(StrEnum):
    UP = "up"
    """A data uplink (it may carry no application payload: fPort 0 or none)."""
    STATUS = "status"
    """A network-server status report (ChirpStack ``status``: battery level and link margin)."""


@dataclass(frozen=True, slots=True)
class DeviceIds:
    """How the network server names the device (and what an officer needs to adopt it)."""

    network: DeviceFormat
    device_id: str | None
    """The Things Stack end-device id; ChirpStack's ``deviceName`` (free text there)."""
    dev_eui: str | None
    """Upper-case hex, 16 digits."""
    application_id: str | None

    def describe(self) -> str:
        parts = [f"{self.network.value} device"]
        if self.device_id:
            parts.append(f"'{self.device_id}'")
        if self.dev_eui:
            parts.append(f"DevEUI {self.dev_eui}")
        if self.application_id:
            parts.append(f"application '{self.application_id}'")
        return " ".join(parts)


@dataclass(frozen=True, slots=True)
class Reception:
    """One gateway's reception of an uplink."""

    gateway_id: str
    rssi: float | None = None
    snr: float | None = None


@dataclass(frozen=True, slots=True)
class Uplink:
    ids: DeviceIds
    event: EventKind
    time_ns: int | None
    """The network server's time of the uplink (measurement time); ``None`` when the envelope has none."""
    f_port: int = 0
    """0 when absent: The Things Stack and ChirpStack leave zero values out of their JSON."""
    f_cnt: int = 0
    frm_payload: bytes = b""
    decoded: Mapping[str, Any] | None = None
    """The object the network server's payload formatter produced, if one ran."""
    receptions: tuple[Reception, ...] = ()
    spreading_factor: int | None = None
    session: str | None = None
    """What changes when the device rejoins: TTS ``session_key_id``, ChirpStack ``devAddr``."""
    server_id: str | None = None
    """The server's own id of the message (ChirpStack ``deduplicationId``), for logs."""
    status: Mapping[str, StatusValue] = field(default_factory=dict)
    """Status the envelope itself carries (ChirpStack status event, TTS last battery percentage)."""

    @property
    def dedup_key(self) -> str:
        """The same key for every copy of one uplink, whichever gateways received it and however often the
        server or broker delivered it; distinct uplinks get distinct keys.

        Built from the message's content, never from reception details or arrival time: device, session,
        event, frame counter, port and payload bytes (status events: the server's id or time). Frame counters
        repeat after a rejoin, which changes the session; a device whose counter restarts without a new session
        (ABP) could repeat a key, so keep keys for a bounded window (minutes), the time duplicates take to arrive.
        """
        device = self.ids.dev_eui or f"{self.ids.application_id}/{self.ids.device_id}"
        if self.event is EventKind.STATUS:
            detail = f"{self.server_id or ''}|{self.time_ns or ''}"
        else:
            detail = f"{self.session or ''}|{self.f_cnt}|{self.f_port}|{self.frm_payload.hex()}"
        digest = hashlib.sha256(f"{self.ids.network.value}|{device}|{self.event.value}|{detail}".encode()).hexdigest()
        return f"{self.ids.network.value}:{device}:{self.event.value}:{self.f_cnt}:{digest[:24]}"

    def radio_status(self) -> dict[str, StatusValue]:
        """Radio metadata as ``device_status`` fields: best RSSI and SNR over the gateways, how many gateways
        heard it, the frame counter and the spreading factor."""
        values: dict[str, StatusValue] = {}
        if self.event is not EventKind.UP:
            return values
        rssis = [r.rssi for r in self.receptions if r.rssi is not None]
        snrs = [r.snr for r in self.receptions if r.snr is not None]
        if rssis:
            values["rssi"] = float(max(rssis))
        if snrs:
            values["snr"] = float(max(snrs))
        values["f_cnt"] = self.f_cnt
        values["gateways"] = len({r.gateway_id for r in self.receptions})
        if self.spreading_factor is not None:
            values["spreading_factor"] = self.spreading_factor
        return values
