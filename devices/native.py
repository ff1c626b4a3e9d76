"""Decoding of the native contract: a topic and a payload in, a reading out, or a :class:`Rejected` verdict."""

import zlib
from dataclasses import dataclass
from typing import TypeVar, assert_never

from pydantic import BaseModel, ValidationError

from ridebuy.devices.payloads import PassagePayload, RackOccupancyPayload, SlotOccupancyPayload, StatusPayload
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.registry import DeviceKind, Registry
from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.devices.topics import MessageKind, TopicError, parse_topic

ModelT = TypeVar("ModelT", bound=BaseModel)

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_FUTURE_S = 300
_NS_PER_MS = 1_000_000


@dataclass(frozen=True, slots=True)
class Limits:
    max_payload_bytes: int = MAX_PAYLOAD_BYTES
    max_future_s: int = MAX_FUTURE_S
    """How far ahead of the receiving clock a measurement time may be (clock skew allowance)."""


_KINDS_FOR_MESSAGE = {
    MessageKind.OCCUPANCY: (DeviceKind.RACK, DeviceKind.SLOT),
    MessageKind.PASSAGE: (DeviceKind.COUNTER,),
    MessageKind.STATUS: tuple(DeviceKind),
}


def decode_native(
    topic: str,
    payload: bytes,
    received_ns: int,
    registry: Registry,
    limits: Limits = Limits(),
) -> Reading:
    """Turn one native MQTT message into a reading, or raise :class:`Rejected` with the reason."""
    try:
        native = parse_topic(topic)
    except TopicError as exc:
        raise Rejected(RejectReason.BAD_TOPIC, str(exc)) from None
    device_id = native.device_id
    device = registry.device_by_id.get(device_id)
    if device is None:
        raise Rejected(RejectReason.UNKNOWN_DEVICE, f"device '{device_id}' is not in the registry", device_id)
    if native.kind is not MessageKind.STATUS and device.kind not in _KINDS_FOR_MESSAGE[native.kind]:
        raise Rejected(
            RejectReason.WRONG_KIND,
            f"a {device.kind.value} device does not send {native.kind.value} messages",
            device_id,
        )
    if len(payload) > limits.max_payload_bytes:
        raise Rejected(
            RejectReason.TOO_LARGE,
            f"payload has {len(payload)} bytes, more than {limits.max_payload_bytes}",
            device_id,
        )

    message: RackOccupancyPayload | SlotOccupancyPayload | PassagePayload | StatusPayload
    match native.kind:
        case MessageKind.OCCUPANCY if device.kind is DeviceKind.RACK:
            message = validate_payload(RackOccupancyPayload, payload, device_id)
        case MessageKind.OCCUPANCY:
            message = validate_payload(SlotOccupancyPayload, payload, device_id)
        case MessageKind.PASSAGE:
            message = validate_payload(PassagePayload, payload, device_id)
        case MessageKind.STATUS:
            message = validate_payload(StatusPayload, payload, device_id)
        case _:
            assert_never(native.kind)

    ts_ns = getattr(message, "ts", None)
    from_receipt = ts_ns is None
    if ts_ns is None:
        ts_ns = received_ns
    elif ts_ns > received_ns + limits.max_future_s * 1_000_000_000:
        raise Rejected(
            RejectReason.TIMESTAMP_IN_FUTURE,
            f"ts is more than {limits.max_future_s} s ahead of the time of receipt",
            device_id,
        )

    match message:
        case RackOccupancyPayload() | SlotOccupancyPayload():
            assert device.parking is not None  # the registry guarantees it for rack and slot devices
            return OccupancyReading(device_id, device.parking, device.kind, int(message.occupied), ts_ns, from_receipt)
        case PassagePayload():
            assert device.counter is not None
            return PassageReading(
                device_id,
                device.counter,
                message.direction,
                message.traffic_class,
                message.count,
                message.interval_s,
                ts_ns,
                passage_point_ns(ts_ns, message.seq, payload),
                from_receipt,
            )
        case StatusPayload():
            return StatusReading(device_id, ts_ns, message.values(), from_receipt)
        case _:
            assert_never(message)


def passage_point_ns(ts_ns: int, seq: int | None, payload: bytes) -> int:
    """The stored time of a passage: its millisecond plus a sub-millisecond offset that tells passages apart.

    A store identifies a point by measurement, tags and time, so two passages of one device in the same
    millisecond would overwrite each other. The offset comes from the message itself, never from the time of
    receipt, so a redelivered message maps to the very same point (idempotent) while two distinct messages
    land on distinct points: from ``seq`` when the device sends one, else from a CRC-32 of the payload bytes.
    """
    offset = seq % _NS_PER_MS if seq is not None else zlib.crc32(payload) % _NS_PER_MS
    return ts_ns - ts_ns % _NS_PER_MS + offset


def validate_payload(model: type[ModelT], payload: bytes, device_id: str) -> ModelT:
    """Parse and validate a JSON payload; refusals are ``invalid_json`` (not a JSON object) or
    ``invalid_payload`` (naming the first field at fault)."""
    try:
        return model.model_validate_json(payload)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        first = errors[0]
        if first["type"] in ("json_invalid", "json_type", "json_object_expected") or (
            first["type"] == "model_type" and not first["loc"]
        ):
            raise Rejected(RejectReason.INVALID_JSON, short(first["msg"]), device_id) from None
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise Rejected(RejectReason.INVALID_PAYLOAD, f"{where}: {short(first['msg'])}", device_id) from None
    except (RecursionError, UnicodeDecodeError) as exc:  # pragma: no cover - the parser reports these itself
        raise Rejected(RejectReason.INVALID_JSON, type(exc).__name__, device_id) from None


def short(text: str, limit: int = 200) -> str:
    """A detail cut to ``limit`` characters for dead letters."""
    return text if len(text) <= limit else text[: limit - 1] + "…"
