"""The generated mosquitto.conf itself, run by the real broker: authenticated listeners, TLS included."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ridebuy.devices.mosquitto_acl import parse_credentials
from ridebuy.devices.topics import SUBSCRIPTION, MessageKind, device_topic
from tests.security.clients import V5, V311, Probe
from tests.security.conftest import generate
from tests.support.certificates import self_signed_certificate
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import Processes
from tests.support.servers import Mosquitto

NOT_AUTHORIZED = 0x87


class GeneratedConfMosquitto(Mosquitto):
    """Mosquitto run with the generated mosquitto.conf, its listeners moved to free loopback ports."""

    def __init__(self, workdir: Path, conf: Path) -> None:
        super().__init__(workdir)
        self.conf = conf
        self.tls_port = free_port()

    def command(self) -> list[str]:
        text = self.conf.read_text()
        text = text.replace("\nlistener 1883\n", f"\nlistener {self.port} 127.0.0.1\n")
        text = text.replace("\nlistener 8883\n", f"\nlistener {self.tls_port} 127.0.0.1\n")
        # As root, Mosquitto would read the files as the 'mosquitto' user, who cannot enter our temporary dir.
        text += "user root\nlog_dest stdout\n" if os.geteuid() == 0 else "log_dest stdout\n"
        config = self.workdir / "generated.conf"
        config.write_text(text)
        return [shutil.which("mosquitto") or "/usr/sbin/mosquitto", "-c", str(config)]

    def wait_ready(self) -> None:
        wait_for_port(self.port)
        if "\n#listener 8883" not in self.conf.read_text():
            wait_for_port(self.tls_port)


@pytest.fixture
def certificate(tmp_path: Path, processes: Processes) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, playing the deployment's certfile and keyfile."""
    return self_signed_certificate(tmp_path, processes)


@pytest.fixture
def deployed(tmp_path: Path, registry_file: Path, certificate: tuple[Path, Path]) -> Iterator[GeneratedConfMosquitto]:
    cert, key = certificate
    files = tmp_path / "config"
    data = tmp_path / "data"
    data.mkdir()
    flags = [
        "--broker-dir",
        str(files),
        "--data-dir",
        str(data),
        "--tls-certfile",
        str(cert),
        "--tls-keyfile",
        str(key),
    ]
    assert generate(registry_file, files, *flags) == 0
    broker = GeneratedConfMosquitto(tmp_path / "mosquitto", files / "mosquitto.conf")
    broker.start()
    yield broker
    broker.kill()


def test_the_generated_conf_secures_both_listeners(
    deployed: GeneratedConfMosquitto, certificate: tuple[Path, Path]
) -> None:
    credentials = parse_credentials((deployed.conf.parent / "credentials.yaml").read_text(), "credentials.yaml")
    ingest = Probe(deployed.url, "ridebuy-ingest", credentials["ridebuy-ingest"], V5)
    assert ingest.connect().value == 0
    ingest.subscribe(SUBSCRIPTION)
    tls_url = f"mqtts://127.0.0.1:{deployed.tls_port}"
    device = Probe(tls_url, "gp-rack-1", credentials["gp-rack-1"], V311, ca_certs=certificate[0])
    try:
        assert device.connect().value == 0
        device.publish(device_topic("gp-rack-1", MessageKind.STATUS), b"over tls")
        assert ingest.next_message() == (device_topic("gp-rack-1", MessageKind.STATUS), b"over tls")
        assert device.publish(device_topic("gp-slot-01", MessageKind.STATUS), b"forged").value == 0
        device.publish(device_topic("gp-rack-1", MessageKind.STATUS), b"barrier")
        assert ingest.next_message()[1] == b"barrier"
        assert device.client.is_connected()
    finally:
        device.close()
        ingest.close()
    for url, ca in ((deployed.url, None), (tls_url, certificate[0])):
        assert Probe(url, None, None, V5, ca_certs=ca).connect().value == NOT_AUTHORIZED
    deployed.stop()
    assert (deployed.workdir.parent / "data" / "mosquitto.db").is_file(), "persistence goes to --data-dir"


@pytest.mark.parametrize("listener", ["plain", "tls"])
def test_a_device_cannot_take_over_the_ingests_session(
    deployed: GeneratedConfMosquitto, certificate: tuple[Path, Path], listener: str
) -> None:
    """A device connecting with the client id ``ridebuy-ingest`` and a clean session would wipe the messages
    queued for the ingest and kick a running ingest off: the generated conf makes every client id the username."""
    credentials = parse_credentials((deployed.conf.parent / "credentials.yaml").read_text(), "credentials.yaml")
    tls_url = f"mqtts://127.0.0.1:{deployed.tls_port}"
    url, ca = (deployed.url, None) if listener == "plain" else (tls_url, certificate[0])
    topic = device_topic("gp-rack-1", MessageKind.STATUS)

    def ingest() -> Probe:
        probe = Probe(url, "ridebuy-ingest", credentials["ridebuy-ingest"], V311, "ridebuy-ingest", ca, persistent=True)
        assert probe.connect().value == 0
        return probe

    def intruder() -> Probe:
        """Another device's valid credentials, the ingest's client id, a clean session."""
        probe = Probe(url, "gp-slot-01", credentials["gp-slot-01"], V311, client_id="ridebuy-ingest", ca_certs=ca)
        assert probe.connect().value == 0  # accepted, but as the client 'gp-slot-01'
        return probe

    first = ingest()
    first.subscribe(SUBSCRIPTION)
    first.close()  # the ingest is away: its session queues what devices send
    device = Probe(url, "gp-rack-1", credentials["gp-rack-1"], V311, ca_certs=ca)
    assert device.connect().value == 0
    for number in range(5):
        device.publish(topic, f"queued {number}")
    intruder().close()
    back = ingest()
    try:
        assert [back.next_message() for _ in range(5)] == [(topic, f"queued {n}".encode()) for n in range(5)]
        stranger = intruder()  # while the ingest is connected: it must stay connected
        device.publish(topic, b"after")
        assert back.next_message() == (topic, b"after")
        assert back.client.is_connected() and back.disconnects == 0
        stranger.close()
    finally:
        back.close()
        device.close()
