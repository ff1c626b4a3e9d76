"""The official schemas of the open-data feeds, read offline from tests/api/open_data_standards/ (see its README)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import frictionless
import jsonschema
import xmlschema
from pyld import jsonld
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

STANDARDS = Path(__file__).parent / "open_data_standards"


@functools.cache
def datex2_schema() -> xmlschema.XMLSchema:
    """DATEX II v3.7 (about 5 s to load: once per test session)."""
    return xmlschema.XMLSchema(str(STANDARDS / "datex2-v3.7-xsd" / "DATEXII_3_D2Payload.xsd"))


def validate_datex2(xml: bytes) -> None:
    datex2_schema().validate(xml.decode())


def validate_parking_light(document: dict[str, Any]) -> None:
    folder = STANDARDS / "datex2-parking-light-json"
    resources = {
        path.name: Resource.from_contents(json.loads(path.read_text()), default_specification=DRAFT4)
        for path in folder.glob("*.json")
    }
    registry: Registry[Any] = Registry().with_resources(resources.items())
    root = json.loads((folder / "DATEXII_3_D2Payload.json").read_text())
    validator = jsonschema.Draft4Validator(root, registry=registry)
    errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def _offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    raise AssertionError(f"the document needs {url}: every context must be inline")


def to_nquads(document: dict[str, Any]) -> str:
    """The RDF a JSON-LD processor reads from the document (no network: contexts must be inline)."""
    nquads: str = jsonld.to_rdf(
        document, {"format": "application/n-quads", "documentLoader": _offline_loader, "base": "http://x.invalid/"}
    )
    return nquads


def expand(document: dict[str, Any]) -> list[dict[str, Any]]:
    expanded: list[dict[str, Any]] = jsonld.expand(document, {"documentLoader": _offline_loader})
    return expanded


def validate_table(csv_text: str, table: str) -> frictionless.Report:
    """A CSV against the French counting table schema ``table`` (site, channel or measure); the report is
    returned valid or the test fails with its errors."""
    descriptor = json.loads((STANDARDS / "counters-fr" / f"{table}.schema.json").read_text())
    schema = frictionless.Schema.from_descriptor(descriptor)
    resource = frictionless.Resource(csv_text.encode(), format="csv", encoding="utf-8", schema=schema)
    report: frictionless.Report = frictionless.validate(resource)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    return report
