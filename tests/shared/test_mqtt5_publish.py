"""Publishing on the MQTT 5 session (issue 12, item 2: the API's panels go out on it) against the real Mosquitto."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.mqtt5_session import Mqtt5Session, NotConnected
from tests.api.panel_stack import Subscriber
from tests.support.mqtt import publish_all
from tests.support.processes import Processes
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until

FILTERS = ("ridebuy/v1/devices/+/+",)
TOPIC = "ridebuy/v1/panels/test"


def connected_session(url: str, opened: list[Mqtt5Session], client_id: str = "api-test") -> Mqtt5Session:
    session = Mqtt5Session(parse_broker_url(url), client_id, FILTERS, lambda *_: None, clean_start=True)
    opened.append(session)
    session.start()
    assert session.wait_connected(15), "the session did not connect"
    return session


def no_retained_message(url: str) -> bool:
    late = Subscriber(url, TOPIC)
    try:
        late.next(timeout_s=1.0)
    except AssertionError:
        return True
    finally:
        late.close()
    return False


def test_a_retained_message_with_expiry_reaches_a_new_subscriber_then_expires(
    mosquitto: Mosquitto, sessions: list[Mqtt5Session]
) -> None:
    session = connected_session(mosquitto.url, sessions)
    session.publish(TOPIC, b'{"free": 3}', qos=1, retain=True, expiry_s=3).result(timeout=10)  # PUBACK came
    late = Subscriber(mosquitto.url, TOPIC)
    try:
        message = late.next(timeout_s=10)
    finally:
        late.close()
    assert (message.topic, message.payload, message.retain) == (TOPIC, b'{"free": 3}', True)
    assert message.expiry_s is not None and 0 < message.expiry_s <= 3  # what is left of the interval
    wait_until(lambda: no_retained_message(mosquitto.url), timeout_s=30, what="the retained message to expire")


def test_an_empty_retained_message_clears_the_state(mosquitto: Mosquitto, sessions: list[Mqtt5Session]) -> None:
    session = connected_session(mosquitto.url, sessions)
    session.publish(TOPIC, b"state", qos=1, retain=True).result(timeout=10)
    session.publish(TOPIC, b"", qos=1, retain=True).result(timeout=10)
    assert no_retained_message(mosquitto.url)


def test_qos_0_and_1_from_an_asyncio_loop_and_from_threads(mosquitto: Mosquitto, sessions: list[Mqtt5Session]) -> None:
    session = connected_session(mosquitto.url, sessions)
    sign = Subscriber(mosquitto.url, "ridebuy/v1/panels/#")
    try:
        wait_until(lambda: session.publish(TOPIC, b"ready", qos=1).result(10) is None and _got(sign, b"ready"),
                   what="the subscriber to be subscribed")  # fmt: skip

        async def from_the_loop() -> None:
            await asyncio.wrap_future(session.publish(TOPIC, b"qos0", qos=0))
            await asyncio.wrap_future(session.publish(TOPIC, b"qos1", qos=1))

        asyncio.run(from_the_loop())
        assert [sign.next().payload for _ in range(2)] == [b"qos0", b"qos1"]

        # Far more QoS 1 messages in flight than the packet ids the session used so far, from 4 threads at once.
        futures = []
        lock = threading.Lock()

        def send(thread: int) -> None:
            for n in range(500):
                future = session.publish(f"ridebuy/v1/panels/t{thread}", f"{thread}-{n}".encode(), qos=1)
                with lock:
                    futures.append(future)

        threads = [threading.Thread(target=send, args=(t,)) for t in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for future in futures:
            future.result(timeout=30)
        received = [sign.next().payload.decode() for _ in range(2000)]
        for sender in range(4):  # every message arrived once, in each sender's order
            assert [p for p in received if p.startswith(f"{sender}-")] == [f"{sender}-{n}" for n in range(500)]
    finally:
        sign.close()


def test_messages_beyond_the_brokers_receive_maximum_wait_their_turn(
    tmp_path: Path, sessions: list[Mqtt5Session], processes: Processes
) -> None:
    """Mosquitto sends its max_inflight_messages as the Receive Maximum of its CONNACK."""
    broker = Mosquitto(tmp_path / "mosquitto", extra_config="max_inflight_messages 5")
    broker.start()
    try:
        session = connected_session(broker.url, sessions)
        futures = [session.publish(TOPIC, str(n).encode(), qos=1, retain=True) for n in range(300)]
        for future in futures:
            future.result(timeout=30)  # the broker would disconnect us for exceeding its Receive Maximum
        assert session.connected and session.reconnects == 0
        late = Subscriber(broker.url, TOPIC)
        try:
            assert late.next().payload == b"299"  # the last one is the retained one: order was kept
        finally:
            late.close()
    finally:
        broker.kill()


def test_publishing_without_a_connection_fails_at_once(mosquitto: Mosquitto, sessions: list[Mqtt5Session]) -> None:
    session = connected_session(mosquitto.url, sessions)
    mosquitto.kill()
    wait_until(lambda: not session.connected, what="the session to see the broker gone")
    with pytest.raises(NotConnected):
        session.publish(TOPIC, b"nobody", qos=1).result(timeout=10)


def _got(sign: Subscriber, payload: bytes) -> bool:
    try:
        while sign.next(timeout_s=0.5).payload != payload:
            pass
    except AssertionError:
        return False
    return True


def test_a_qos_0_subscription_gets_messages_without_acknowledging(
    mosquitto: Mosquitto, sessions: list[Mqtt5Session]
) -> None:
    """The API's live subscription: QoS 1 messages come at QoS 0, with no packet id to acknowledge."""
    received: list[tuple[str, bytes, int, int]] = []
    session = Mqtt5Session(
        parse_broker_url(mosquitto.url),
        "live",
        FILTERS,
        lambda topic, payload, packet_id, qos, generation, ns: received.append((topic, payload, packet_id, qos)),
        clean_start=True,
        subscribe_qos=0,
    )
    sessions.append(session)
    session.start()
    assert session.wait_connected(15)
    publish_all(mosquitto.url, [(f"ridebuy/v1/devices/d{n}/occupancy", str(n).encode()) for n in range(100)])
    wait_until(lambda: len(received) == 100, what="100 messages")
    assert received == [(f"ridebuy/v1/devices/d{n}/occupancy", str(n).encode(), 0, 0) for n in range(100)]
