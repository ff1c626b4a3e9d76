"""Loading the codec vectors of ``tests/devices/vectors`` (see its README)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ridebuy.devices.codecs import Count, Values
from ridebuy.devices.payloads import Direction

VECTORS_DIR = Path(__file__).parent / "vectors"


@dataclass(frozen=True)
class Vector:
    codec: str
    description: str
    origin: str
    f_port: int
    data: bytes
    output: dict[str, Any] | None
    values: Values | None
    error: str | None

    @property
    def id(self) -> str:
        return f"{self.codec}: {self.description}"


def _values(raw: dict[str, Any]) -> Values:
    counts = tuple(
        Count(
            Direction(item["direction"]),
            item["count"],
            item.get("interval_s"),
            item["end_s"] * 1_000_000_000 if "end_s" in item else None,
        )
        for item in raw.get("counts", [])
    )
    return Values(occupied=raw.get("occupied"), counts=counts, status=raw.get("status", {}))


def load_vectors() -> list[Vector]:
    vectors = []
    for path in sorted(VECTORS_DIR.glob("*.yaml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert document["codec"] == path.stem, f"{path.name} must be named after its codec"
        for raw in document["vectors"]:
            vectors.append(
                Vector(
                    codec=document["codec"],
                    description=raw["description"],
                    origin=raw["origin"],
                    f_port=raw["input"]["fPort"],
                    data=bytes(raw["input"]["bytes"]),
                    output=raw["output"]["data"] if "output" in raw else None,
                    values=_values(raw["values"]) if "values" in raw else None,
                    error=raw.get("error"),
                )
            )
    return vectors
