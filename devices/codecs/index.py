"""The codec index: every vendor module, listed by hand.

Adding a vendor is one module in this package, one line in ``VENDOR_MODULES`` and one vectors file in
``tests/devices/vectors/``; a test fails when a module of this package is missing from the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType

from ridebuy.devices.codecs import bosch, milesight
from ridebuy.devices.codecs.base import Codec

VENDOR_MODULES: tuple[ModuleType, ...] = (bosch, milesight)


def _index() -> dict[str, Codec]:
    codecs: dict[str, Codec] = {}
    for module in VENDOR_MODULES:
        for codec in module.CODECS:
            if codec.name in codecs:
                raise RuntimeError(f"codec name {codec.name!r} is defined twice")
            codecs[codec.name] = codec
    return codecs


CODECS: Mapping[str, Codec] = _index()
"""Every codec by its registry name."""
