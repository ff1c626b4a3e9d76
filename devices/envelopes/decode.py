"""LoRaWAN envelopes to readings: parse, identify the device through the registry, decode, attribute.

Two steps, so that the ingest can drop duplicates between them:

- :func:`parse_envelope` reads a message into an :class:`Uplink` (its ``dedup_key`` names the uplink);
- :func:`uplink_readings` turns an uplink into readings for the registry device it comes from.

:func:`decode_envelope` does both. Every refusal is a :class:`Rejected` verdict, like :func:`decode_native`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from ridebuy.devices.codecs import CodecError, Values, codec_for, heartbeat_allowance_s
from ridebuy.devices.codecs.base import Count
from ridebuy.devices.envelopes import chirpstack, ttn
from ridebuy.devices.envelopes.uplink import DeviceIds, EventKind, Uplink
from ridebuy.devices.native import Limits, ModelT, passage_point_ns, short, validate_payload
from ridebuy.devices.payloads import PassagePayload, RackOccupancyPayload, SlotOccupancyPayload, StatusPayload
from ridebuy.devices.readings import OccupancyReading, PassageReading, Reading, StatusReading
from ridebuy.devices.registry import Device, DeviceFormat, DeviceKind, Registry
from ridebuy.devices.rejections import Rejected, RejectReason

_NS = 1_000_000_000
DEFAULT_LIMITS = Limits()
MAX_ID_CHARS = 64
"""Ids a network server gives are bounded before they reach a dead letter."""


class UnknownDevice(Rejected):
    """An envelope from a device missing from the registry; ``ids`` say how the network server names it
    (what adoption needs)."""

    def __init__(self, ids: DeviceIds) -> None:
        detail = short(f"{ids.describe()} is not in the registry")
        super().__init__(RejectReason.UNKNOWN_DEVICE, detail, suggested_id(ids))
        self.ids = ids


def suggested_id(ids: DeviceIds) -> str:
    """A registry id for an unknown device: the TTS device id, else the DevEUI in lower case."""
    if ids.network is DeviceFormat.TTN and ids.device_id:
        return ids.device_id[:MAX_ID_CHARS]
    return (ids.dev_eui or ids.device_id or "").lower()[:MAX_ID_CHARS]


def parse_envelope(format: DeviceFormat, topic: str, payload: bytes, limits: Limits = DEFAULT_LIMITS) -> Uplink:
    """One MQTT message of a network server -> :class:`Uplink`, or :class:`Rejected` (bad topic, not JSON,
    fields of the wrong type, a payload that contradicts its topic, too large)."""
    if len(payload) > limits.max_payload_bytes:
        detail = f"payload has {len(payload)} bytes, more than {limits.max_payload_bytes}"
        raise Rejected(RejectReason.TOO_LARGE, detail)
    if format is DeviceFormat.TTN:
        try:
            ttn_topic = ttn.parse_topic(topic)
        except ttn.TopicError as exc:
            raise Rejected(RejectReason.BAD_TOPIC, str(exc)) from None
        hint = ttn_topic.device_id[:MAX_ID_CHARS]
        message = validate_payload(ttn.TtnUp, payload, hint)
        assert isinstance(message, ttn.TtnUp)
        return _neutral(lambda: ttn.to_uplink(message, ttn_topic), hint)
    if format is DeviceFormat.CHIRPSTACK:
        try:
            cs_topic = chirpstack.parse_topic(topic)
        except chirpstack.TopicError as exc:
            raise Rejected(RejectReason.BAD_TOPIC, str(exc)) from None
        event = validate_payload(chirpstack.ChirpstackEvent, payload, cs_topic.dev_eui.lower())
        assert isinstance(event, chirpstack.ChirpstackEvent)
        return _neutral(lambda: chirpstack.to_uplink(event, cs_topic), cs_topic.dev_eui.lower())
    raise ValueError(f"{format.value} is not a LoRaWAN envelope format")


def find_device(registry: Registry, ids: DeviceIds) -> Device | None:
    """TTS: the end-device id as registry id, else the DevEUI. ChirpStack: the DevEUI."""
    if ids.network is DeviceFormat.TTN and ids.device_id:
        device = registry.device_by_id.get(ids.device_id)
        if device is not None:
            return device
    return registry.device_by_dev_eui.get(ids.dev_eui) if ids.dev_eui else None


def uplink_readings(
    uplink: Uplink, received_ns: int, registry: Registry, limits: Limits = DEFAULT_LIMITS
) -> list[Reading]:
    """The readings of one uplink: occupancy or passages from its payload, then one status reading with the
    radio metadata (so every uplink counts as a sign of life)."""
    device = find_device(registry, uplink.ids)
    if device is None:
        raise UnknownDevice(uplink.ids)
    if device.format is not uplink.ids.network:
        raise Rejected(
            RejectReason.WRONG_FORMAT,
            f"{uplink.ids.describe()} is registered as '{device.id}' with format {device.format.value}",
            device.id,
        )
    ts_ns = uplink.time_ns if uplink.time_ns is not None else received_ns
    from_receipt = uplink.time_ns is None
    _not_in_future(ts_ns, received_ns, limits, device.id)

    values = uplink_values(device, uplink)
    readings: list[Reading] = []
    if values.occupied is not None:
        readings.append(_occupancy(device, values.occupied, ts_ns, from_receipt))
    for count in values.counts:
        readings.append(_passage(device, count, uplink, ts_ns, from_receipt, received_ns, limits))
    status = {**uplink.status, **uplink.radio_status(), **values.status}
    readings.append(StatusReading(device.id, ts_ns, status, from_receipt))
    return readings


def decode_envelope(
    format: DeviceFormat,
    topic: str,
    payload: bytes,
    received_ns: int,
    registry: Registry,
    limits: Limits = DEFAULT_LIMITS,
) -> list[Reading]:
    """:func:`parse_envelope` then :func:`uplink_readings`."""
    return uplink_readings(parse_envelope(format, topic, payload, limits), received_ns, registry, limits)


def uplink_values(device: Device, uplink: Uplink) -> Values:
    """What the uplink's application payload says.

    When the registry names a codec and the uplink has bytes, the codec decodes the bytes: it is tested against
    the vendor's vectors, whereas the server's formatter is whatever someone configured there, and the same
    uplink then reads the same through either server. The server's decoded object is used when there are no
    bytes (through the codec's mapping) or when the registry names no codec (then it must use ridebuy's native
    field names: a formatter written for ridebuy).
    """
    if uplink.event is not EventKind.UP or uplink.f_port == 0:
        return Values()  # MAC commands only, or a status event: radio metadata and status, no payload
    codec = codec_for(device.codec)
    if device.codec is not None and codec is None:
        detail = f"the registry names codec '{device.codec}', which ridebuy lacks"
        raise Rejected(RejectReason.NO_CODEC, detail, device.id)
    if codec is not None:
        if device.kind not in codec.kinds:
            raise Rejected(
                RejectReason.WRONG_KIND, f"codec '{codec.name}' does not serve {device.kind.value} devices", device.id
            )
        try:
            if uplink.frm_payload:
                return codec.from_decoded(uplink.f_port, codec.decode(uplink.f_port, uplink.frm_payload))
            if uplink.decoded is not None:
                return codec.from_decoded(uplink.f_port, uplink.decoded)
        except CodecError as exc:
            detail = f"{codec.name}, fPort {uplink.f_port}: {exc}"
            raise Rejected(RejectReason.INVALID_PAYLOAD, detail, device.id) from None
        return Values()
    if uplink.decoded is not None:
        return _native_values(device, uplink.decoded)
    if not uplink.frm_payload:
        return Values()
    raise Rejected(
        RejectReason.NO_CODEC, "the registry names no codec and the network server sent no decoded object", device.id
    )


# Readings ----------------------------------------------------------------------------------------------------


def _occupancy(device: Device, occupied: int, ts_ns: int, from_receipt: bool) -> OccupancyReading:
    if device.kind is DeviceKind.COUNTER or device.parking is None:
        raise Rejected(RejectReason.WRONG_KIND, "a counter device does not send occupancy", device.id)
    if occupied < 0 or (device.kind is DeviceKind.SLOT and occupied > 1):
        raise Rejected(RejectReason.INVALID_PAYLOAD, f"occupied {occupied} for a {device.kind.value}", device.id)
    return OccupancyReading(device.id, device.parking, device.kind, occupied, ts_ns, from_receipt)


def _passage(
    device: Device, count: Count, uplink: Uplink, ts_ns: int, from_receipt: bool, received_ns: int, limits: Limits
) -> PassageReading:
    if device.counter is None:
        raise Rejected(RejectReason.WRONG_KIND, f"a {device.kind.value} device does not send passages", device.id)
    # A count "since the previous report" covers the device's report period, which its heartbeat is.
    interval_s = count.interval_s if count.interval_s is not None else heartbeat_allowance_s(device)
    end_ns = count.end_ns if count.end_ns is not None else ts_ns
    _not_in_future(end_ns, received_ns, limits, device.id)
    start_ns = end_ns - interval_s * _NS
    return PassageReading(
        device.id,
        device.counter,
        count.direction,
        count.traffic_class,
        count.count,
        interval_s,
        start_ns,
        passage_point_ns(start_ns, uplink.f_cnt, uplink.frm_payload),
        from_receipt and count.end_ns is None,
    )


def _native_values(device: Device, obj: Mapping[str, Any]) -> Values:
    """A decoded object with ridebuy's native field names (docs/design.md, native contract)."""
    status = _model(StatusPayload, obj, device.id)
    values = Values(status=status.values())
    if device.kind is DeviceKind.COUNTER:
        if "direction" in obj:
            passage = _model(PassagePayload, obj, device.id)
            count = Count(passage.direction, passage.count, passage.interval_s, traffic_class=passage.traffic_class)
            return Values(counts=(count,), status=values.status)
    elif "occupied" in obj:
        occupancy: RackOccupancyPayload | SlotOccupancyPayload = (
            _model(RackOccupancyPayload, obj, device.id)
            if device.kind is DeviceKind.RACK
            else _model(SlotOccupancyPayload, obj, device.id)
        )
        return Values(occupied=int(occupancy.occupied), status=values.status)
    if not values.status:
        wanted = "direction" if device.kind is DeviceKind.COUNTER else "occupied"
        raise Rejected(
            RejectReason.INVALID_PAYLOAD, f"the decoded object has neither '{wanted}' nor status fields", device.id
        )
    return values


# Helpers -----------------------------------------------------------------------------------------------------


def _not_in_future(ts_ns: int, received_ns: int, limits: Limits, device_id: str) -> None:
    if ts_ns > received_ns + limits.max_future_s * _NS:
        raise Rejected(
            RejectReason.TIMESTAMP_IN_FUTURE,
            f"measurement time is more than {limits.max_future_s} s ahead of the time of receipt",
            device_id,
        )


def _model(model: type[ModelT], obj: Mapping[str, Any], device_id: str) -> ModelT:
    """Validate as JSON, the way the native contract's strict models read a message."""
    try:
        return model.model_validate_json(json.dumps(obj))
    except ValidationError as exc:
        first = exc.errors(include_url=False, include_input=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "object"
        raise Rejected(RejectReason.INVALID_PAYLOAD, f"decoded {where}: {short(first['msg'])}", device_id) from None


def _neutral(build: Callable[[], Uplink], device_hint: str) -> Uplink:
    try:
        return build()
    except ValueError as exc:
        raise Rejected(RejectReason.INVALID_PAYLOAD, short(str(exc)), device_hint) from None
