"""The native MQTT topic contract: ``ridebuy/v1/devices/{device_id}/{kind}``."""

from dataclasses import dataclass
from enum import StrEnum

from ridebuy.devices.ids import ID_RE

TOPIC_PREFIX = "ridebuy/v1/devices"


class MessageKind(StrEnum):
    OCCUPANCY = "occupancy"
    PASSAGE = "passage"
    STATUS = "status"


SUBSCRIPTION = f"{TOPIC_PREFIX}/+/+"
"""The filter that receives every native device message (and nothing else)."""


class TopicError(ValueError):
    """The topic does not follow the native contract; the message names what is wrong."""


@dataclass(frozen=True, slots=True)
class NativeTopic:
    device_id: str
    kind: MessageKind


def device_topic(device_id: str, kind: MessageKind | str) -> str:
    return f"{TOPIC_PREFIX}/{device_id}/{MessageKind(kind).value}"


def parse_topic(topic: str) -> NativeTopic:
    """Split a native topic into its device id and message kind, or raise :class:`TopicError`."""
    parts = topic.split("/")
    if len(parts) != 5 or "/".join(parts[:3]) != TOPIC_PREFIX:
        raise TopicError(f"topic is not of the form {TOPIC_PREFIX}/{{device_id}}/{{kind}}")
    device_id, kind = parts[3], parts[4]
    if not ID_RE.match(device_id):
        raise TopicError("device id must be 1-64 characters of [A-Za-z0-9._-]")
    try:
        return NativeTopic(device_id, MessageKind(kind))
    except ValueError:
        raise TopicError(f"kind must be one of {', '.join(k.value for k in MessageKind)}") from None
