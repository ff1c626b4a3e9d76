"""Unknown devices, folded from their dead letters: who keeps knocking, since when, and how to adopt them.

Pure: rejections in (``unknown_device`` dead letters read from the store), one entry per device out. The device
is named by what the message said: the native topic's device id, The Things Stack's end-device id, ChirpStack's
DevEUI; the LoRaWAN ids come from the topic and from the dead letter's detail (which
:class:`devices.envelopes.UnknownDevice` writes).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ridebuy.devices.envelopes import chirpstack, format_of_topic, ttn
from ridebuy.devices.registry import DeviceFormat, Registry
from ridebuy.devices.topics import TopicError, parse_topic
from ridebuy.store.base import Rejection

_DEV_EUI = re.compile(r"\bDevEUI ([0-9A-Fa-f]{16})\b")
_QUOTED_NAME = re.compile(r"^\w+ device '([^']*)'")


@dataclass(slots=True)
class UnknownDevice:
    suggested_id: str
    """A registry id for it: the native device id, the TTS device id, else the DevEUI in lower case."""
    format: DeviceFormat
    count: int
    first_seen_ns: int
    last_seen_ns: int
    topic: str
    """The topic of its latest message."""
    detail: str
    dev_eui: str | None = None
    device_id: str | None = None
    """How the network server names it (TTS end-device id, ChirpStack device name); the topic's for native."""
    application_id: str | None = None

    def entry(self) -> dict[str, str]:
        """The start of a registry entry for it (kind and parking or counter are for the officer to say)."""
        entry = {"id": self.suggested_id, "format": self.format.value}
        if self.dev_eui:
            entry["dev_eui"] = self.dev_eui
        return entry


def _identify(rejection: Rejection) -> UnknownDevice:
    topic = rejection.topic
    fmt = format_of_topic(topic)
    found = UnknownDevice(
        suggested_id=rejection.device,
        format=fmt,
        count=0,
        first_seen_ns=rejection.time_ns,
        last_seen_ns=rejection.time_ns,
        topic=topic,
        detail=rejection.detail,
    )
    eui = _DEV_EUI.search(rejection.detail)
    name = _QUOTED_NAME.search(rejection.detail)
    found.dev_eui = eui.group(1).upper() if eui else None
    found.device_id = name.group(1) if name else None
    try:
        if fmt is DeviceFormat.TTN:
            where = ttn.parse_topic(topic)
            found.application_id, found.device_id = where.application_id, where.device_id
        elif fmt is DeviceFormat.CHIRPSTACK:
            cs = chirpstack.parse_topic(topic)
            found.application_id, found.dev_eui = cs.application_id, cs.dev_eui
        else:
            found.device_id = parse_topic(topic).device_id
    except (ttn.TopicError, chirpstack.TopicError, TopicError):
        pass  # the dead letter's own fields still tell what they can
    if not found.suggested_id:
        found.suggested_id = (found.device_id or (found.dev_eui or "").lower())[:64]
    return found


def unknown_devices(rejections: Iterable[Rejection], registry: Registry) -> list[UnknownDevice]:
    """One entry per device that is still unknown (adopted ones drop out at once), the latest first."""
    devices: dict[tuple[DeviceFormat, str], UnknownDevice] = {}
    for rejection in rejections:
        found = _identify(rejection)
        if not found.suggested_id or found.suggested_id in registry.device_by_id:
            continue
        if found.dev_eui and found.dev_eui in registry.device_by_dev_eui:
            continue
        key = (found.format, found.suggested_id)
        known = devices.setdefault(key, found)
        known.count += 1
        if rejection.time_ns < known.first_seen_ns:
            known.first_seen_ns = rejection.time_ns
        if rejection.time_ns >= known.last_seen_ns:
            known.last_seen_ns, known.topic, known.detail = rejection.time_ns, rejection.topic, rejection.detail
        for name in ("dev_eui", "device_id", "application_id"):
            if getattr(known, name) is None and getattr(found, name) is not None:
                setattr(known, name, getattr(found, name))
    return sorted(devices.values(), key=lambda d: (-d.last_seen_ns, d.suggested_id))
