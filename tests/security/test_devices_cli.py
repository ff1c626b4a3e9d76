"""``ridebuy devices mosquitto-acl`` as a command: files, permissions, reruns, rotation, errors."""

from __future__ import annotations

import stat
import sys
from pathlib import Path

import pytest
import yaml

from ridebuy.cli import main
from ridebuy.devices.mosquitto_acl import parse_credentials, parse_password_file, verify_password
from tests.security.conftest import REGISTRY, generate
from tests.support.processes import Processes

FILES = {"passwd": 0o640, "acl": 0o640, "credentials.yaml": 0o600, "mosquitto.conf": 0o644}


def _credentials(out: Path) -> dict[str, str]:
    return parse_credentials((out / "credentials.yaml").read_text(), "credentials.yaml")


def test_writes_the_four_files_with_safe_modes_and_nothing_else(tmp_path: Path, registry_file: Path) -> None:
    out = tmp_path / "out"
    assert generate(registry_file, out) == 0
    assert {path.name: stat.S_IMODE(path.stat().st_mode) for path in out.iterdir()} == FILES
    credentials = _credentials(out)
    hashes = parse_password_file((out / "passwd").read_text())
    assert set(hashes) == set(credentials)
    assert all(verify_password(credentials[name], hashes[name]) for name in hashes)
    conf = (out / "mosquitto.conf").read_text()
    for line in ("allow_anonymous false", f"password_file {out / 'passwd'}", f"acl_file {out / 'acl'}"):
        assert f"\n{line}\n" in conf
    assert "\npersistence true\n" in conf
    assert "\nmax_queued_messages 1000000\n" in conf


def test_a_rerun_changes_nothing_and_rotation_changes_only_what_it_names(tmp_path: Path, registry_file: Path) -> None:
    out = tmp_path / "out"
    generate(registry_file, out)
    before = {name: (out / name).read_bytes() for name in FILES}
    generate(registry_file, out)
    assert {name: (out / name).read_bytes() for name in FILES} == before

    first = _credentials(out)
    generate(registry_file, out, "--rotate-user", "gp-rack-1")
    second = _credentials(out)
    assert {name for name in first if first[name] != second[name]} == {"gp-rack-1"}
    generate(registry_file, out, "--rotate")
    third = _credentials(out)
    assert all(third[name] != second[name] for name in second)


def test_a_hand_set_password_is_kept_and_a_removed_device_disappears(tmp_path: Path, registry_file: Path) -> None:
    out = tmp_path / "out"
    generate(registry_file, out)
    credentials = _credentials(out)
    credentials["gp-slot-01"] = "set-by-hand-in-the-firmware"
    (out / "credentials.yaml").write_text(yaml.safe_dump(credentials))
    registry_file.write_text(
        yaml.safe_dump({**REGISTRY, "devices": [d for d in REGISTRY["devices"] if d["id"] != "cn-count-1"]})
    )
    assert generate(registry_file, out) == 0
    after = _credentials(out)
    assert after["gp-slot-01"] == "set-by-hand-in-the-firmware"
    assert "cn-count-1" not in after
    assert "cn-count-1" not in parse_password_file((out / "passwd").read_text())
    assert "user cn-count-1" not in (out / "acl").read_text()


def test_a_service_password_pinned_in_the_environment_wins(
    tmp_path: Path, registry_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RIDEBUY_MQTT_PASSWORD_INGEST", "from-the-compose-env-file")
    out = tmp_path / "out"
    generate(registry_file, out, "--rotate")
    assert _credentials(out)["ridebuy-ingest"] == "from-the-compose-env-file"


def test_without_out_the_conf_goes_to_stdout(
    tmp_path: Path, registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [f"--{kind}-file" for kind in ("password", "acl", "credentials")]
    args = [arg for kind in files for arg in (kind, str(tmp_path / kind.strip("-")))]
    assert main(["devices", "mosquitto-acl", "--registry", str(registry_file), *args]) == 0
    assert "allow_anonymous false" in capsys.readouterr().out
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["acl-file", "credentials-file", "password-file", "registry.yaml"]
    )


def test_errors_are_sentences_with_exit_status_2(tmp_path: Path, processes: Processes) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("devices: [{id: x, kind: rack}]")
    run = [sys.executable, "-m", "ridebuy.cli", "devices", "mosquitto-acl"]
    no_out = processes.run(run)
    assert no_out.returncode == 2
    assert "--out" in no_out.stderr
    bad_registry = processes.run([*run, "--registry", str(bad), "--out", str(tmp_path / "o")])
    assert bad_registry.returncode == 2
    assert "bad.yaml" in bad_registry.stderr
    assert "Traceback" not in bad_registry.stderr
    assert not (tmp_path / "o").exists()
