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


LANGUAGES = ("fr", "en")
"""Titles and descriptions exist in these; the page speaks the first that is RIDEBUY_OPEN_DATA_LANGUAGE, else
English, and the catalogue carries both."""


@dataclass(frozen=True, slots=True)
class Feed:
    key: str
    titles: dict[str, str]
    """Per language (fr, en)."""
    descriptions: dict[str, str]
    paths: tuple[str, ...]
    """Paths under /open-data/ of its distributions (one per file or per parking)."""
    media_type: str
    file_type: str
    """EU file-type authority code (JSON_LD, XML, JSON, CSV)."""
    conforms_to: str
    frequency: str
    """EU frequency authority code: UPDATE_CONT for live data, IRREG for descriptions."""


_VELOPARK = "https://velopark.ilabt.imec.be/openvelopark/vocabulary"
_DATEX_PARKING = "https://datex2.eu/schema/3/parking"


def feeds(registry: Registry) -> list[Feed]:
    parkings = [p.id for p in registry.parkings]
    return [
        Feed(
            "velopark",
            {"en": "Bicycle parkings (Velopark JSON-LD)", "fr": "Parkings vélos (Velopark JSON-LD)"},
            {
                "en": "One document per parking in Velopark's application profile: location, capacity per bike "
                "type, covered, opening hours, price, and a link to its live document.",
                "fr": "Un document par parking selon le profil d'application de Velopark : position, places par "
                "type de vélo, couvert, horaires, prix, et le lien vers son document en temps réel.",
            },
            tuple(f"velopark/{p}.jsonld" for p in parkings),
            "application/ld+json",
            "JSON_LD",
            _VELOPARK,
            "IRREG",
        ),
        Feed(
            "velopark-live",
            {
                "en": "Free places per parking, live (Velopark JSON-LD)",
                "fr": "Places libres par parking, en temps réel (Velopark JSON-LD)",
            },
            {
                "en": "mv:RealTimeCapacity per parking section: free places (absent while unknown), total places "
                "and the time of the figure.",
                "fr": "mv:RealTimeCapacity par section de parking : places libres (absentes tant qu'elles sont "
                "inconnues), nombre total de places et heure de la mesure.",
            },
            tuple(f"velopark/{p}/live.jsonld" for p in parkings),
            "application/ld+json",
            "JSON_LD",
            _VELOPARK,
            "UPDATE_CONT",
        ),
        Feed(
            "datex2-table",
            {
                "en": "Bicycle parkings (DATEX II v3 ParkingTablePublication)",
                "fr": "Parkings vélos (DATEX II v3 ParkingTablePublication)",
            },
            {
                "en": "Each parking as a prk:Place for bicycles with name, point location and supply.",
                "fr": "Chaque parking comme prk:Place pour vélos, avec nom, position et nombre de places.",
            },
            ("datex2/parking-table.xml",),
            "application/xml",
            "XML",
            _DATEX_PARKING,
            "IRREG",
        ),
        Feed(
            "datex2-status",
            {
                "en": "Bicycle parking occupancy, live (DATEX II v3 ParkingStatusPublication)",
                "fr": "Occupation des parkings vélos, en temps réel (DATEX II v3 ParkingStatusPublication)",
            },
            {
                "en": "Per parking: vacant and occupied spaces, occupancy, status and opening status; unknown "
                "figures are left out, never invented.",
                "fr": "Par parking : places libres et occupées, taux d'occupation, état et ouverture ; un chiffre "
                "inconnu est omis, jamais inventé.",
            },
            ("datex2/parking-status.xml",),
            "application/xml",
            "XML",
            _DATEX_PARKING,
            "UPDATE_CONT",
        ),
        Feed(
            "datex2-light",
            {
                "en": "Bicycle parkings and free places (DATEX II Parking Publication Light)",
                "fr": "Parkings vélos et places libres (DATEX II Parking Publication Light)",
            },
            {
                "en": "The light JSON profile: one parking site per parking with its spaces and available spaces now.",
                "fr": "Le profil JSON allégé : un site par parking avec ses places et les places libres maintenant.",
            },
            ("datex2/parking-light.json",),
            "application/json",
            "JSON",
            "https://datex2.eu/schema/3/parkingPublicationLight",
            "UPDATE_CONT",
        ),
        Feed(
            "counters",
            {
                "en": "Bicycle counts (comptage mobilités: sites, channels, measures)",
                "fr": "Comptages vélos (comptage mobilités : sites, channels, measures)",
            },
            {
                "en": "Counting sites, one BIKE channel per direction, and bikes per quarter hour for a date range "
                "(measures.csv?from=YYYY-MM-DD&to=YYYY-MM-DD); an interval without data is empty, a counted zero 0.",
                "fr": "Sites de comptage, un channel BIKE par sens, et vélos par quart d'heure sur une période "
                "(measures.csv?from=AAAA-MM-JJ&to=AAAA-MM-JJ) ; un intervalle sans donnée est vide, un zéro compté "
                "vaut 0.",
            },
            ("counters/sites.csv", "counters/channels.csv", "counters/measures.csv"),
            "text/csv",
            "CSV",
            "https://schema.data.gouv.fr/etalab/schema-comptage-mobilites/",
            "UPDATE_CONT",
        ),
    ]


def _texts(values: dict[str, str]) -> list[dict[str, str]]:
    return [{"@value": values[language], "@language": language} for language in LANGUAGES]


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
                "dct:title": _texts(feed.titles),
                "dct:description": _texts(feed.descriptions),
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
        "dct:title": _texts({lang: f"{publisher.name}: {_PAGE[lang]['subject']}" for lang in LANGUAGES}),
        "dct:description": _texts({lang: _PAGE[lang]["about"] for lang in LANGUAGES}),
        "dct:publisher": agent,
        "dct:license": licence,
        "dcat:dataset": datasets,
    }


def _example(path: str, today: date) -> str:
    """The measures table needs a range: its link asks for the last seven days."""
    if path != "counters/measures.csv":
        return path
    return f"{path}?from={(today - timedelta(days=6)).isoformat()}&to={today.isoformat()}"


_PAGE = {
    "en": {
        "subject": "bicycle parkings and counts",
        "about": "Live availability of bicycle parkings and bicycle counts, published by ridebuy.",
        "title": "Open data",
        "heading": "Open data: bicycle parkings and counts",
        "published": "Published by {publisher} under {licence}.",
        "live": "The live documents change with the sensors and carry <code>ETag</code> and "
        "<code>Last-Modified</code>; identifiers stay the same.",
        "catalogue": "Machine-readable catalogue (DCAT-AP):",
        "conforms": "conforms to",
    },
    "fr": {
        "subject": "parkings vélos et comptages",
        "about": "Disponibilité en temps réel des parkings vélos et comptages de vélos, publiés par ridebuy.",
        "title": "Données ouvertes",
        "heading": "Données ouvertes : parkings vélos et comptages",
        "published": "Publié par {publisher} sous {licence}.",
        "live": "Les documents en temps réel suivent les capteurs et portent <code>ETag</code> et "
        "<code>Last-Modified</code> ; les identifiants ne changent pas.",
        "catalogue": "Catalogue lisible par machine (DCAT-AP) :",
        "conforms": "conforme à",
    },
}


def page(registry: Registry, publisher: Publisher, uris: Uris, catalogue_json: str, today: date) -> str:
    """The human page, in the publisher's language (French or English): what each feed is, its links, the
    licence; the catalogue embedded for crawlers."""
    e = html.escape
    language = publisher.language if publisher.language in LANGUAGES else "en"
    words = _PAGE[language]
    sections = []
    for feed in feeds(registry):
        links = "".join(
            f'<li><a href="{e(uris.feed(_example(p, today)))}">{e(_example(p, today))}</a></li>' for p in feed.paths
        )
        sections.append(
            f'<section id="{e(feed.key)}"><h2>{e(feed.titles[language])}</h2>'
            f"<p>{e(feed.descriptions[language])}</p>"
            f'<p class="meta">{e(feed.media_type)} · {words["conforms"]} <a href="{e(feed.conforms_to)}">'
            f"{e(feed.conforms_to)}</a></p><ul>{links}</ul></section>"
        )
    # "</" cannot close the script block: the JSON's slashes are escaped where they follow "<".
    embedded = catalogue_json.replace("</", "<\\/")
    published = words["published"].format(
        publisher=f"<strong>{e(publisher.name)}</strong>",
        licence=f'<a href="{e(publisher.licence)}" rel="license">{e(publisher.licence)}</a>',
    )
    catalogue_url = e(uris.feed("catalogue.jsonld"))
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{words["title"]} · {e(publisher.name)}</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/open-data.css">
<link rel="alternate" type="application/ld+json" href="{catalogue_url}">
<script type="application/ld+json">{embedded}</script>
</head>
<body>
<main>
<h1>{words["heading"]}</h1>
<p>{published} {words["live"]}
{words["catalogue"]} <a href="{catalogue_url}">catalogue.jsonld</a>.</p>
{"".join(sections)}
</main>
</body>
</html>
"""


def dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
