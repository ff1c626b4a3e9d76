"""Vendor codecs: LoRaWAN payload bytes of a device model <-> ridebuy values.

Pure functions only. One module per vendor, listed in :mod:`devices.codecs.index`.
"""

from __future__ import annotations

from ridebuy.devices.codecs.base import Codec, CodecError, Count, Values
from ridebuy.devices.codecs.index import CODECS
from ridebuy.devices.registry import DEFAULT_HEARTBEAT_S, Device, DeviceFormat, Registry

__all__ = [
    "CODECS",
    "Codec",
    "CodecError",
    "Count",
    "Values",
    "codec_for",
    "heartbeat_allowance_s",
    "registry_problems",
]


def codec_for(name: str | None) -> Codec | None:
    """The codec a registry entry names, or ``None`` (no codec given, or one ridebuy lacks)."""
    return CODECS.get(name) if name else None


def heartbeat_allowance_s(device: Device) -> int:
    """The device's heartbeat allowance: its own ``heartbeat_s`` when the registry sets one, else its codec's
    default, else the registry default."""
    if "heartbeat_s" in device.model_fields_set:
        return device.heartbeat_s
    codec = codec_for(device.codec)
    return codec.heartbeat_s if codec is not None else DEFAULT_HEARTBEAT_S


def registry_problems(registry: Registry) -> list[str]:
    """What keeps LoRaWAN devices of a registry from being decoded; empty when all is well (check at start-up)."""
    problems: list[str] = []
    for device in registry.devices:
        where = f"device '{device.id}'"
        if device.codec is not None:
            codec = codec_for(device.codec)
            if codec is None:
                problems.append(f"{where}: unknown codec '{device.codec}' (known: {', '.join(sorted(CODECS))})")
            elif device.kind not in codec.kinds:
                kinds = ", ".join(sorted(kind.value for kind in codec.kinds))
                problems.append(f"{where}: codec '{codec.name}' serves {kinds} devices, not {device.kind.value}")
        if device.format is DeviceFormat.CHIRPSTACK and device.dev_eui is None:
            problems.append(f"{where}: a chirpstack device needs 'dev_eui' (ChirpStack names devices by DevEUI)")
    return problems
