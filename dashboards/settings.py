"""Settings of ``ridebuy dashboards``: the language, registry and Ride and Buy assumptions they are built for,
the Grafana to push to and the store whose InfluxDB it reads."""

from __future__ import annotations

from pydantic import Field, SecretStr

from ridebuy.devices.settings import RegistrySettings, RideAndBuySettings
from ridebuy.shared.settings import LanguageSettings
from ridebuy.store.settings import StoreSettings


class DashboardBuildSettings(RegistrySettings, LanguageSettings, RideAndBuySettings):
    """``ridebuy dashboards build``: the map's places and the names come from the registry, the Ride and Buy
    variables' defaults and the map's full threshold from the assumptions."""


class DashboardSettings(StoreSettings, DashboardBuildSettings):
    """``ridebuy dashboards push``."""

    grafana_url: str | None = Field(None, description="Grafana base URL, e.g. https://grafana.example.org")
    grafana_token: SecretStr | None = Field(
        None,
        description="Grafana service account token with the Editor role on dashboards and Admin on data sources "
        "(better in the environment than as a flag: command lines are visible to other users of the machine)",
    )
    grafana_influx_url: str | None = Field(
        None, description="InfluxDB URL as Grafana reaches it (http://host:8086); default: the store URL's host"
    )
