"""The registry: the town's YAML file of parkings, counters and devices; loading, watching and editing it.

The model and its validation live in :mod:`.model` and are re-exported here; :mod:`.load`, :mod:`.watch` and
:mod:`.edit` read, reload and change the file.
"""

from ridebuy.devices.registry.model import (
    DEFAULT_HEARTBEAT_S,
    SAMPLE_REGISTRY,
    BicyclePlaces,
    Counter,
    Device,
    DeviceFormat,
    DeviceKind,
    Parking,
    Registry,
    RegistryError,
    SecureKind,
    load_registry,
    parse_registry,
    sample_registry_path,
)

__all__ = [
    "DEFAULT_HEARTBEAT_S",
    "SAMPLE_REGISTRY",
    "BicyclePlaces",
    "Counter",
    "Device",
    "DeviceFormat",
    "DeviceKind",
    "Parking",
    "Registry",
    "RegistryError",
    "SecureKind",
    "load_registry",
    "parse_registry",
    "sample_registry_path",
]
