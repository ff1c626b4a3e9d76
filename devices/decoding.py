"""Any device message in, readings out: the native contract or a LoRaWAN envelope, told apart by the topic.

The ingest and the API both call this, so they read every message the same way.
"""

from __future__ import annotations

from collections import OrderedDict

from ridebuy.devices.envelopes import SUBSCRIPTIONS, format_of_topic, parse_envelope, uplink_readings
from ridebuy.devices.native import Limits, decode_native
from ridebuy.devices.readings import Reading
from ridebuy.devices.registry import DeviceFormat, Registry
from ridebuy.devices.topics import SUBSCRIPTION as NATIVE_SUBSCRIPTION

ALL_SUBSCRIPTIONS: tuple[str, ...] = (
    NATIVE_SUBSCRIPTION,
    *SUBSCRIPTIONS[DeviceFormat.TTN],
    *SUBSCRIPTIONS[DeviceFormat.CHIRPSTACK],
)
"""Every topic filter a ridebuy service listens to (native, The Things Stack v3, ChirpStack v4)."""

DEDUP_WINDOW_S = 600
DEDUP_MAX_KEYS = 200_000


def subscriptions(formats: tuple[DeviceFormat, ...] = tuple(DeviceFormat)) -> tuple[str, ...]:
    """The topic filters for the given message formats."""
    filters: list[str] = []
    for fmt in formats:
        filters.extend((NATIVE_SUBSCRIPTION,) if fmt is DeviceFormat.NATIVE else SUBSCRIPTIONS[fmt])
    return tuple(filters)


class UplinkDedup:
    """Remembers recent LoRaWAN uplinks, so one received through two gateways (or published twice by the
    network server) is taken once. Pure: the caller passes the time."""

    def __init__(self, window_s: int = DEDUP_WINDOW_S, max_keys: int = DEDUP_MAX_KEYS) -> None:
        self._window_ns = window_s * 1_000_000_000
        self._max_keys = max_keys
        self._seen: OrderedDict[str, int] = OrderedDict()
        self.duplicates = 0

    def is_duplicate(self, key: str, now_ns: int) -> bool:
        self._forget_before(now_ns - self._window_ns)
        if key in self._seen:
            self.duplicates += 1
            return True
        return False

    def remember(self, key: str, now_ns: int) -> None:
        self._seen[key] = now_ns
        self._seen.move_to_end(key)
        while len(self._seen) > self._max_keys:
            self._seen.popitem(last=False)

    def _forget_before(self, cutoff_ns: int) -> None:
        while self._seen:
            key, seen_ns = next(iter(self._seen.items()))
            if seen_ns >= cutoff_ns:
                return
            del self._seen[key]


def decode_message(
    topic: str,
    payload: bytes,
    received_ns: int,
    registry: Registry,
    limits: Limits = Limits(),  # noqa: B008 - frozen dataclass, safe as a default
    dedup: UplinkDedup | None = None,
) -> list[Reading]:
    """Readings of one message (none for a duplicate uplink), or :class:`~devices.rejections.Rejected`."""
    fmt = format_of_topic(topic)
    if fmt is DeviceFormat.NATIVE:
        return [decode_native(topic, payload, received_ns, registry, limits)]
    uplink = parse_envelope(fmt, topic, payload, limits)
    if dedup is not None and dedup.is_duplicate(uplink.dedup_key, received_ns):
        return []
    readings = uplink_readings(uplink, received_ns, registry, limits)
    if dedup is not None:
        dedup.remember(uplink.dedup_key, received_ns)
    return readings
