"""What every feed shares: who publishes, under which licence, and the stable URIs of what it describes."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from ridebuy.api.open_data.settings import OpenDataSettings
from ridebuy.devices.registry import Parking

OPEN_DATA_PATH = "/open-data"


@dataclass(frozen=True, slots=True)
class Publisher:
    """The body that publishes the feeds (settings ``open_data_*``)."""

    name: str
    url: str | None
    licence: str
    country: str
    language: str

    @classmethod
    def from_settings(cls, settings: OpenDataSettings) -> Publisher:
        return cls(
            name=settings.open_data_publisher,
            url=settings.open_data_publisher_url or None,
            licence=settings.open_data_licence,
            country=settings.open_data_country,
            language=settings.open_data_language,
        )


@dataclass(frozen=True, slots=True)
class Uris:
    """Stable identifiers under the public base URL: the API's own resources name the things, feeds name
    themselves. The same parking keeps the same URI in every feed and across restarts."""

    base: str
    """Public base URL without a trailing slash, e.g. ``https://velo.hannut.be``."""

    def parking(self, parking_id: str) -> str:
        return f"{self.base}/v1/parkings/{parking_id}"

    def section(self, parking_id: str) -> str:
        """ridebuy knows one section per parking: the whole of it."""
        return f"{self.parking(parking_id)}#section"

    def counter(self, counter_id: str) -> str:
        return f"{self.base}/v1/counters/{counter_id}"

    def feed(self, path: str) -> str:
        """A feed's URL, from its path under /open-data/ (``datex2/parking-table.xml``)."""
        return f"{self.base}{OPEN_DATA_PATH}/{path}"

    def velopark(self, parking_id: str) -> str:
        return self.feed(f"velopark/{parking_id}.jsonld")

    def velopark_live(self, parking_id: str) -> str:
        return self.feed(f"velopark/{parking_id}/live.jsonld")

    @property
    def catalogue(self) -> str:
        return f"{self.base}{OPEN_DATA_PATH}/"


@functools.lru_cache(maxsize=100_000)
def parking_version(parking: Parking) -> str:
    """A version that changes exactly when the registry entry does (DATEX II versions static records). Cached:
    entries are frozen, and the status publication names every version at each change of the live state."""
    return hashlib.blake2b(parking.model_dump_json().encode(), digest_size=6).hexdigest()


def rfc3339(ns: int) -> str:
    """UTC, to the second, with a Z: what every format here accepts."""
    return datetime.fromtimestamp(ns // 1_000_000_000, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
