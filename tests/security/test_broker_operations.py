"""Running the broker as a town does: files a Mosquitto under its own user can read, and a reload after a registry
change that lets a new device in without restarting the broker."""

from __future__ import annotations

import grp
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ridebuy.cli import main
from ridebuy.devices.cli import BROKER_FILE_MODE, DEFAULT_BROKER_GROUP
from ridebuy.devices.mosquitto_acl import parse_credentials
from ridebuy.devices.topics import SUBSCRIPTION, MessageKind, device_topic
from ridebuy.shared.brokers import parse_broker_url
from tests.conftest import _need
from tests.security.clients import V5, V311, Probe
from tests.security.conftest import SecuredBroker, generate, secured_config
from tests.support.processes import Processes
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until

NEW_DEVICE = "gp-rack-2"
ROOT = Path(__file__).resolve().parents[2]


class BrokerAsItsUser(Mosquitto):
    """Mosquitto as root, dropping to the 'mosquitto' user like a host's service (the fixture keeps root)."""

    def command(self) -> list[str]:
        command = super().command()
        config = self.workdir / "mosquitto.conf"
        config.write_text(config.read_text().replace("\nuser root\n", f"\nuser {DEFAULT_BROKER_GROUP}\n"))
        return command


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A directory another user may enter (pytest's own temporary directories are 0700 to root)."""
    path = Path(tempfile.mkdtemp(prefix="ridebuy-broker-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path)


def test_a_broker_running_as_its_own_user_reads_the_generated_files(
    shared_dir: Path, registry_file: Path, processes: Processes
) -> None:
    """Run as root (as `sudo ridebuy devices mosquitto-acl` would be), the files were readable by root only and a
    host's Mosquitto, which reads them after dropping to the 'mosquitto' user, refused to start."""
    _need("mosquitto")  # `processes` marks this an integration test: it starts its own broker
    if os.geteuid() != 0:
        pytest.skip("needs root: the broker must drop to another user than the one who wrote the files")
    group = grp.getgrnam(DEFAULT_BROKER_GROUP)
    files = shared_dir / "auth"
    assert generate(registry_file, files) == 0
    for name in ("passwd", "acl"):
        status = (files / name).stat()
        assert (stat.S_IMODE(status.st_mode), status.st_gid) == (BROKER_FILE_MODE, group.gr_gid), name
    workdir = shared_dir / "broker"
    workdir.mkdir()
    shutil.chown(workdir, DEFAULT_BROKER_GROUP, DEFAULT_BROKER_GROUP)  # persistence, written as that user
    broker = BrokerAsItsUser(workdir, extra_config=secured_config(files))
    broker.start()
    try:
        credentials = parse_credentials((files / "credentials.yaml").read_text(), "credentials.yaml")
        ingest = Probe(broker.url, "ridebuy-ingest", credentials["ridebuy-ingest"], V5)
        assert ingest.connect().value == 0, broker.log()
        ingest.subscribe(SUBSCRIPTION)
        device = Probe(broker.url, "gp-rack-1", credentials["gp-rack-1"], V311)
        assert device.connect().value == 0
        device.publish(device_topic("gp-rack-1", MessageKind.STATUS), b"read as mosquitto")
        assert ingest.next_message()[1] == b"read as mosquitto"
        device.close()
        ingest.close()
        assert "Unable to open" not in broker.log()
    finally:
        broker.kill()


def test_a_device_added_to_the_registry_publishes_after_a_reload(
    secured: SecuredBroker, registry_file: Path, tmp_path: Path
) -> None:
    ingest = secured.probe("ridebuy-ingest", V5)
    assert ingest.connect().value == 0
    ingest.subscribe(SUBSCRIPTION)
    adopted = ["devices", "adopt", "--registry", str(registry_file), "--id", NEW_DEVICE, "--kind", "rack"]
    assert main([*adopted, "--parking", "grand-place"]) == 0
    assert secured.broker.process is not None
    pid_file = tmp_path / "mosquitto.pid"  # as Debian's /run/mosquitto/mosquitto.pid
    pid_file.write_text(f"{secured.broker.process.pid}\n")
    assert generate(registry_file, secured.files, "--reload-pid", str(pid_file)) == 0
    password = parse_credentials((secured.files / "credentials.yaml").read_text(), "credentials.yaml")[NEW_DEVICE]

    def connects() -> bool:
        probe = secured.probe(NEW_DEVICE, V5, password=password)
        code = probe.connect().value
        probe.close()
        return code == 0

    wait_until(connects, timeout_s=10, what="the reloaded broker to accept the new device")
    device = secured.probe(NEW_DEVICE, V5, password=password)
    assert device.connect().value == 0
    assert device.publish(device_topic(NEW_DEVICE, MessageKind.STATUS), b"hello").value == 0
    assert ingest.next_message() == (device_topic(NEW_DEVICE, MessageKind.STATUS), b"hello")
    assert secured.broker.process.poll() is None, "reloaded, not restarted"
    device.close()
    ingest.close()


def test_reload_and_group_errors_are_sentences(
    tmp_path: Path, registry_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    assert generate(registry_file, out, "--broker-group", "no-such-group-here") == 2
    assert "no group 'no-such-group-here'" in capsys.readouterr().err
    assert generate(registry_file, out, "--broker-group", str(os.getgid())) == 0  # an id, as compose gives 1883
    assert (out / "passwd").stat().st_gid == os.getgid()
    assert generate(registry_file, out, "--reload-pid", str(tmp_path / "missing.pid")) == 2
    assert "cannot read the pid file" in capsys.readouterr().err
    assert generate(registry_file, out, "--reload-pid", "4194303") == 2  # above Linux's pid_max
    assert "no process 4194303" in capsys.readouterr().err


def test_the_compose_healthcheck_passes_without_taking_a_service_session(
    secured: SecuredBroker, processes: Processes
) -> None:
    """The broker's compose healthcheck once connected as ridebuy-api: with client ids bound to usernames it
    would have taken the running API's session over every 30 s."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    command = compose["services"]["mosquitto"]["healthcheck"]["test"][1].replace("$$", "$")
    port = str(parse_broker_url(secured.url).port)
    api = secured.probe("ridebuy-api", V5)
    assert api.connect().value == 0
    healthy = processes.run(["sh", "-c", command.replace("-p 1883", f"-p {port}")], timeout_s=30, check=False)
    assert healthy.returncode == 0
    assert api.client.is_connected() and api.disconnects == 0
    api.close()
    secured.broker.kill()
    down = processes.run(["sh", "-c", command.replace("-p 1883", f"-p {port}")], timeout_s=30, check=False)
    assert down.returncode != 0
