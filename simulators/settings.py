"""Settings of ``ridebuy simulate``: the broker it publishes to and the registry whose devices it plays."""

from __future__ import annotations

from ridebuy.devices.settings import RegistrySettings
from ridebuy.shared.settings import BrokerSettings


class SimulatorSettings(BrokerSettings, RegistrySettings):
    pass
