"""docker-compose.yml, the Dockerfile and their files hold together (no Docker engine runs here: static checks)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, dict[str, Any]] = COMPOSE["services"]
ONE_SHOT = {"mqtt-users", "grafana-dashboards"}
"""Jobs that run to completion before the others start: no healthcheck, no restart."""
_VARIABLE = re.compile(r"(?<!\$)\$\{(\w+)(?::?[-?+]([^}]*))?\}|(?<!\$)\$(\w+)")


def _env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.match(r"^#?([A-Z][A-Z0-9_]*)=(.*)$", line)
        if match:
            values[match.group(1)] = match.group(2)
    return values


def _substitute(text: str, values: dict[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return values.get(name) or match.group(2) or ""

    return _VARIABLE.sub(replace, text)


def test_every_variable_is_documented_in_env_example() -> None:
    used = {m.group(1) or m.group(3) for m in _VARIABLE.finditer((ROOT / "docker-compose.yml").read_text())}
    documented = {name for name in _env_example() if not name.startswith("RIDEBUY_") or name in used}
    assert used, "the compose file uses no variables?"
    assert used - documented == set()


def test_every_image_is_pinned() -> None:
    for name, service in SERVICES.items():
        image = service.get("image")
        assert image or "build" in service, f"{name} has neither image nor build"
        if image:
            repository, _, tag = image.rpartition(":")
            assert repository and tag and tag != "latest" and "/" not in tag, f"{name}: image {image} is not pinned"
            assert re.search(r"\d+\.\d+", tag), f"{name}: image tag {tag} is not a version"


def test_every_service_has_a_healthcheck_and_a_restart_policy() -> None:
    for name, service in SERVICES.items():
        if name in ONE_SHOT:
            assert service["restart"] == "no"
            dependants = [s for s in SERVICES.values() if name in (s.get("depends_on") or {})]
            assert dependants and all(
                s["depends_on"][name]["condition"] == "service_completed_successfully" for s in dependants
            )
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") in ("unless-stopped", "always"), f"{name} has no restart policy"


def test_dependencies_wait_for_health() -> None:
    for name, service in SERVICES.items():
        for dependency, condition in (service.get("depends_on") or {}).items():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
            expected = "service_completed_successfully" if dependency in ONE_SHOT else "service_healthy"
            assert condition["condition"] == expected


def test_every_mounted_file_exists() -> None:
    values = _env_example()
    named = set(COMPOSE.get("volumes") or {})
    for name, service in SERVICES.items():
        for volume in service.get("volumes") or []:
            source = _substitute(volume, values).split(":")[0]
            if source in named:
                continue
            assert source.startswith("./"), f"{name}: {volume} is neither a named volume nor a ./ path"
            assert (ROOT / source).exists(), f"{name}: {source} does not exist"


def test_the_demo_simulator_is_behind_a_profile() -> None:
    assert SERVICES["simulator"]["profiles"] == ["demo"]
    assert all("profiles" not in s for n, s in SERVICES.items() if n != "simulator")


def test_mosquitto_config_is_safe_for_queued_sessions() -> None:
    mounts = dict(v.split(":")[:2] for v in SERVICES["mosquitto"]["volumes"])
    conf_path = next(host for host, inside in mounts.items() if inside == "/mosquitto/config/mosquitto.conf")
    lines = [ln.split() for ln in (ROOT / conf_path).read_text().splitlines() if ln.strip() and ln[0] != "#"]
    conf = {line[0]: line[1:] for line in lines}
    assert conf["allow_anonymous"] == ["false"]
    assert conf["persistence"] == ["true"]
    assert int(conf["max_queued_messages"][0]) > 1000 or int(conf["max_queued_messages"][0]) == 0
    users_dir = next(inside for host, inside in mounts.items() if host == "mqtt-users")
    assert Path(conf["password_file"][0]).parent == Path(users_dir) == Path(conf["acl_file"][0]).parent
    assert "--broker-dir" in SERVICES["mqtt-users"]["command"][0]


def test_grafana_gets_the_provisioning_and_the_dashboards() -> None:
    provider = yaml.safe_load((ROOT / "dashboards/grafana/provisioning/dashboards/ridebuy.yaml").read_text())
    mounts = dict(v.split(":")[:2] for v in SERVICES["grafana"]["volumes"])
    assert mounts["./dashboards/grafana/provisioning"] == "/etc/grafana/provisioning"
    # The dashboards are built by the one-shot service, in the town's language, from the registry.
    assert mounts["grafana-dashboards"] == provider["providers"][0]["options"]["path"]
    builder = SERVICES["grafana-dashboards"]
    assert "ridebuy dashboards build --out /generated" in builder["command"][0]
    assert "grafana-dashboards:/generated" in builder["volumes"]
    assert builder["environment"]["RIDEBUY_LANGUAGE"] == "${RIDEBUY_LANGUAGE:-fr}"
    assert SERVICES["grafana"]["environment"]["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"].startswith(
        provider["providers"][0]["options"]["path"] + "/"
    )
    datasource = (ROOT / "dashboards/grafana/provisioning/datasources/ridebuy.yaml").read_text()
    environment = SERVICES["grafana"]["environment"]
    for name in set(re.findall(r"\$\{(\w+)\}", datasource)):
        assert name in environment, f"the data source provisioning reads ${name}, which Grafana is not given"


def test_influxdb_is_initialised_with_bucket_token_and_a_dbrp_mapping() -> None:
    influx = SERVICES["influxdb"]
    environment = influx["environment"]
    assert environment["DOCKER_INFLUXDB_INIT_MODE"] == "setup"
    for key in ("BUCKET", "ADMIN_TOKEN", "ORG", "USERNAME", "PASSWORD"):
        assert environment[f"DOCKER_INFLUXDB_INIT_{key}"]
    assert influx["image"].split(":")[1].startswith("2.")
    init = next(v.split(":")[0] for v in influx["volumes"] if ":/docker-entrypoint-initdb.d" in v)
    scripts = sorted((ROOT / init).glob("*.sh"))
    assert scripts and all(os.access(script, os.X_OK) for script in scripts), "init scripts must be executable"
    assert "influx v1 dbrp create" in scripts[0].read_text()


@pytest.mark.parametrize("service", ["ingest", "api"])
def test_ridebuy_services_reach_their_peers_by_service_name(service: str) -> None:
    environment = SERVICES[service]["environment"]
    assert "@mosquitto:1883" in environment["RIDEBUY_MQTT_URL"]
    assert environment["RIDEBUY_STORE_URL"].startswith("influxdb://influxdb:8086/")
    assert SERVICES[service]["command"] == [service]


def test_dockerfile_copies_existing_files_and_runs_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (base,) = re.findall(r"^FROM\s+(\S+)", dockerfile, re.MULTILINE)
    assert base.startswith("python:3.11") and base.split(":")[1] != "latest"
    sources = [
        part
        for line in re.findall(r"^COPY\s+(.+)$", dockerfile, re.MULTILINE)
        for part in line.split()[:-1]
        if not part.startswith("--")
    ]
    assert sources
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file"
        assert f"!{source}" in ignored or f"!{source}/" in ignored, f"{source} is excluded by .dockerignore"
    users = re.findall(r"^USER\s+(\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    assert re.search(r'^ENTRYPOINT \["ridebuy"\]', dockerfile, re.MULTILINE)
