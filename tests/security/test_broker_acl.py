"""The generated password and ACL files, enforced by a real Mosquitto 2.0 (Debian's binary).

A message that must NOT arrive is checked with a barrier instead of a sleep: after the forbidden publish, a
permitted one follows on the same connection; Mosquitto handles one client's packets in order, so once the
permitted message has arrived, the forbidden one would have arrived before it.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from ridebuy.devices.mosquitto_acl import parse_credentials
from ridebuy.devices.topics import SUBSCRIPTION, MessageKind, device_topic
from ridebuy.shared.brokers import parse_broker_url
from tests.security.clients import V5, V311, Probe
from tests.security.conftest import SecuredBroker, generate
from tests.support.waiting import wait_until

INGEST, API, SIMULATOR, NETWORK_SERVER = "ridebuy-ingest", "ridebuy-api", "ridebuy-simulator", "network-server"
RACK, SLOT, COUNTER = "gp-rack-1", "gp-slot-01", "cn-count-1"
NOT_AUTHORIZED = 0x87
PROTOCOLS = pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])

Connect = Callable[..., Probe]


def _ingest(connect: Connect, *filters: str) -> Probe:
    ingest = connect(INGEST, V5)
    for topic_filter in filters or (SUBSCRIPTION,):
        assert not ingest.subscribe(topic_filter).is_failure
    return ingest


@PROTOCOLS
def test_a_device_publishes_to_its_own_topics_and_the_ingest_receives_them(
    connected: Connect, protocol: MQTTProtocolVersion
) -> None:
    ingest = _ingest(connected)
    rack = connected(RACK, protocol)
    for kind in MessageKind:
        assert rack.publish(device_topic(RACK, kind), f"{kind}".encode()).value == 0
    received = [ingest.next_message() for _ in MessageKind]
    assert received == [(device_topic(RACK, kind), f"{kind}".encode()) for kind in MessageKind]


@PROTOCOLS
@pytest.mark.parametrize(
    "forged",
    [
        device_topic(SLOT, MessageKind.OCCUPANCY),
        device_topic(COUNTER, MessageKind.PASSAGE),
        "v3/ridebuy@ttn/devices/gp-slot-02/up",
        "application/00000000-0000-0000-0000-000000000000/device/70b3d57ed0000001/event/up",
    ],
)
def test_a_device_cannot_publish_to_another_devices_topic(
    connected: Connect, protocol: MQTTProtocolVersion, forged: str
) -> None:
    ingest = _ingest(connected, SUBSCRIPTION, "v3/#", "application/#")
    rack = connected(RACK, protocol)

    reason = rack.publish(forged, b'{"occupied": true}')
    rack.publish(device_topic(RACK, MessageKind.STATUS), b"barrier")

    assert ingest.next_message() == (device_topic(RACK, MessageKind.STATUS), b"barrier")
    assert ingest.drain() == []
    assert rack.client.is_connected(), "a refused PUBLISH must not cost the device its connection"
    # MQTT 3.1.1 has no way to refuse a PUBLISH: Mosquitto acknowledges and drops it. MQTT 5 says so.
    assert reason.value == (0 if protocol == V311 else NOT_AUTHORIZED)


@PROTOCOLS
def test_a_device_cannot_read_any_topic(connected: Connect, protocol: MQTTProtocolVersion) -> None:
    ingest = _ingest(connected)
    spy = connected(SLOT, protocol)
    granted = [spy.subscribe(f) for f in ("#", f"{SUBSCRIPTION}", device_topic(RACK, MessageKind.OCCUPANCY))]
    spy.subscribe(f"$share/spies/{SUBSCRIPTION}")
    rack = connected(RACK)

    rack.publish(device_topic(RACK, MessageKind.OCCUPANCY), b'{"occupied": 3}')
    assert ingest.next_message()[0] == device_topic(RACK, MessageKind.OCCUPANCY)
    # The spy's own publish is answered after anything the broker queued for it earlier.
    spy.publish(device_topic(SLOT, MessageKind.STATUS), b"barrier")

    assert spy.drain() == []
    # Mosquitto 2.0's acl_file does not check SUBSCRIBE (it grants it); reading is what it refuses.
    assert all(not reason.is_failure for reason in granted)


@PROTOCOLS
def test_anonymous_clients_are_refused_at_connect(secured: SecuredBroker, protocol: MQTTProtocolVersion) -> None:
    # Mosquitto answers CONNACK 5 (MQTT 3.1.1), which paho reports as 0x87 like MQTT 5's "Not authorized".
    assert secured.probe(None, protocol).connect().value == NOT_AUTHORIZED


def test_anonymous_mosquitto_sub_is_refused(secured: SecuredBroker) -> None:
    broker = parse_broker_url(secured.url)
    result = subprocess.run(
        ["mosquitto_sub", "-h", broker.host, "-p", str(broker.port), "-t", "#", "-C", "1", "-W", "5"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "not authori" in result.stderr.lower()


@PROTOCOLS
@pytest.mark.parametrize(("username", "password"), [(RACK, "wrong-password-0123456789"), ("nobody", "whatever-12345")])
def test_a_wrong_password_or_unknown_user_is_refused(
    secured: SecuredBroker, protocol: MQTTProtocolVersion, username: str, password: str
) -> None:
    assert secured.probe(username, protocol, password=password).connect().value == NOT_AUTHORIZED


def test_another_devices_password_does_not_open_a_device(secured: SecuredBroker) -> None:
    assert secured.probe(RACK, V5, password=secured.credentials[SLOT]).connect().value == NOT_AUTHORIZED


def test_a_device_publishes_with_mosquitto_pub_and_its_credentials(secured: SecuredBroker, connected: Connect) -> None:
    ingest = _ingest(connected)
    broker = parse_broker_url(secured.url)
    topic = device_topic(COUNTER, MessageKind.PASSAGE)
    subprocess.run(
        [
            *("mosquitto_pub", "-h", broker.host, "-p", str(broker.port), "-q", "1", "-t", topic, "-m", "{}"),
            *("-u", COUNTER, "-P", secured.credentials[COUNTER]),
        ],
        check=True,
        timeout=30,
    )
    assert ingest.next_message() == (topic, b"{}")


@PROTOCOLS
def test_the_ingest_reads_every_device_through_a_shared_subscription(
    connected: Connect, protocol: MQTTProtocolVersion
) -> None:
    workers = [connected(INGEST, protocol), connected(f"{INGEST}-2", protocol)]  # a user per worker
    for worker in workers:
        assert not worker.subscribe(f"$share/ridebuy-ingest/{SUBSCRIPTION}").is_failure
    sent = []
    for device in (RACK, SLOT, COUNTER):
        publisher = connected(device)
        for n in range(10):
            topic, payload = device_topic(device, MessageKind.STATUS), f"{device}-{n}".encode()
            assert publisher.publish(topic, payload).value == 0
            sent.append((topic, payload))

    got: list[list[tuple[str, bytes]]] = [[], []]

    def everything_arrived() -> bool:
        for index, worker in enumerate(workers):
            got[index] += worker.drain()
        return sum(map(len, got)) >= len(sent)

    wait_until(everything_arrived, timeout_s=10, interval_s=0.02, what="all messages at one worker or the other")
    assert sorted(got[0] + got[1]) == sorted(sent)
    assert all(got), f"Mosquitto shares round robin; got {[len(g) for g in got]} per worker"


def test_the_api_reads_but_cannot_publish(connected: Connect) -> None:
    ingest = _ingest(connected)
    api = connected(API, V5)
    assert not api.subscribe(SUBSCRIPTION).is_failure
    assert api.publish(device_topic(RACK, MessageKind.OCCUPANCY), b"forged").value == NOT_AUTHORIZED
    rack = connected(RACK)
    rack.publish(device_topic(RACK, MessageKind.STATUS), b"real")
    assert api.next_message() == (device_topic(RACK, MessageKind.STATUS), b"real")
    assert ingest.next_message() == (device_topic(RACK, MessageKind.STATUS), b"real")
    assert ingest.drain() == []


def test_the_simulator_publishes_as_any_device_but_reads_nothing(connected: Connect) -> None:
    ingest = _ingest(connected)
    simulator = connected(SIMULATOR, V5)
    simulator.subscribe("#")
    topics = [device_topic(device, MessageKind.STATUS) for device in (RACK, SLOT, COUNTER)]
    for topic in topics:
        assert simulator.publish(topic, b"{}").value == 0
    assert [ingest.next_message()[0] for _ in topics] == topics
    assert simulator.publish("v3/app/devices/x/up", b"{}").value == NOT_AUTHORIZED
    assert simulator.drain() == []


def test_the_network_server_publishes_lorawan_uplinks_only(connected: Connect) -> None:
    ingest = _ingest(connected, SUBSCRIPTION, "v3/#", "application/#")
    network_server = connected(NETWORK_SERVER, V5)
    uplinks = [
        "v3/ridebuy@ttn/devices/gp-slot-02/up",
        "application/00000000-0000-0000-0000-000000000000/device/70b3d57ed0000001/event/up",
    ]
    for topic in uplinks:
        assert network_server.publish(topic, b"{}").value == 0
    assert [ingest.next_message()[0] for _ in uplinks] == uplinks
    assert network_server.publish(device_topic(RACK, MessageKind.STATUS), b"{}").value == NOT_AUTHORIZED


def test_lorawan_devices_have_no_mqtt_user(secured: SecuredBroker) -> None:
    assert "gp-slot-02" not in secured.credentials
    assert secured.probe("gp-slot-02", V5, password="anything-at-all-123").connect().value == NOT_AUTHORIZED


def test_a_rotated_password_takes_effect_when_the_broker_reloads(
    secured: SecuredBroker, connected: Connect, registry_file: Path
) -> None:
    device = connected(RACK, V5)
    old = secured.credentials[RACK]
    assert generate(registry_file, secured.files, "--rotate-user", RACK) == 0
    new = parse_credentials((secured.files / "credentials.yaml").read_text(), "credentials.yaml")[RACK]
    assert secured.broker.process is not None
    secured.broker.process.send_signal(signal.SIGHUP)  # Mosquitto re-reads password_file and acl_file

    def attempt(password: str) -> int:
        probe = secured.probe(RACK, V5, password=password)
        code = probe.connect().value
        probe.close()
        return code

    wait_until(lambda: attempt(old) == NOT_AUTHORIZED, what="the reload to drop the old password")
    assert attempt(new) == 0
    wait_until(lambda: not device.client.is_connected(), what="the session opened with the old password to end")
