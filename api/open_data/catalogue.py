"""The catalogue of the feeds: DCAT-AP JSON-LD for portals (transportdata.be, data.europa.eu harvesters) and a
small HTML page for people, both from one list of feeds."""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from ridebuy.api.open_data.publication import Publisher, Uris
from ridebuy.devices.registry import Registry

MEDIA_TYPE = "application/ld+json"

_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"
_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
_CONTEXT = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}


@dataclass(frozen=True, slots=True)
class Feed:
    key: str
    title: str
    description: str
    paths: tuple[str, ...]
    """Paths under /open-data/ of its distributions (one per file or per parking)."""
    media_type: str
    file_type: str
    """EU file-type authority code (JSON_LD, XML, JSON, CSV)."""
    conforms_to: str
    frequency: str
    """EU frequency authority code: UPDATE_CONT for live data, IRREG for descriptions."""


def feeds(registry: Registry) -> list[Feed]:
    parkings = [p.id for p in registry.parkings]
    return [
        Feed(
            "velopark",
            "Bicycle parkings (Velopark JSON-LD)",
            "One document per parking in Velopark's application profile: location, capacity per bike type, "
            "covered, opening hours, price, and a link to its live document.",
            tuple(f"velopark/{p}.jsonld" for p in parkings),
            "application/ld+json",
            "JSON_LD",
            "https://velopark.ilabt.imec.be/openvelopark/vocabulary",
            "IRREG",
        ),
        Feed(
            "velopark-live",
            "Free places per parking, live (Velopark JSON-LD)",
            "mv:RealTimeCapacity per parking section: free places (absent while unknown), total places and the "
            "time of the figure.",
            tuple(f"velopark/{p}/live.jsonld" for p in parkings),
            "application/ld+json",
            "JSON_LD",
            "https://velopark.ilabt.imec.be/openvelopark/vocabulary",
            "UPDATE_CONT",
        ),
        Feed(
            "datex2-table",
            "Bicycle parkings (DATEX II v3 ParkingTablePublication)",
            "Each parking as a prk:Place for bicycles with name, point location and supply.",
            ("datex2/parking-table.xml",),
            "application/xml",
            "XML",
            "https://datex2.eu/schema/3/parking",
            "IRREG",
        ),
        Feed(
            "datex2-status",
            "Bicycle parking occupancy, live (DATEX II v3 ParkingStatusPublication)",
            "Per parking: vacant and occupied spaces, occupancy, status and opening status; unknown figures are "
            "left out, never invented.",
            ("datex2/parking-status.xml",),
            "application/xml",
            "XML",
            "https://datex2.eu/schema/3/parking",
            "UPDATE_CONT",
        ),
        Feed(
            "datex2-light",
            "Bicycle parkings and free places (DATEX II Parking Publication Light)",
            "The light JSON profile: one parking site per parking with its spaces and available spaces now.",
            ("datex2/parking-light.json",),
            "application/json",
            "JSON",
            "https://datex2.eu/schema/3/parkingPublicationLight",
            "UPDATE_CONT",
        ),
        Feed(
            "counters",
            "Bicycle counts (comptage mobilités: sites, channels, measures)",
            "Counting sites, one BIKE channel per direction, and bikes per quarter hour for a date range "
            "(measures.csv?from=YYYY-MM-DD&to=YYYY-MM-DD); an interval without data is empty, a counted zero 0.",
            ("counters/sites.csv", "counters/channels.csv", "counters/measures.csv"),
            "text/csv",
            "CSV",
            "https://schema.data.gouv.fr/etalab/schema-comptage-mobilites/",
            "UPDATE_CONT",
        ),
    ]


def catalogue(registry: Registry, publisher: Publisher, uris: Uris) -> dict[str, Any]:
    """A ``dcat:Catalog`` with one ``dcat:Dataset`` per feed and one ``dcat:Distribution`` per file."""
    agent = {"@id": publisher.url or f"{uris.catalogue}#publisher", "@type": "foaf:Agent", "foaf:name": publisher.name}
    licence = {"@id": publisher.licence}
    datasets = []
    for feed in feeds(registry):
        datasets.append(
            {
                "@id": f"{uris.catalogue}#{feed.key}",
                "@type": "dcat:Dataset",
                "dct:title": {"@value": feed.title, "@language": "en"},
                "dct:description": {"@value": feed.description, "@language": "en"},
                "dct:publisher": agent,
                "dct:accrualPeriodicity": {"@id": _FREQUENCY + feed.frequency},
                "dct:conformsTo": {"@id": feed.conforms_to},
                "dcat:theme": {"@id": "http://publications.europa.eu/resource/authority/data-theme/TRAN"},
                "dcat:keyword": ["bicycle", "parking" if feed.key != "counters" else "counting"],
                "dcat:distribution": [
                    {
                        "@id": uris.feed(path),
                        "@type": "dcat:Distribution",
                        "dcat:accessURL": {"@id": uris.feed(path)},
                        "dcat:mediaType": {"@id": f"https://www.iana.org/assignments/media-types/{feed.media_type}"},
                        "dct:format": {"@id": _FILE_TYPE + feed.file_type},
                        "dct:license": licence,
                    }
                    for path in feed.paths
                ],
            }
        )
    return {
        "@context": _CONTEXT,
        "@id": uris.catalogue,
        "@type": "dcat:Catalog",
        "dct:title": {"@value": f"{publisher.name}: bicycle parkings and counts", "@language": "en"},
        "dct:description": {
            "@value": "Live availability of bicycle parkings and bicycle counts, published by ridebuy.",
            "@language": "en",
        },
        "dct:publisher": agent,
        "dct:license": licence,
        "dcat:dataset": datasets,
    }


def _example(path: str, today: date) -> str:
    """The measures table needs a range: its link asks for the last seven days."""
    if path != "counters/measures.csv":
        return path
    return f"{path}?from={(today - timedelta(days=6)).isoformat()}&to={today.isoformat()}"


def page(registry: Registry, publisher: Publisher, uris: Uris, catalogue_json: str, today: date) -> str:
    """The human page: what each feed is, its links, the licence; the catalogue embedded for crawlers."""
    e = html.escape
    sections = []
    for feed in feeds(registry):
        links = "".join(
            f'<li><a href="{e(uris.feed(_example(p, today)))}">{e(_example(p, today))}</a></li>' for p in feed.paths
        )
        sections.append(
            f'<section id="{e(feed.key)}"><h2>{e(feed.title)}</h2><p>{e(feed.description)}</p>'
            f'<p class="meta">{e(feed.media_type)} · conforms to <a href="{e(feed.conforms_to)}">'
            f"{e(feed.conforms_to)}</a></p><ul>{links}</ul></section>"
        )
    # "</" cannot close the script block: the JSON's slashes are escaped where they follow "<".
    embedded = catalogue_json.replace("</", "<\\/")
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Open data · {e(publisher.name)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/open-data.css">
<link rel="alternate" type="application/ld+json" href="{e(uris.feed("catalogue.jsonld"))}">
<script type="application/ld+json">{embedded}</script>
</head>
<body>
<main>
<h1>Open data: bicycle parkings and counts</h1>
<p>Published by <strong>{e(publisher.name)}</strong> under
<a href="{e(publisher.licence)}" rel="license">{e(publisher.licence)}</a>. The live documents change with the
sensors and carry <code>ETag</code> and <code>Last-Modified</code>; identifiers stay the same.
Machine-readable catalogue (DCAT-AP): <a href="{e(uris.feed("catalogue.jsonld"))}">catalogue.jsonld</a>.</p>
{"".join(sections)}
</main>
</body>
</html>
"""


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
