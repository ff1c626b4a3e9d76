"""Device health: a slowly draining battery, radio quality and the temperature of the enclosure.

Assumptions (see docs/simulators.md): lithium thionyl chloride cells (flat 3.6 V plateau that sags near the end),
a drain of a few hundredths of a percent per day plus a little per message, LoRa-like radio figures fixed per
device with some jitter, and Belgian temperatures (cold late January, warm late July, warmest mid-afternoon).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from ridebuy.simulators.clock import local_time

FIRMWARE = "ridebuy-sim/1.0"
DRAIN_PCT_PER_DAY = (0.03, 0.10)
"""Range of daily drain across devices: 2.7 to 9 years on a full battery."""
DRAIN_PCT_PER_MESSAGE = 0.0005


def battery_volts(percent: float) -> float:
    """Li-SOCl2 discharge shape: 3.6 V on a full cell, nearly flat, sagging to 3.1 V when empty."""
    return 3.6 - 0.5 * (1 - percent / 100) ** 3


def outdoor_temperature_c(epoch_s: float) -> float:
    """Typical Hesbaye air temperature: seasonal swing around 10.5 °C plus a daily swing peaking at 15:00."""
    when = local_time(epoch_s)
    day_of_year = when.timetuple().tm_yday
    hour = when.hour + when.minute / 60
    seasonal = 10.5 - 7.5 * math.cos(2 * math.pi * (day_of_year - 20) / 365.25)
    daily = 4.0 * math.cos(2 * math.pi * (hour - 15) / 24)
    return seasonal + daily


@dataclass(slots=True)
class _Radio:
    rssi_dbm: float
    snr_db: float


class StatusModel:
    """Health of one device; :meth:`report` returns the fields of a status message."""

    def __init__(self, rng: random.Random, sim_s: float, covered: bool = False) -> None:
        self._rng = rng
        self._covered = covered
        self.battery_pct = rng.uniform(55.0, 100.0)
        self._drain_per_s = rng.uniform(*DRAIN_PCT_PER_DAY) / 86_400
        rssi = rng.uniform(-118.0, -72.0)
        self._radio = _Radio(rssi, min(10.0, (rssi + 123.0) / 4))
        self._sim_s = sim_s
        self._reports = 0

    def report(self, sim_s: float) -> dict[str, float | str]:
        """Drain the battery up to ``sim_s`` and describe the device's health then."""
        self.battery_pct = max(
            0.0, self.battery_pct - abs(sim_s - self._sim_s) * self._drain_per_s - DRAIN_PCT_PER_MESSAGE
        )
        self._sim_s = sim_s
        temperature = outdoor_temperature_c(sim_s)
        if self._covered:  # a shelter damps the daily swing a little and keeps the frost off
            temperature = 0.8 * temperature + 2.0
        rssi = self._radio.rssi_dbm + self._rng.gauss(0.0, 2.5)
        snr = self._radio.snr_db + self._rng.gauss(0.0, 1.2)
        fields: dict[str, float | str] = {
            "battery_pct": round(self.battery_pct, 2),
            "battery_v": round(battery_volts(self.battery_pct), 3),
            "rssi": round(max(-135.0, min(-30.0, rssi))),
            "snr": round(max(-20.0, min(15.0, snr)), 1),
            "temperature_c": round(temperature + self._rng.gauss(0.0, 0.6), 1),
        }
        if self._reports == 0:
            fields["firmware"] = FIRMWARE  # sent at start-up, as real sensors announce themselves
        self._reports += 1
        return fields
