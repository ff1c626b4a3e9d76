"""Configuration: every setting documented, bad values stop start-up with a sentence naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from ridebuy.cli import COMMANDS
from ridebuy.ingest.settings import IngestSettings
from ridebuy.shared.commands import Command
from ridebuy.shared.settings import SettingsBase, SettingsError, load_settings
from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[1]


def _settings_classes() -> set[type[SettingsBase]]:
    classes: set[type[SettingsBase]] = set()
    for command in COMMANDS:
        for action in command.actions if not isinstance(command, Command) else (command,):
            classes.add(action.settings)
    return classes


def test_every_command_has_its_settings_class() -> None:
    # ingest, api, panel-preview (the log level only), simulate, demo, dashboards build, dashboards push, report,
    # devices actions
    assert len(_settings_classes()) == 9


def test_every_setting_is_documented_in_env_example() -> None:
    text = (ROOT / ".env.example").read_text()
    names = {name for settings_class in _settings_classes() for name in settings_class.model_fields}
    missing = sorted(name for name in names if f"RIDEBUY_{name.upper()}=" not in text)
    assert missing == []
    assert len(names) > 30


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"mqtt_url": "http://broker"}, "RIDEBUY_MQTT_URL (--mqtt-url)"),
        ({"store_url": "postgres://x"}, "RIDEBUY_STORE_URL (--store-url)"),
        ({"batch_size": "0"}, "RIDEBUY_BATCH_SIZE (--batch-size)"),
        ({"log_level": "LOUD"}, "RIDEBUY_LOG_LEVEL (--log-level)"),
    ],
)
def test_bad_setting_names_itself(overrides: dict[str, object], named: str) -> None:
    with pytest.raises(SettingsError, match=named.replace("(", r"\(").replace(")", r"\)")):
        load_settings(IngestSettings, **overrides)


def test_the_ride_and_buy_assumptions_are_one_group_wherever_a_figure_is_shown() -> None:
    """The display panels (api, demo), the dashboards (build, push) and the report read the same settings group, so
    one town's assumptions give the same CO2 figure in all three (the commands themselves: tests/report,
    tests/dashboards)."""
    from ridebuy.api.settings import ApiSettings
    from ridebuy.dashboards.settings import DashboardBuildSettings, DashboardSettings
    from ridebuy.demo.settings import DemoSettings
    from ridebuy.devices.settings import RideAndBuySettings
    from ridebuy.report.settings import ReportSettings

    showing: set[type[RideAndBuySettings]] = {
        ApiSettings,
        DemoSettings,
        DashboardBuildSettings,
        DashboardSettings,
        ReportSettings,
    }
    assert {c for c in _settings_classes() if issubclass(c, RideAndBuySettings)} == showing
    for settings_class in showing:
        own = load_settings(settings_class, ride_and_buy_trip_km="6", ride_and_buy_full_pct="70")
        assert own.ride_and_buy_assumptions().trip_km == 6 and own.ride_and_buy_assumptions().full_pct == 70
    with pytest.raises(SettingsError, match=r"RIDEBUY_RIDE_AND_BUY_CAR_SHARE \(--ride-and-buy-car-share\)"):
        load_settings(ReportSettings, ride_and_buy_car_share="1.5")


def test_environment_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIDEBUY_BATCH_SIZE", "123")
    assert load_settings(IngestSettings).batch_size == 123
    assert load_settings(IngestSettings, batch_size="7").batch_size == 7  # a flag wins over the environment


def test_bad_flag_stops_start_up_with_a_sentence(processes: Processes) -> None:
    result = processes.ridebuy("ingest", "--mqtt-url", "ftp://nowhere")
    assert result.returncode == 2
    assert "RIDEBUY_MQTT_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_registry_stops_start_up_naming_file_entry_and_field(tmp_path: Path, processes: Processes) -> None:
    registry = tmp_path / "town.yaml"
    registry.write_text("parkings: [{id: p, name: P, lat: 50, lon: 5, capacity: -1}]\n")
    for command in ("ingest", "api", "simulate"):
        result = processes.ridebuy(command, "--registry", str(registry))
        assert result.returncode == 2, (command, result.stderr)
        assert f"{registry}: parkings[0] (id 'p'), field 'capacity'" in result.stderr, command
        assert "Traceback" not in result.stderr


def test_bad_store_url_stops_start_up(processes: Processes) -> None:
    result = processes.ridebuy("ingest", "--store-url", "influxdb://127.0.0.1:notaport/x")
    assert result.returncode == 2
    assert "port" in result.stderr
    assert "Traceback" not in result.stderr


def test_compose_registry_starts_as_the_hannut_sample() -> None:
    from ridebuy.devices.registry import load_registry, sample_registry_path

    assert load_registry(ROOT / "deploy" / "registry" / "registry.yaml") == load_registry(sample_registry_path())
