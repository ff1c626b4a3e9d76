"""Every vector of every codec: bytes -> the vendor's object -> ridebuy values, or the expected error."""

from __future__ import annotations

import pytest

from ridebuy.devices.codecs import CODECS, CodecError
from tests.devices.codec_vectors import Vector, load_vectors

VECTORS = load_vectors()


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: v.id)
def test_vector(vector: Vector) -> None:
    codec = CODECS[vector.codec]
    if vector.error is not None:
        with pytest.raises(CodecError, match=vector.error):
            codec.from_decoded(vector.f_port, codec.decode(vector.f_port, vector.data))
        return
    decoded = codec.decode(vector.f_port, vector.data)
    assert decoded == vector.output
    assert vector.values is not None
    assert codec.from_decoded(vector.f_port, decoded) == vector.values


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.output is not None], ids=lambda v: v.id)
def test_network_server_object_reads_like_our_decoding(vector: Vector) -> None:
    """A network server sends the formatter's object as JSON, integral numbers possibly as floats (ChirpStack)."""
    assert vector.output is not None

    def as_floats(value: object) -> object:
        if isinstance(value, dict):
            return {key: as_floats(item) for key, item in value.items()}
        if isinstance(value, list):
            return [as_floats(item) for item in value]
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        return value

    codec = CODECS[vector.codec]
    assert codec.from_decoded(vector.f_port, as_floats(vector.output)) == vector.values  # type: ignore[arg-type]
