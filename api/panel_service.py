"""The display panels of one running API: their bodies, the Ride and Buy count behind them and the MQTT publisher."""

from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

import anyio
from anyio.abc import TaskGroup

from ridebuy.api.context import ApiContext
from ridebuy.api.panel_publisher import MqttLink, publish_panels_forever
from ridebuy.api.panels import PanelOut, panel_out
from ridebuy.api.ride_and_buy_line import RideAndBuyLine
from ridebuy.devices.panels import Panel
from ridebuy.shared.brokers import BrokerAddress

log = logging.getLogger(__name__)

IDLE_CHECK_S = 5.0
"""How soon a panel with a Ride and Buy line, added by a registry edit, gets its first count."""


class PanelService:
    def __init__(self, context: ApiContext) -> None:
        settings = context.settings
        self.context = context
        self.line = RideAndBuyLine(
            settings.ride_and_buy_assumptions(), ZoneInfo(settings.town_timezone), settings.panel_ride_and_buy_refresh_s
        )
        self.link = MqttLink()
        """The live-state subscription's connection (api.live_subscription fills it): the panels go out on it."""

    def panel(self, panel_id: str) -> Panel | None:
        return self.context.live.registry.panel_by_id.get(panel_id)

    def body(self, panel: Panel) -> PanelOut:
        return panel_out(panel, self.context.live, self.line.out(self.context.clock_ns()))

    def panel_bodies(self) -> dict[str, PanelOut]:
        return {panel.id: self.body(panel) for panel in self.context.live.registry.panels}

    def start(self, tasks: TaskGroup, broker: BrokerAddress | None) -> None:
        """Count passages for the Ride and Buy line; publish on MQTT (through :attr:`link`) when ``broker`` is
        given."""
        tasks.start_soon(self._count_forever)
        if broker is not None:
            interval_s = self.context.settings.panel_publish_interval_s
            tasks.start_soon(publish_panels_forever, self.link, self, interval_s, broker.mqtt_v5)

    async def _count_forever(self) -> None:
        while True:
            registry = self.context.live.registry
            if not any(panel.ride_and_buy for panel in registry.panels):
                await anyio.sleep(IDLE_CHECK_S)
                continue
            counted = await self.line.refresh(self.context.store, registry, self.context.clock_ns())
            await anyio.sleep(self.line.refresh_s if counted else min(self.line.refresh_s, IDLE_CHECK_S))
