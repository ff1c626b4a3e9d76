"""Settings of ``ridebuy demo``: it runs an ingest and an API, so it takes the settings of both."""

from __future__ import annotations

from ridebuy.api.settings import ApiSettings
from ridebuy.ingest.settings import IngestSettings


# Both bases are pydantic settings models; the plugin flags their generated constructors as clashing, which is
# harmless: they share the same base fields (broker, store, registry, message limits) with the same types.
class DemoSettings(IngestSettings, ApiSettings):  # type: ignore[misc]
    pass
