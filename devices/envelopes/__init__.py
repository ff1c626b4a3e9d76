"""LoRaWAN network-server envelopes (The Things Stack v3, ChirpStack v4): parse, decode, deduplicate, build.

Pure: topic + payload in, readings out (or a :class:`~devices.rejections.Rejected` verdict); simulators get the
inverse builders.
"""

from __future__ import annotations

from ridebuy.devices.envelopes import chirpstack, ttn
from ridebuy.devices.envelopes.chirpstack import chirpstack_status, chirpstack_up
from ridebuy.devices.envelopes.decode import (
    UnknownDevice,
    decode_envelope,
    find_device,
    parse_envelope,
    suggested_id,
    uplink_readings,
)
from ridebuy.devices.envelopes.frames import FrameState, FrameVerdict, judge_frame
from ridebuy.devices.envelopes.simulate import simulated_uplink
from ridebuy.devices.envelopes.ttn import ttn_uplink
from ridebuy.devices.envelopes.uplink import DeviceIds, EventKind, Reception, Uplink
from ridebuy.devices.registry import DeviceFormat

SUBSCRIPTIONS: dict[DeviceFormat, tuple[str, ...]] = {
    DeviceFormat.TTN: (ttn.SUBSCRIPTION,),
    DeviceFormat.CHIRPSTACK: chirpstack.SUBSCRIPTIONS,
}
"""MQTT topic filters per envelope format (prefix them with ``$share/<group>/`` for shared subscriptions)."""


def format_of_topic(topic: str) -> DeviceFormat:
    """Which contract a received topic belongs to, by its first level (``v3``, ``application``, else native)."""
    head = topic.split("/", 1)[0]
    if head == "v3":
        return DeviceFormat.TTN
    if head == "application":
        return DeviceFormat.CHIRPSTACK
    return DeviceFormat.NATIVE


__all__ = [
    "SUBSCRIPTIONS",
    "DeviceIds",
    "EventKind",
    "FrameState",
    "FrameVerdict",
    "Reception",
    "UnknownDevice",
    "Uplink",
    "chirpstack_status",
    "chirpstack_up",
    "decode_envelope",
    "find_device",
    "format_of_topic",
    "judge_frame",
    "parse_envelope",
    "simulated_uplink",
    "suggested_id",
    "ttn_uplink",
    "uplink_readings",
]
