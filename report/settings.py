"""Settings of ``ridebuy report``: the store it reads, the registry for the names, the town's language."""

from __future__ import annotations

from ridebuy.devices.settings import RegistrySettings
from ridebuy.shared.settings import LanguageSettings
from ridebuy.store.settings import StoreSettings


class ReportSettings(StoreSettings, RegistrySettings, LanguageSettings):
    pass
