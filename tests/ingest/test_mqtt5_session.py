"""The ingest's MQTT 5 session (issue 12, item 1; issue 13, items 5 and 11) against the real Mosquitto."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import mqtt5
import pytest

from ridebuy.demo.embedded_broker import EmbeddedBroker
from ridebuy.ingest.session import open_session
from ridebuy.shared import mqtt5_session
from ridebuy.shared.brokers import parse_broker_url
from ridebuy.shared.mqtt5_session import TAKEOVER_BACKOFF, Mqtt5Session
from ridebuy.shared.packet_stream import PacketStream
from tests.conftest import _need
from tests.support.mqtt import publish_all
from tests.support.ports import free_port, wait_for_port
from tests.support.processes import Processes
from tests.support.proxy import SplittingProxy
from tests.support.servers import Mosquitto
from tests.support.waiting import wait_until

TOPIC = "ridebuy/v1/devices/{}/occupancy"
FILTERS = ("ridebuy/v1/devices/+/+",)


@dataclass
class Inbox:
    """What a session delivered: (topic, payload, packet id, qos, generation) in order of arrival."""

    messages: list[tuple[str, bytes, int, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, topic: str, payload: bytes, packet_id: int, qos: int, generation: int, received_ns: int) -> None:
        with self.lock:
            self.messages.append((topic, payload, packet_id, qos, generation))

    def take(self) -> list[tuple[str, bytes, int, int, int]]:
        with self.lock:
            taken, self.messages = self.messages, []
        return taken

    def payloads(self) -> set[bytes]:
        with self.lock:
            return {payload for _, payload, *_ in self.messages}


def messages(count: int, start: int = 0) -> list[tuple[str, bytes]]:
    """Distinct messages of varied sizes (so packet boundaries fall everywhere)."""
    return [(TOPIC.format(f"dev-{n % 7}"), (f'{{"n": {n}, "pad": "' + "x" * (n % 37) + '"}').encode()) for n in
            range(start, start + count)]  # fmt: skip


def open_mqtt5(url: str, inbox: Inbox, opened: list[Mqtt5Session], client_id: str = "test-ingest") -> Mqtt5Session:
    session = Mqtt5Session(parse_broker_url(url), client_id, FILTERS, inbox, receive_maximum=1000, session_expiry_s=600)
    opened.append(session)
    session.start()
    assert session.wait_connected(15), "the session did not connect"
    return session


def create_session(url: str, opened: list[Mqtt5Session], client_id: str = "test-ingest") -> None:
    """Connect once and leave: the broker now keeps the session and queues QoS 1 messages for it."""
    open_mqtt5(url, Inbox(), opened, client_id).close()


def ack_all(session: Mqtt5Session, received: list[tuple[str, bytes, int, int, int]]) -> None:
    for _, _, packet_id, qos, generation in received:
        session.ack(packet_id, qos, generation)


def test_packets_split_at_every_byte_boundary(mosquitto: Mosquitto, sessions: list[Mqtt5Session]) -> None:
    proxy = SplittingProxy(mosquitto.port)
    try:
        create_session(proxy.url, sessions)
        sent = messages(300)
        publish_all(mosquitto.url, sent)
        inbox = Inbox()
        session = open_mqtt5(proxy.url, inbox, sessions)
        wait_until(lambda: len(inbox.messages) >= 300, timeout_s=60, what="300 messages through the splitting proxy")
        received = inbox.take()
        assert [(t, p) for t, p, *_ in received] == sent
        ack_all(session, received)
        time.sleep(0.5)
        session.close()
        recorded = bytes(proxy.from_broker)
    finally:
        proxy.close()
    # Acknowledged: nothing comes back on the next connection.
    again = Inbox()
    open_mqtt5(mosquitto.url, again, sessions)
    time.sleep(1.0)
    assert again.messages == []
    # The very bytes Mosquitto sent, cut at each possible boundary, decode to the very same packets.
    whole = PacketStream().feed(recorded)
    assert sum(isinstance(p, mqtt5.PublishPacket) for p in whole) == 300
    for cut in range(len(recorded) + 1):
        stream = PacketStream()
        assert stream.feed(recorded[:cut]) + stream.feed(recorded[cut:]) == whole, f"cut at byte {cut}"
        assert stream.pending_bytes == 0


def test_a_redelivered_message_is_acked_on_its_new_connection_only(
    mosquitto: Mosquitto, sessions: list[Mqtt5Session]
) -> None:
    """Session resume with DUP redelivery, and packet ids reused after a reconnect."""
    proxy = SplittingProxy(mosquitto.port, pause_every=10_000)
    try:
        create_session(proxy.url, sessions)
        publish_all(mosquitto.url, messages(5))
        inbox = Inbox()
        session = open_mqtt5(proxy.url, inbox, sessions)
        wait_until(lambda: len(inbox.messages) == 5, what="5 messages")
        first = inbox.take()
        proxy.drop_connections()  # the link dies before the messages are stored
        wait_until(lambda: session.reconnects >= 1 and session.connected, timeout_s=30, what="a reconnection")
        wait_until(lambda: len(inbox.messages) == 5, what="the 5 messages again")
        second = inbox.take()
        assert session.redelivered == 5  # resent with DUP set
        assert [p for _, p, *_ in second] == [p for _, p, *_ in first]
        assert [i for _, _, i, *_ in second] == [i for _, _, i, *_ in first]  # the same packet ids...
        assert {g for *_, g in second} == {first[0][4] + 1}  # ...on a new connection
        ack_all(session, first)  # stored at last: acks for the dead connection must not reach the broker
        time.sleep(0.5)
        session.close()
        third_inbox = Inbox()
        third = open_mqtt5(proxy.url, third_inbox, sessions)
        wait_until(lambda: len(third_inbox.messages) == 5, what="redelivery: the old acks were dropped")
        ack_all(third, third_inbox.take())
        time.sleep(0.5)
        third.close()
        last = Inbox()
        open_mqtt5(mosquitto.url, last, sessions)
        time.sleep(1.0)
        assert last.messages == []  # acked on the connection they arrived on: done
    finally:
        proxy.close()


def test_a_broker_restart_mid_drain_loses_nothing(mosquitto: Mosquitto, sessions: list[Mqtt5Session]) -> None:
    create_session(mosquitto.url, sessions)
    sent = messages(20_000)
    publish_all(mosquitto.url, sent, timeout_s=120)
    inbox = Inbox()
    unstored: deque[tuple[int, int, int]] = deque()
    stop = threading.Event()

    def receive(topic: str, payload: bytes, packet_id: int, qos: int, generation: int, received_ns: int) -> None:
        inbox(topic, payload, packet_id, qos, generation, received_ns)
        unstored.append((packet_id, qos, generation))

    restarted = threading.Event()

    def store() -> None:  # a slow store: 100 messages every 20 ms, then their acks, as the write path does
        while not stop.wait(0.02):
            # Stalled from 3,000 messages until the broker has restarted, so the restart always falls mid-drain
            # (with Receive Maximum 200 the broker cannot send much more meanwhile), however fast the machine.
            if len(inbox.messages) >= 3_000 and not restarted.is_set():
                continue
            for _ in range(min(100, len(unstored))):
                session.ack(*unstored.popleft())

    session = Mqtt5Session(
        parse_broker_url(mosquitto.url), "test-ingest", FILTERS, receive, receive_maximum=200, session_expiry_s=600
    )
    sessions.append(session)
    storer = threading.Thread(target=store, daemon=True)
    storer.start()
    session.start()
    try:
        wait_until(lambda: len(inbox.messages) >= 3_000, timeout_s=60, what="the drain under way")
        assert len(inbox.payloads()) < len(sent)
        mosquitto.stop()
        mosquitto.start()
        restarted.set()
        wait_until(lambda: session.reconnects >= 1 and session.connected, timeout_s=60, what="a reconnection")
        wait_until(
            lambda: inbox.payloads() >= {p for _, p in sent}, timeout_s=120, what="every message, restart or not"
        )
        wait_until(lambda: not unstored, what="every message stored")
        time.sleep(0.2)  # the last acks leave with the next wake-up of the session thread
    finally:
        stop.set()
    session.close()
    # What was in flight at the restart came again on the new connection and was acknowledged there: nothing left.
    rest = Inbox()
    open_mqtt5(mosquitto.url, rest, sessions)
    time.sleep(2.0)
    assert rest.messages == []


def test_a_wrong_password_is_one_clear_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, sessions: list[Mqtt5Session], processes: Processes
) -> None:
    _need("mosquitto_passwd")
    passwords = tmp_path / "passwd"
    assert processes.run(["mosquitto_passwd", "-b", "-c", str(passwords), "ingest", "right"]).returncode == 0
    broker = Mosquitto(tmp_path / "secured", f"allow_anonymous false\npassword_file {passwords}")
    broker.start()
    try:
        url = f"mqtt://ingest:wrong@127.0.0.1:{broker.port}"
        session = Mqtt5Session(parse_broker_url(url), "test-ingest", FILTERS, Inbox())
        sessions.append(session)
        with caplog.at_level(logging.ERROR, logger="ridebuy.shared.mqtt5_session"):
            session.start()
            wait_until(lambda: bool(caplog.records), timeout_s=15, what="an error in the log")
        line = caplog.records[0].getMessage()
        # Mosquitto 2.0 answers a wrong password with 0x87 (0x86 is the other usual answer).
        assert "refused the connection: 0x87 not authorized; retrying in" in line
        assert "\n" not in line
        assert not session.connected
        assert session.problems() == ["the broker refused the connection: 0x87 not authorized"]
        good = Mqtt5Session(parse_broker_url(url.replace("wrong", "right")), "test-ingest-2", FILTERS, Inbox())
        sessions.append(good)
        good.start()
        assert good.wait_connected(15)
    finally:
        broker.stop()


def test_a_broker_that_speaks_only_311_is_used_with_311(caplog: pytest.LogCaptureFixture, processes: Processes) -> None:
    """Issue 13 item 11: the demo's embedded amqtt never answers an MQTT 5 CONNECT; the session says so and
    falls back to MQTT 3.1.1 instead of waiting silently."""
    broker = EmbeddedBroker()
    url = broker.start().split("?")[0]  # as a user would type it, without ?protocol=3.1.1
    inbox = Inbox()
    session = open_session(parse_broker_url(url), "test-ingest", FILTERS, inbox, connect_timeout_s=2.0)
    try:
        with caplog.at_level(logging.WARNING):
            session.start()
            assert session.wait_connected(2.0) is False
            wait_until(lambda: session.connected, timeout_s=30, what="a connection with MQTT 3.1.1")
        assert session.protocol == "3.1.1"
        said = [r.getMessage() for r in caplog.records if "does not speak MQTT 5" in r.getMessage()]
        assert said and f"{url}?protocol=3.1.1" in said[-1]
        publish_all(url + "?protocol=3.1.1", messages(3))
        wait_until(lambda: len(inbox.messages) == 3, what="messages over MQTT 3.1.1")
    finally:
        session.close()
        broker.stop()


def test_a_session_taken_over_backs_off_instead_of_fighting(
    mosquitto: Mosquitto,
    caplog: pytest.LogCaptureFixture,
    sessions: list[Mqtt5Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 13 item 5: two ingests with one client id took the session from each other ~3 times a second.

    Mosquitto 2.0.11 closes the old connection without DISCONNECT 0x8E, so the session recognises repeated
    silent closes; a broker that sends 0x8E is recognised on the first one."""
    with caplog.at_level(logging.ERROR, logger="ridebuy.shared.mqtt5_session"):
        first = open_mqtt5(mosquitto.url, Inbox(), sessions, "same-id")
        second = open_mqtt5(mosquitto.url, Inbox(), sessions, "same-id")
        wait_until(lambda: first.takeovers + second.takeovers >= 1, what="a takeover recognised")
        started = first.reconnects + second.reconnects
        time.sleep(12.0)
    fights = first.reconnects + second.reconnects - started
    assert fights <= 8, f"{fights} reconnections in 12 s: still fighting (unchecked, about 30)"
    lines = [r.getMessage() for r in caplog.records if "took the session over" in r.getMessage()]
    assert len(lines) == first.takeovers + second.takeovers
    assert "two ingests must not share a client id" in lines[0] and "'same-id'" in lines[0]
    assert "\n" not in lines[0]
    assert any("session taken over" in p for p in first.problems() + second.problems())
    # The two take turns holding the session; the notice goes only once one of them has held it for STABLE_S.
    monkeypatch.setattr(mqtt5_session, "STABLE_S", 1.0)
    loser = first if first.takeovers else second
    winner = second if loser is first else first
    loser.close()
    wait_until(lambda: winner.connected, timeout_s=TAKEOVER_BACKOFF[1], what="the other one holding the session")
    wait_until(lambda: not winner.problems(), what="the takeover notice ending after a stable connection")


def test_tls_with_a_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sessions: list[Mqtt5Session], processes: Processes
) -> None:
    """``mqtts://user:pass@host:port``: TLS verified against the trusted CAs (here a self-signed one), then CONNECT
    with user name and password."""
    _need("mosquitto_passwd")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    made = processes.run(
        [
            *("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ]
    )
    assert made.returncode == 0, made.stderr
    passwords = tmp_path / "passwd"
    assert processes.run(["mosquitto_passwd", "-b", "-c", str(passwords), "ingest", "s3cret"]).returncode == 0
    tls_port = free_port()
    broker = Mosquitto(
        tmp_path / "tls",
        f"allow_anonymous false\npassword_file {passwords}\n"
        f"listener {tls_port} 127.0.0.1\ncertfile {cert}\nkeyfile {key}",
    )
    broker.start()
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # OpenSSL's default trust store, as ssl.create_default_context
    try:
        wait_for_port(tls_port)
        url = f"mqtts://ingest:s3cret@127.0.0.1:{tls_port}"
        create_session(url, sessions)
        publish_all(f"mqtt://ingest:s3cret@127.0.0.1:{broker.port}", messages(3))
        inbox = Inbox()
        open_mqtt5(url, inbox, sessions)
        wait_until(lambda: len(inbox.messages) == 3, what="3 messages over TLS")
    finally:
        broker.stop()


def test_a_clean_start_session_keeps_nothing_and_reports_its_connection(
    mosquitto: Mosquitto, sessions: list[Mqtt5Session]
) -> None:
    """The mode for a subscription that keeps no session (the API's live state): nothing is queued while it is away,
    and ``on_connection`` says when it is up and down."""
    states: list[bool] = []
    inbox = Inbox()
    session = Mqtt5Session(
        parse_broker_url(mosquitto.url), "live-state", FILTERS, inbox, clean_start=True, on_connection=states.append
    )
    sessions.append(session)
    session.start()
    assert session.wait_connected(15)
    publish_all(mosquitto.url, messages(3))
    wait_until(lambda: len(inbox.messages) == 3, what="3 messages")
    ack_all(session, inbox.take())
    session.close()
    assert states == [True, False]
    publish_all(mosquitto.url, messages(3, start=3))  # nobody subscribed: the broker keeps nothing for it
    again = Inbox()
    later = Mqtt5Session(parse_broker_url(mosquitto.url), "live-state", FILTERS, again, clean_start=True)
    sessions.append(later)
    later.start()
    assert later.wait_connected(15)
    time.sleep(1.0)
    assert again.messages == []
