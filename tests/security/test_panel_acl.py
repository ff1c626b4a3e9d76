"""Only the API may publish the display panels' state (``ridebuy/v1/panels/#``); each sign controller reads its own.

Enforced by a real Mosquitto with the generated password, ACL and listener options (client id = username). A
forbidden message is checked with a barrier, as in test_broker_acl: Mosquitto has handled (and dropped) a QoS 1
PUBLISH before it sends the PUBACK, so once the API's barrier message has arrived after that PUBACK, the forbidden
one would have arrived before it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from ridebuy.devices.panels import panel_topic
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.mqtt5_session import Mqtt5Session, PublishRefused
from tests.api.panel_stack import Subscriber
from tests.security.clients import V5, V311, Probe
from tests.security.conftest import REGISTRY, SecuredBroker
from tests.support.ports import free_port
from tests.support.processes import Processes
from tests.support.registries import write_registry
from tests.support.waiting import wait_until

API, SIMULATOR, INGEST = "ridebuy-api", "ridebuy-simulator", "ridebuy-ingest"
ENTREE, PLAIN = "ridebuy-panel-entree", "ridebuy-panel-plain"
RACK, COUNTER = "gp-rack-1", "cn-count-1"
NOT_AUTHORIZED = 0x87
PROTOCOLS = pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])

Connect = Callable[..., Probe]


@pytest.fixture
def registry_file(tmp_path: Path) -> Path:
    """The security tests' registry with two display panels (their controllers get a user each)."""
    panels = [
        {"id": "entree", "title": "Parkings", "parkings": ["grand-place"]},
        {"id": "plain", "title": "Grand-Place", "parkings": ["grand-place"]},
    ]
    return write_registry(tmp_path / "registry.yaml", {**REGISTRY, "panels": panels})


def _reader(connect: Connect, username: str = ENTREE, topic_filter: str = "ridebuy/v1/panels/#") -> Probe:
    reader = connect(username, V5)
    assert not reader.subscribe(topic_filter).is_failure
    return reader


def test_the_api_publishes_a_panel_and_its_controller_reads_it_retained(connected: Connect) -> None:
    api = connected(API, V5)
    assert not api.publish(panel_topic("entree"), b'{"id":"entree"}', retain=True).is_failure
    late = _reader(connected, ENTREE, panel_topic("entree"))  # subscribes after the publish: the state comes at once
    assert late.next_message(timeout_s=2) == (panel_topic("entree"), b'{"id":"entree"}')


def test_a_controller_reads_its_own_panel_only(connected: Connect) -> None:
    plain = _reader(connected, PLAIN)  # even with a filter for every panel
    api = connected(API, V5)
    api.publish(panel_topic("entree"), b"entree")
    api.publish(panel_topic("plain"), b"plain")
    assert plain.next_message() == (panel_topic("plain"), b"plain")
    assert plain.drain() == []


@PROTOCOLS
@pytest.mark.parametrize("username", [RACK, COUNTER, SIMULATOR, INGEST, PLAIN])
def test_nobody_but_the_api_may_publish_panel_state(
    connected: Connect, protocol: MQTTProtocolVersion, username: str
) -> None:
    reader = _reader(connected)
    api = connected(API, V5)
    intruder = connected(username, protocol)

    reason = intruder.publish(panel_topic("entree"), b'{"id":"entree","parkings":[{"free":99}]}', retain=True)
    api.publish(panel_topic("entree"), b"barrier")

    assert reader.next_message() == (panel_topic("entree"), b"barrier")
    assert reader.drain() == []
    assert reason.value == (0 if protocol == V311 else NOT_AUTHORIZED)


def test_a_controller_cannot_read_device_traffic(connected: Connect) -> None:
    reader = connected(ENTREE, V5)
    assert not reader.subscribe("ridebuy/v1/devices/#").is_failure  # the ACL does not check SUBSCRIBE...
    rack = connected(RACK, V5)
    rack.publish(f"ridebuy/v1/devices/{RACK}/occupancy", b'{"occupied": 1}')
    api = connected(API, V5)
    assert not reader.subscribe(panel_topic("entree")).is_failure
    api.publish(panel_topic("entree"), b"barrier")
    assert reader.next_message() == (panel_topic("entree"), b"barrier")  # ...but delivers nothing of it
    assert reader.drain() == []


def test_the_api_publishes_panels_on_a_broker_that_binds_client_ids_to_users(
    secured: SecuredBroker, connected: Connect, registry_file: Path, processes: Processes, tmp_path: Path
) -> None:
    """The real ``ridebuy api`` as user ridebuy-api, which may hold one connection only: its live state and its
    panels share it (two connections would take each other's place for ever)."""
    port = free_port()
    api_url = f"mqtt://{API}:{secured.credentials[API]}@127.0.0.1:{secured.broker.port}"
    api = processes.start_ridebuy(
        [
            *("api", "--mqtt-url", api_url, "--store-url", f"sqlite:///{tmp_path / 'store.db'}"),
            *("--registry", str(registry_file), "--api-port", str(port), "--api-expire-interval-s", "0.5"),
        ]
    )
    http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5)

    def ready() -> bool:
        assert api.running, api.log()[-3000:]
        try:
            return http.get("/readyz").status_code == 200
        except httpx.TransportError:
            return False

    wait_until(ready, timeout_s=30, what="the API")
    controller_url = f"mqtt://{ENTREE}:{secured.credentials[ENTREE]}@127.0.0.1:{secured.broker.port}"
    sign = Subscriber(controller_url, panel_topic("entree"))
    try:
        first = sign.next()
        assert first.retain and json.loads(first.payload)["parkings"][0]["status"] == "unknown"
        rack = connected(RACK, V5)
        sent = time.monotonic()
        rack.publish(f"ridebuy/v1/devices/{RACK}/occupancy", json.dumps({"occupied": 3}))
        while json.loads((message := sign.next(timeout_s=3)).payload)["parkings"][0]["status"] != "stale":
            pass
        assert message.at - sent < 2.0  # the slots are silent: part of the parking is measured, no number shown
        assert json.loads(message.payload)["parkings"][0]["free"] is None
        assert http.get("/v1/parkings/grand-place").json()["occupied"] == 3  # the live state folds on the same link
        assert "reconnecting" not in api.log()
    finally:
        sign.close()
        http.close()


def test_the_mqtt5_session_reports_a_refused_publish_and_delivers_the_allowed_one(
    secured: SecuredBroker, connected: Connect
) -> None:
    """The session the API publishes on: the broker's PUBACK 0x87 fails that message's future, in words."""
    reader = _reader(connected)

    def session_as(username: str) -> Mqtt5Session:
        url = f"mqtt://{username}:{secured.credentials[username]}@127.0.0.1:{secured.broker.port}"
        session = Mqtt5Session(parse_broker_url(url), username, (), lambda *_: None, clean_start=True)
        session.start()
        assert session.wait_connected(15), f"{username} did not connect"
        return session

    rack, api = session_as(RACK), session_as(API)
    try:
        with pytest.raises(PublishRefused, match="0x87 not authorized"):
            rack.publish(panel_topic("entree"), b"forged", qos=1, retain=True).result(timeout=10)
        api.publish(panel_topic("entree"), b"barrier", qos=1).result(timeout=10)
        assert reader.next_message() == (panel_topic("entree"), b"barrier")
        assert reader.drain() == []
    finally:
        rack.close()
        api.close()
