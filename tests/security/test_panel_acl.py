"""Only the API may publish the display panels' state (``ridebuy/v1/panels/#``); sign controllers only read it.

Enforced by a real Mosquitto with the generated password and ACL files. A forbidden message is checked with a
barrier, as in test_broker_acl: Mosquitto has handled (and dropped) a QoS 1 PUBLISH before it sends the PUBACK,
so once the API's barrier message has arrived after that PUBACK, the forbidden one would have arrived before it.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from paho.mqtt.enums import MQTTProtocolVersion

from ridebuy.devices.panels import PANEL_TREE, panel_topic
from tests.security.clients import V5, V311, Probe
from tests.security.conftest import SecuredBroker

API, PANEL_READER, SIMULATOR, INGEST = "ridebuy-api", "ridebuy-panel", "ridebuy-simulator", "ridebuy-ingest"
RACK, COUNTER = "gp-rack-1", "cn-count-1"
NOT_AUTHORIZED = 0x87
PROTOCOLS = pytest.mark.parametrize("protocol", [V311, V5], ids=["mqtt311", "mqtt5"])

Connect = Callable[..., Probe]


def _reader(connect: Connect) -> Probe:
    reader = connect(PANEL_READER, V5)
    assert not reader.subscribe(PANEL_TREE).is_failure
    return reader


def test_the_api_publishes_panels_and_a_sign_controller_reads_them_retained(
    connected: Connect, secured: SecuredBroker
) -> None:
    api = connected(API, V5)
    assert not api.publish(panel_topic("entree"), b'{"id":"entree"}', retain=True).is_failure
    late = connected(PANEL_READER, V5)  # subscribes after the publish: the retained state comes at once
    assert not late.subscribe(PANEL_TREE).is_failure
    assert late.next_message(timeout_s=2) == (panel_topic("entree"), b'{"id":"entree"}')


@PROTOCOLS
@pytest.mark.parametrize("username", [RACK, COUNTER, SIMULATOR, INGEST, PANEL_READER])
def test_nobody_but_the_api_may_publish_panel_state(
    connected: Connect, secured: SecuredBroker, protocol: MQTTProtocolVersion, username: str
) -> None:
    reader = _reader(connected)
    api = connected(API, V5)
    intruder = connected(username, protocol)

    reason = intruder.publish(panel_topic("entree"), b'{"id":"entree","parkings":[{"free":99}]}', retain=True)
    api.publish(panel_topic("barrier"), b"barrier")

    assert reader.next_message() == (panel_topic("barrier"), b"barrier")
    assert reader.drain() == []
    assert reason.value == (0 if protocol == V311 else NOT_AUTHORIZED)
    # Nor was anything retained: a controller that subscribes now gets nothing for that panel (a retained
    # message would follow the SUBACK at once).
    late = connected(PANEL_READER, V5)
    assert not late.subscribe(panel_topic("entree")).is_failure
    with pytest.raises(AssertionError, match="no message arrived"):
        late.next_message(timeout_s=1.0)


def test_a_sign_controller_cannot_read_device_traffic(connected: Connect) -> None:
    reader = connected(PANEL_READER, V5)
    assert not reader.subscribe("ridebuy/v1/devices/#").is_failure  # the ACL does not check SUBSCRIBE...
    rack = connected(RACK, V5)
    rack.publish(f"ridebuy/v1/devices/{RACK}/occupancy", b'{"occupied": 1}')
    api = connected(API, V5)
    assert not reader.subscribe(PANEL_TREE).is_failure
    api.publish(panel_topic("barrier"), b"barrier")
    assert reader.next_message() == (panel_topic("barrier"), b"barrier")  # ...but delivers nothing of it
    assert reader.drain() == []
