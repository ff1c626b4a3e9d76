"""Settings of the device contract (which registry file, the limits every reader of messages applies) and the Ride
and Buy assumptions every feature that shows a Ride and Buy figure reads."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from ridebuy.devices.registry import sample_registry_path
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, RideAndBuyAssumptions
from ridebuy.shared.settings import SettingsBase


class RegistrySettings(SettingsBase):
    registry: Path = Field(default_factory=sample_registry_path, description="path to the registry YAML")


class MessageLimitsSettings(SettingsBase):
    """The ingest and the API read device messages by the same rules, so they share these limits."""

    max_payload_bytes: Annotated[int, Field(ge=16, le=16 * 1024 * 1024)] = Field(
        64 * 1024, description="larger payloads are dead-lettered as too_large"
    )
    max_future_s: Annotated[int, Field(ge=0)] = Field(
        300, description="measurement times further ahead than this are dead-lettered as timestamp_in_future"
    )


class RideAndBuySettings(SettingsBase):
    """The Ride and Buy estimate's assumptions (:class:`RideAndBuyAssumptions`). The display panels (``ridebuy
    api``, ``ridebuy demo``), the Grafana dashboards (``ridebuy dashboards``) and the council report (``ridebuy
    report``) all take them from here, so one town's settings give one CO2 figure everywhere."""

    ride_and_buy_trip_km: Annotated[float, Field(ge=0, le=1000)] = Field(
        DEFAULT_ASSUMPTIONS.trip_km,
        description="Ride and Buy estimate: average length of a cycle trip to or from the centre, km "
        "(display panels, dashboards, report)",
    )
    ride_and_buy_car_share: Annotated[float, Field(ge=0, le=1)] = Field(
        DEFAULT_ASSUMPTIONS.car_share,
        description="Ride and Buy estimate: share of cycle trips that would otherwise be made by car (0..1)",
    )
    ride_and_buy_co2_g_per_km: Annotated[float, Field(ge=0, le=10_000)] = Field(
        DEFAULT_ASSUMPTIONS.co2_g_per_km,
        description="Ride and Buy estimate: g CO2 per km of the car trip avoided",
    )
    ride_and_buy_full_pct: Annotated[float, Field(gt=0, le=100)] = Field(
        DEFAULT_ASSUMPTIONS.full_pct,
        description="Ride and Buy: a parking counts as full from this percentage of its capacity (dashboards' map and "
        "figures, report)",
    )

    def ride_and_buy_assumptions(self) -> RideAndBuyAssumptions:
        return RideAndBuyAssumptions(
            trip_km=self.ride_and_buy_trip_km,
            car_share=self.ride_and_buy_car_share,
            co2_g_per_km=self.ride_and_buy_co2_g_per_km,
            full_pct=self.ride_and_buy_full_pct,
        )
