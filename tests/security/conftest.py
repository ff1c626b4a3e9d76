"""A registry, the files ``ridebuy devices mosquitto-acl`` makes from it, and a real Mosquitto that uses them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from ridebuy.cli import main
from ridebuy.devices.mosquitto_acl import LISTENER_OPTIONS, parse_credentials
from tests.conftest import _need
from tests.security.clients import V311, Probe
from tests.support.registries import counter, counting, parking, rack, registry_data, slot, write_registry
from tests.support.servers import Mosquitto

REGISTRY = registry_data(
    parkings=[parking("grand-place", 12)],
    counters=[counter("centre-nord")],
    devices=[
        rack("gp-rack-1", "grand-place", spaces=8),
        slot("gp-slot-01", "grand-place"),
        counting("cn-count-1", "centre-nord"),
        slot("gp-slot-02", "grand-place", format="ttn", dev_eui="70B3D57ED0000001"),
        slot("gp-slot-03", "grand-place", format="chirpstack"),
    ],
)


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    return write_registry(tmp_path / "registry.yaml", REGISTRY)


def generate(registry: Path, out: Path, *extra: str) -> int:
    """Run the real command line, as an operator would."""
    return main(["devices", "mosquitto-acl", "--registry", str(registry), "--out", str(out), *extra])


@dataclass
class SecuredBroker:
    broker: Mosquitto
    files: Path
    credentials: dict[str, str]

    @property
    def url(self) -> str:
        return self.broker.url

    def probe(self, username: str | None, protocol: MQTTProtocolVersion = V311, password: str | None = None) -> Probe:
        """A client as ``username`` with its generated password (or ``password``), not yet connected."""
        if password is None and username is not None:
            password = self.credentials[username]
        return Probe(self.url, username, password, protocol)


def secured_config(files: Path) -> str:
    """Mosquitto settings of a broker secured by the generated password and ACL files in ``files``."""
    return "\n".join(
        [
            "allow_anonymous false",
            f"password_file {files / 'passwd'}",
            f"acl_file {files / 'acl'}",
            # As in the generated mosquitto.conf. With the fixture's 0 (no limit), Debian's 2.0.11 (patched for
            # CVE-2023-28366) disconnects every client whose PUBLISH it refuses.
            "max_queued_messages 1000000",
            *LISTENER_OPTIONS,  # after the fixture's listener line, as the generated conf has them
        ]
    )


@pytest.fixture
def secured(tmp_path: Path, registry_file: Path) -> Iterator[SecuredBroker]:
    """A private Mosquitto with anonymous access off and the generated password and ACL files."""
    _need("mosquitto")
    files = tmp_path / "mqtt-auth"
    assert generate(registry_file, files, "--ingest-workers", "2") == 0
    broker = Mosquitto(tmp_path / "mosquitto", extra_config=secured_config(files))
    broker.start()
    credentials = parse_credentials((files / "credentials.yaml").read_text(), "credentials.yaml")
    yield SecuredBroker(broker, files, credentials)
    broker.kill()


@pytest.fixture
def connected(secured: SecuredBroker) -> Iterator[Callable[..., Probe]]:
    """Connect clients that must be accepted; all are closed at the end of the test."""
    probes: list[Probe] = []

    def connect(username: str, protocol: MQTTProtocolVersion = V311) -> Probe:
        probe = secured.probe(username, protocol)
        reason = probe.connect()
        assert not reason.is_failure, f"{username} refused: {reason}"
        probes.append(probe)
        return probe

    yield connect
    for probe in probes:
        probe.close()
