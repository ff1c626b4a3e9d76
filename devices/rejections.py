"""The one place that decides what a dead letter is: every reason a message can be refused for."""

from enum import StrEnum


class RejectReason(StrEnum):
    BAD_TOPIC = "bad_topic"
    UNKNOWN_DEVICE = "unknown_device"
    WRONG_KIND = "wrong_kind"
    INVALID_JSON = "invalid_json"
    INVALID_PAYLOAD = "invalid_payload"
    TOO_LARGE = "too_large"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    STORE_REJECTED = "store_rejected"
    """The store refused the message's points for good (e.g. a field type conflict)."""
    INTERNAL_ERROR = "internal_error"
    """Decoding failed in an unforeseen way: a bug, logged with its traceback; the stream goes on."""
    WRONG_FORMAT = "wrong_format"
    """A LoRaWAN envelope for a device the registry lists under another format (native, ttn, chirpstack)."""
    NO_CODEC = "no_codec"
    """The device's bytes cannot be read: the registry names no codec (or one ridebuy lacks) and the network
    server sent no decoded object."""


class Rejected(Exception):
    """A message that cannot become data. It is dead-lettered with ``reason`` and acknowledged."""

    def __init__(self, reason: RejectReason, detail: str, device_id: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail
        self.device_id = device_id
