"""The registry model: parkings, counters and the devices that measure them, validated.

A bad registry stops start-up with a message that names the file, the entry and the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ridebuy.devices.ids import Identifier
from ridebuy.devices.opening_hours import parse_opening_hours
from ridebuy.devices.panels import Panel, panel_reference_errors

DEFAULT_HEARTBEAT_S = 900
SAMPLE_REGISTRY = "hannut.yaml"


class DeviceKind(StrEnum):
    RACK = "rack"
    """Counts the bikes in a whole rack (or a section of one)."""
    SLOT = "slot"
    """Watches one space: occupied or not."""
    COUNTER = "counter"
    """Counts passages on a road or path."""


class DeviceFormat(StrEnum):
    NATIVE = "native"
    TTN = "ttn"
    CHIRPSTACK = "chirpstack"


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SecureKind(StrEnum):
    """How bikes are protected beyond a rack to lock them to."""

    NONE = "none"
    LOCKER = "locker"
    """Individual bike lockers."""
    BIKE_ROOM = "bike_room"
    """A closed room or shelter (key, badge or code)."""
    GUARDED = "guarded"
    """Staff on site."""


class BicyclePlaces(_Entry):
    """Places per bicycle type; what is not listed is a place for any bike."""

    regular: Annotated[int, Field(ge=0, le=100_000)] = 0
    cargo: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Places long or wide enough for cargo bikes and trailers."""
    ebike: Annotated[int, Field(ge=0, le=100_000)] = 0
    """Places kept for e-bikes (usually next to a charging point)."""

    @property
    def total(self) -> int:
        return self.regular + self.cargo + self.ebike


class Parking(_Entry):
    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    capacity: Annotated[int, Field(ge=0, le=100_000)]
    covered: bool = False
    closed: bool = False
    address: Annotated[str, Field(min_length=1, max_length=300)] | None = None
    opening_hours: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """OpenStreetMap ``opening_hours`` syntax (e.g. ``Mo-Sa 07:00-20:00``); none: always open."""
    secure: SecureKind = SecureKind.NONE
    places: BicyclePlaces | None = None
    charging_points: Annotated[int, Field(ge=0, le=100_000)] = 0
    """E-bike charging sockets."""
    price: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """``free``, or the price as a text (``0,50 € / jour``); none: not known."""
    max_stay_h: Annotated[float, Field(gt=0, le=24 * 365)] | None = None
    photo_url: Annotated[str, Field(max_length=2000, pattern=r"^https://[^\s/]+(/\S*)?$")] | None = None

    @field_validator("opening_hours")
    @classmethod
    def _opening_hours_syntax(cls, value: str | None) -> str | None:
        if value is not None:
            parse_opening_hours(value)
        return value

    @model_validator(mode="after")
    def _places_fit(self) -> Self:
        if self.places is not None and self.places.total > self.capacity:
            raise ValueError(
                f"places add up to {self.places.total} (regular + cargo + ebike), more than the capacity "
                f"{self.capacity}"
            )
        return self


class Counter(_Entry):
    id: Identifier
    name: Annotated[str, Field(min_length=1, max_length=200)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]


class Device(_Entry):
    id: Identifier
    kind: DeviceKind
    parking: Identifier | None = None
    counter: Identifier | None = None
    spaces: Annotated[int, Field(ge=1, le=100_000)] | None = None
    """Spaces this device watches. A slot watches 1; racks share what the slots leave of the capacity."""
    format: DeviceFormat = DeviceFormat.NATIVE
    codec: str | None = None
    dev_eui: Annotated[str, Field(pattern=r"^[0-9A-Fa-f]{16}$")] | None = None
    heartbeat_s: Annotated[int, Field(ge=1, le=7 * 86_400)] = DEFAULT_HEARTBEAT_S

    @model_validator(mode="after")
    def _attached_to_one_place(self) -> Self:
        if self.kind is DeviceKind.COUNTER:
            if self.counter is None:
                raise ValueError("a counter device needs 'counter'")
            if self.parking is not None:
                raise ValueError("a counter device has no 'parking'")
        else:
            if self.parking is None:
                raise ValueError(f"a {self.kind.value} device needs 'parking'")
            if self.counter is not None:
                raise ValueError(f"a {self.kind.value} device has no 'counter'")
        if self.kind is DeviceKind.SLOT and self.spaces not in (None, 1):
            raise ValueError("a slot device watches exactly one space")
        return self


class RegistryError(ValueError):
    """The registry file cannot be used; the message names the file, the entry and the field."""


class Registry(_Entry):
    parkings: list[Parking] = Field(default_factory=list)
    counters: list[Counter] = Field(default_factory=list)
    devices: list[Device] = Field(default_factory=list)
    panels: list[Panel] = Field(default_factory=list)
    """Display panels and the parkings each shows (devices.panels)."""

    def model_post_init(self, context: Any, /) -> None:
        object.__setattr__(self, "_parkings", {p.id: p for p in self.parkings})
        object.__setattr__(self, "_counters", {c.id: c for c in self.counters})
        object.__setattr__(self, "_devices", {d.id: d for d in self.devices})
        object.__setattr__(self, "_panels", {p.id: p for p in self.panels})
        object.__setattr__(self, "_by_dev_eui", {d.dev_eui.upper(): d for d in self.devices if d.dev_eui})
        by_parking: dict[str, list[Device]] = {}
        for device in self.devices:
            if device.parking is not None:
                by_parking.setdefault(device.parking, []).append(device)
        object.__setattr__(self, "_by_parking", by_parking)
        object.__setattr__(self, "_spaces", _spaces_per_device(self))

    # Lookups -----------------------------------------------------------------------------------------
    @property
    def parking_by_id(self) -> Mapping[str, Parking]:
        return self._parkings  # type: ignore[no-any-return, attr-defined]

    @property
    def counter_by_id(self) -> Mapping[str, Counter]:
        return self._counters  # type: ignore[no-any-return, attr-defined]

    @property
    def device_by_id(self) -> Mapping[str, Device]:
        return self._devices  # type: ignore[no-any-return, attr-defined]

    @property
    def panel_by_id(self) -> Mapping[str, Panel]:
        return self._panels  # type: ignore[no-any-return, attr-defined]

    @property
    def device_by_dev_eui(self) -> Mapping[str, Device]:
        """Devices by DevEUI in upper-case hex (how LoRaWAN envelopes name them)."""
        return self._by_dev_eui  # type: ignore[no-any-return, attr-defined]

    def spaces_of(self, device_id: str) -> int:
        """Spaces a rack or slot device watches (0 for counters)."""
        return self._spaces.get(device_id, 0)  # type: ignore[no-any-return, attr-defined]

    def devices_of_parking(self, parking_id: str) -> list[Device]:
        return list(self._by_parking.get(parking_id, ()))  # type: ignore[attr-defined]

    @model_validator(mode="after")
    def _references_hold(self) -> Self:
        for section in ("parkings", "counters", "devices", "panels"):
            seen: set[str] = set()
            for index, entry in enumerate(getattr(self, section)):
                if entry.id in seen:
                    raise _EntryError(section, index, entry.id, "id", f"duplicate id '{entry.id}'")
                seen.add(entry.id)
        dev_euis: dict[str, str] = {}
        for index, device in enumerate(self.devices):
            if device.dev_eui is not None:
                other = dev_euis.setdefault(device.dev_eui.upper(), device.id)
                if other != device.id:
                    raise _EntryError("devices", index, device.id, "dev_eui", f"DevEUI already used by '{other}'")
        parkings = {p.id: p for p in self.parkings}
        counters = {c.id for c in self.counters}
        for index, device in enumerate(self.devices):
            if device.parking is not None and device.parking not in parkings:
                raise _EntryError("devices", index, device.id, "parking", f"unknown parking '{device.parking}'")
            if device.counter is not None and device.counter not in counters:
                raise _EntryError("devices", index, device.id, "counter", f"unknown counter '{device.counter}'")
        for index, field, message in panel_reference_errors(self.panels, parkings):
            raise _EntryError("panels", index, self.panels[index].id, field, message)
        by_parking: dict[str, list[Device]] = {}
        for device in self.devices:
            if device.parking is not None:
                by_parking.setdefault(device.parking, []).append(device)
        for index, parking in enumerate(self.parkings):
            watched = by_parking.get(parking.id, [])
            explicit = sum(d.spaces or 1 for d in watched if d.kind is DeviceKind.SLOT or d.spaces is not None)
            if explicit > parking.capacity:
                raise _EntryError(
                    "parkings",
                    index,
                    parking.id,
                    "capacity",
                    f"its devices watch {explicit} spaces, more than the capacity {parking.capacity}",
                )
        return self


class _EntryError(ValueError):
    def __init__(self, section: str, index: int, entry_id: str, field: str, message: str) -> None:
        super().__init__(f"{section}[{index}] (id '{entry_id}'), field '{field}': {message}")


def _spaces_per_device(registry: Registry) -> dict[str, int]:
    """Slots watch one space each; racks without ``spaces`` share what is left of the capacity evenly."""
    spaces: dict[str, int] = {}
    for parking in registry.parkings:
        watched = registry.devices_of_parking(parking.id)
        fixed = 0
        open_racks: list[Device] = []
        for device in watched:
            if device.kind is DeviceKind.SLOT:
                spaces[device.id] = 1
                fixed += 1
            elif device.spaces is not None:
                spaces[device.id] = device.spaces
                fixed += device.spaces
            else:
                open_racks.append(device)
        left = max(parking.capacity - fixed, 0)
        for position, rack in enumerate(open_racks):
            share, remainder = divmod(left, len(open_racks))
            spaces[rack.id] = share + (1 if position < remainder else 0)
    return spaces


def parse_registry(data: object, source: str) -> Registry:
    """Validate already-parsed YAML; ``source`` names the file in error messages."""
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RegistryError(f"{source}: the registry must be a mapping with parkings, counters and devices")
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        raise RegistryError(f"{source}: {_describe(exc, data)}") from None


def _describe(exc: ValidationError, data: dict[str, Any]) -> str:
    first = exc.errors()[0]
    loc = first["loc"]
    message = first["msg"].removeprefix("Value error, ")
    if len(loc) >= 2 and isinstance(loc[1], int):
        section, index = str(loc[0]), loc[1]
        entries = data.get(section) or []
        entry = entries[index] if index < len(entries) else {}
        entry_id = entry.get("id", "?") if isinstance(entry, dict) else "?"
        field = ".".join(str(part) for part in loc[2:]) or "(entry)"
        more = f" (and {exc.error_count() - 1} more problems)" if exc.error_count() > 1 else ""
        return f"{section}[{index}] (id '{entry_id}'), field '{field}': {message}{more}"
    if not loc:
        return message
    return f"field '{'.'.join(str(p) for p in loc)}': {message}"


def load_registry(path: str | Path) -> Registry:
    """Read and validate a registry file (YAML). Raises :class:`RegistryError` with a precise message."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryError(f"{file}: cannot read the registry ({exc.strerror})") from None
    try:
        # libyaml's safe loader when PyYAML has it: the same documents, ~10x faster (100,000 devices load in
        # seconds, not minutes) and a lower memory peak (docs/performance.md).
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise RegistryError(f"{file}: not valid YAML ({exc})") from None
    return parse_registry(data, str(file))


def sample_registry_path() -> Path:
    """The Hannut sample registry shipped with the package."""
    return Path(str(resources.files("ridebuy.devices") / "data" / SAMPLE_REGISTRY))
