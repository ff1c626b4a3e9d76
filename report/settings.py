"""Settings of ``ridebuy report``: the store it reads, the registry for the names, the town's language and
Ride and Buy assumptions."""

from __future__ import annotations

from ridebuy.devices.settings import RegistrySettings, RideAndBuySettings
from ridebuy.shared.settings import LanguageSettings
from ridebuy.store.settings import StoreSettings


class ReportSettings(StoreSettings, RegistrySettings, LanguageSettings, RideAndBuySettings):
    pass
