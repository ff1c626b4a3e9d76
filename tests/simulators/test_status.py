from __future__ import annotations

import itertools
import random

from ridebuy.simulators.device_status import FIRMWARE, StatusModel, battery_volts
from tests.simulators.conftest import local_epoch

DAY_S = 86_400


def test_the_battery_drains_slowly_and_never_recovers() -> None:
    start = local_epoch("2026-01-01T00:00")
    model = StatusModel(random.Random(1), start)
    reports = [model.report(start + hour * 3600) for hour in range(0, 60 * 24, 6)]  # 60 days, every 6 hours
    percents = [float(r["battery_pct"]) for r in reports]
    volts = [float(r["battery_v"]) for r in reports]
    assert all(a >= b for a, b in itertools.pairwise(percents))
    assert all(a >= b for a, b in itertools.pairwise(volts))
    drained = percents[0] - percents[-1]
    assert 0.5 < drained < 10  # a few percent over two months: years of life, yet visible on a dashboard


def test_battery_voltage_follows_a_lithium_cell() -> None:
    assert battery_volts(100) == 3.6
    assert 3.5 < battery_volts(50) < 3.6
    assert battery_volts(0) == 3.1


def test_reports_carry_plausible_radio_and_temperature_and_firmware_once() -> None:
    model = StatusModel(random.Random(2), local_epoch("2026-01-20T00:00"))
    winter = [model.report(local_epoch("2026-01-20T00:00") + h * 3600) for h in range(48)]
    summer = [model.report(local_epoch("2026-07-20T00:00") + h * 3600) for h in range(48)]
    assert winter[0]["firmware"] == FIRMWARE
    assert all("firmware" not in report for report in winter[1:] + summer)
    for report in winter + summer:
        assert -135 <= float(report["rssi"]) <= -30
        assert -20 <= float(report["snr"]) <= 15
        assert -15 <= float(report["temperature_c"]) <= 35
    mean_winter = sum(float(r["temperature_c"]) for r in winter) / len(winter)
    mean_summer = sum(float(r["temperature_c"]) for r in summer) / len(summer)
    assert mean_summer - mean_winter > 10
