"""Envelopes for simulated devices: ridebuy values -> vendor bytes -> a TTS or ChirpStack message.

Pure; the simulators publish what these return. The device's registry entry says which server and codec.
"""

from __future__ import annotations

from collections.abc import Sequence

from ridebuy.devices.codecs import Values, codec_for
from ridebuy.devices.envelopes import chirpstack, ttn
from ridebuy.devices.envelopes.uplink import Reception
from ridebuy.devices.registry import Device, DeviceFormat

DEFAULT_APPLICATION = "ridebuy"
CHIRPSTACK_APPLICATION = "5f9e5a3c-7d3e-4d0a-9a57-9a1d6c1b2e01"
"""ChirpStack names applications by UUID; simulators use this one unless told otherwise."""


def simulated_uplink(
    device: Device,
    values: Values,
    *,
    f_cnt: int,
    time_ns: int,
    receptions: Sequence[Reception],
    application_id: str | None = None,
    session: str | None = None,
) -> tuple[str, bytes]:
    """The topic and payload a network server would publish for ``device`` reporting ``values``.

    ``session`` changes when a simulated device rejoins (TTS session key id, ChirpStack DevAddr).
    """
    codec = codec_for(device.codec)
    if codec is None:
        raise ValueError(f"device '{device.id}' names no codec ridebuy has (codec: {device.codec!r})")
    f_port, data = codec.encode(values)
    if device.format is DeviceFormat.TTN:
        return ttn.ttn_uplink(
            application_id=application_id or DEFAULT_APPLICATION,
            device_id=device.id,
            dev_eui=device.dev_eui,
            f_port=f_port,
            f_cnt=f_cnt,
            frm_payload=data,
            time_ns=time_ns,
            receptions=receptions,
            session_key_id=session,
        )
    if device.format is DeviceFormat.CHIRPSTACK:
        if device.dev_eui is None:
            raise ValueError(f"device '{device.id}' needs a dev_eui to speak ChirpStack")
        return chirpstack.chirpstack_up(
            application_id=application_id or CHIRPSTACK_APPLICATION,
            dev_eui=device.dev_eui,
            device_name=device.id,
            f_port=f_port,
            f_cnt=f_cnt,
            data=data,
            time_ns=time_ns,
            receptions=receptions,
            dev_addr=session,
        )
    raise ValueError(f"device '{device.id}' speaks {device.format.value}, not a LoRaWAN envelope")
