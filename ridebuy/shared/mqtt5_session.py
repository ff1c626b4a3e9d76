"""ridebuy's MQTT 5 session: asyncio in a thread of its own, packets encoded and decoded by `mqtt5`.

The ingest's persistent session, or with ``clean_start`` one the broker forgets (the API's live subscription, which
also publishes the display panels on it). Only what they need:
CONNECT with a fixed client id, clean start off, a session expiry interval and a Receive Maximum; SUBSCRIBE at
QoS 1 (shared subscriptions included); PUBLISH at QoS 0 and 1 in; PUBACK out only when the write path says the
message is stored; PUBLISH at QoS 0 and 1 out (retain, Message Expiry Interval; see :meth:`Mqtt5Session.publish`);
PINGREQ for keep-alive; DISCONNECT both ways. Reconnects for ever with jittered backoff; every wait on the broker
has a timeout.

Why not paho: its Python packet handling alone capped one process at about 19,000 msg/s on MQTT 5; this session
parses in Rust and writes the acknowledgements of a whole batch in one socket write (docs/ingest.md).

A message received on an earlier connection is never acknowledged on a later one: after a reconnect the broker
redelivers it (DUP) with the same packet id, and an old ack could confirm a newer message that reused the id. Each
connection has a generation number; an ack whose generation is not the current one is dropped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import enum
import logging
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import mqtt5

from ridebuy.shared.backoff import Backoff
from ridebuy.shared.brokers import BrokerAddress
from ridebuy.shared.packet_stream import MalformedPacket, PacketStream

log = logging.getLogger(__name__)

OnMessage = Callable[[str, bytes, int, int, int, int], None]
"""``on_message(topic, payload, packet_id, qos, generation, received_ns)``, called on the session's thread."""

KEEPALIVE_S = 30
RECEIVE_MAXIMUM = 10_000
"""Unacknowledged QoS 1 messages the broker may send at once: more than a batch, since acks wait for storage."""
SESSION_EXPIRY_S = 7 * 86_400
"""How long the broker keeps a persistent session (and queues for it) while its client is away."""
CONNECT_TIMEOUT_S = 10.0
"""TCP (and TLS) connection, CONNECT to CONNACK, SUBSCRIBE to SUBACK: each gives up after this long."""
TAKEOVER_BACKOFF = (5.0, 300.0)
"""After another client took our session over: wait from 5 s growing to 5 min, instead of taking it back at once."""
STABLE_S = 60.0
"""A connection that lasted this long resets the takeover backoff and ends health's takeover notice."""


class ProtocolRefused(Exception):
    """The broker does not speak MQTT 5 (it refused the protocol version or answered in MQTT 3.1.1)."""


class ConnectRefused(Exception):
    """The broker answered CONNECT with a failure reason (bad password, not authorised, ...)."""


class SessionTakenOver(Exception):
    """The broker closed our connection because another client connected with the same client id."""


class ClosedByBroker(ConnectionError):
    """The broker closed the connection without a DISCONNECT to say why."""


class NotConnected(ConnectionError):
    """A message to publish found no connection, or its connection ended before the broker acknowledged it."""


class PublishRefused(Exception):
    """The broker answered a QoS 1 PUBLISH with a failure reason (not authorised, quota exceeded, ...)."""


@dataclass(slots=True)
class _Outgoing:
    """A message to publish, and the future its caller waits on."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    expiry_s: int | None
    future: concurrent.futures.Future[None] = field(default_factory=concurrent.futures.Future)

    def packet(self, packet_id: int | None) -> bytes:
        return mqtt5.PublishPacket(
            self.topic,
            self.payload,
            qos=mqtt5.QoS(self.qos),
            retain=self.retain,
            packet_id=packet_id,
            message_expiry_interval=self.expiry_s,
        ).write()

    def settle(self, error: Exception | None = None) -> None:
        """Complete the caller's future (which the caller may have cancelled meanwhile)."""
        with contextlib.suppress(concurrent.futures.InvalidStateError):
            if error is None:
                self.future.set_result(None)
            else:
                self.future.set_exception(error)


SILENT_CLOSES = (3, 60.0)
"""Brokers that send no DISCONNECT 0x8E on a takeover (Mosquitto 2.0.11 just closes the socket): this many silent
closes of an established connection within this many seconds are taken for a session takeover."""


def in_words(code: enum.IntEnum) -> str:
    """A reason code as people read it: ``0x8E session taken over``."""
    return f"0x{int(code):02X} {code.name.replace('_', ' ').lower()}"


class _Connection(asyncio.Protocol):
    """One TCP connection: feeds received bytes to the session, reports its end."""

    def __init__(self, session: Mqtt5Session) -> None:
        self._session = session
        self._stream = PacketStream()
        self.transport: asyncio.Transport | None = None
        self.closed: asyncio.Future[Exception | None] = asyncio.get_running_loop().create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            packets = self._stream.feed(data)
        except MalformedPacket as exc:
            self.fail(ConnectionError(f"malformed packet from the broker: {exc}"))
            return
        for packet in packets:
            self._session._packet(self, packet)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(exc or ClosedByBroker("the broker closed the connection"))

    def fail(self, exc: Exception) -> None:
        """End this connection with ``exc`` as the reason the session sees."""
        if not self.closed.done():
            self.closed.set_result(exc)
        if self.transport is not None:
            self.transport.close()


class Mqtt5Session:
    """The ingest's MQTT 5 session (see the module docstring); the same interface as the 3.1.1 listener."""

    protocol = "5"

    def __init__(
        self,
        broker: BrokerAddress,
        client_id: str,
        topic_filters: tuple[str, ...],
        on_message: OnMessage,
        receive_maximum: int = RECEIVE_MAXIMUM,
        session_expiry_s: int = SESSION_EXPIRY_S,
        *,
        keepalive_s: int = KEEPALIVE_S,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        on_protocol_refused: Callable[[str], None] | None = None,
        clean_start: bool = False,
        on_connection: Callable[[bool], None] | None = None,
        subscribe_qos: int = 1,
    ) -> None:
        """``clean_start``: a session that the broker forgets on disconnect (the API's live subscription) instead of
        a persistent one. ``on_connection(up)`` is called on the session's thread when a connection is subscribed
        (True) and when it ends (False). ``subscribe_qos`` 0: the broker sends without waiting for acknowledgements
        (the API's live subscription, which keeps no session and so gains nothing from QoS 1)."""
        self._broker = broker
        self._client_id = client_id
        self._filters = topic_filters
        self._on_message = on_message
        self._receive_maximum = receive_maximum
        self._session_expiry_s = session_expiry_s
        self._keepalive_s = keepalive_s
        self._connect_timeout_s = connect_timeout_s
        self._on_protocol_refused = on_protocol_refused
        self._clean_start = clean_start
        self._on_connection = on_connection
        self._subscribe_qos = mqtt5.QoS(subscribe_qos)
        self._backoff = Backoff(initial_s=0.5, maximum_s=30.0)
        self._takeover_backoff = Backoff(initial_s=TAKEOVER_BACKOFF[0], maximum_s=TAKEOVER_BACKOFF[1])
        self._generation = 0
        self._acking_generation = 0
        """The generation whose acks may be sent now: the current connection's, once its CONNACK came; else 0."""
        self._receiving = True
        self._connected = threading.Event()
        self._stopping = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._main: asyncio.Task[None] | None = None
        self._current: _Connection | None = None
        self._acks: deque[tuple[int, int]] = deque()
        self._silent_closes: deque[float] = deque()
        self._ack_wake_pending = False
        self._last_sent = 0.0
        self._waiters: dict[type, asyncio.Future[mqtt5.Packet]] = {}
        self._speaks_v5 = False
        """Set by the first MQTT 5 CONNACK (even a refusal): from then on, no failure means "not MQTT 5"."""
        self.reconnects = 0
        self.takeovers = 0
        self.refusal: str | None = None
        """Why the broker last refused us (CONNECT refused, not MQTT 5); None once connected again."""
        self.takeover_notice: str | None = None
        """Set when another client took our session over. Two ingests sharing a client id take turns holding the
        session, so each is connected now and then: the notice stays until a connection has lasted ``STABLE_S``."""
        self._connected_at = 0.0
        self.redelivered = 0
        """PUBLISH packets received with DUP set (the broker resends what an earlier connection left unacked)."""
        self._inflight: dict[int, _Outgoing] = {}
        """Our QoS 1 messages sent on the current connection and not yet acknowledged, by packet id."""
        self._outbox: deque[_Outgoing] = deque()
        """QoS 1 messages waiting for room in the broker's Receive Maximum."""
        self._send_quota = 65_535
        self._last_packet_id = 1
        """SUBSCRIBE takes packet id 1 during the handshake; our PUBLISH packets take the following ones."""

    # the interface the ingest uses (any thread) ----------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def problems(self) -> list[str]:
        """What health should say about the session, beyond "not connected"."""
        problems = [self.refusal] if self.refusal else []
        if self.takeover_notice is not None:
            if self.connected and time.monotonic() - self._connected_at > STABLE_S:
                self.takeover_notice = None
            else:
                problems.append(self.takeover_notice)
        return problems

    def start(self) -> None:
        """Connect and receive in a background thread, reconnecting for ever with jittered backoff."""
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), name="mqtt-network", daemon=True)
        self._thread.start()
        started.wait()

    def stop_receiving(self) -> None:
        """Ignore further messages (neither stored nor acknowledged: the broker keeps them for the next session)."""
        self._receiving = False

    def ack(self, packet_id: int, qos: int, generation: int) -> None:
        """Acknowledge a stored message, if it was received on the current connection (module docstring).

        Thread-safe and cheap: acks queue up and the session thread writes all that are queued in one go.
        """
        if qos == 0:
            return
        self._acks.append((packet_id, generation))
        if not self._ack_wake_pending and self._loop is not None:
            self._ack_wake_pending = True
            # A closed loop means the session is over: the broker will redeliver.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._send_acks)

    def publish(
        self, topic: str, payload: bytes, *, qos: int = 0, retain: bool = False, expiry_s: int | None = None
    ) -> concurrent.futures.Future[None]:
        """Publish a message on the current connection; callable from any thread (the API's event loop included:
        ``await asyncio.wrap_future(session.publish(...))``).

        The future completes when a QoS 0 message is written, or when the broker acknowledged a QoS 1 message; it
        fails with :class:`NotConnected` when there is no connection or it ends first (nothing is resent on a later
        connection: the caller decides), and with :class:`PublishRefused` when the PUBACK says no. ``expiry_s`` is
        the Message Expiry Interval: the broker drops the message (a retained one too) after that many seconds.
        QoS 1 messages beyond the broker's Receive Maximum wait their turn.
        """
        if qos not in (0, 1):
            raise ValueError("qos must be 0 or 1")
        outgoing = _Outgoing(topic, payload, qos, retain, expiry_s)
        loop = self._loop
        if loop is None or not self.connected:
            outgoing.settle(NotConnected(f"not connected to {self._broker.display}"))
            return outgoing.future
        try:
            loop.call_soon_threadsafe(self._send_publish, outgoing)
        except RuntimeError:  # the session's loop is closed: the session is over
            outgoing.settle(NotConnected("the MQTT session is closed"))
        return outgoing.future

    def wait_connected(self, timeout_s: float) -> bool:
        return self._connected.wait(timeout_s)

    def close(self, timeout_s: float = 5.0) -> None:
        """Send the acks still queued, then DISCONNECT (the broker keeps the session and queues for us)."""
        self._receiving = False
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if thread.is_alive():
            try:
                future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
                future.result(timeout_s)
            except (RuntimeError, TimeoutError, asyncio.CancelledError) as exc:
                log.warning("MQTT session did not close cleanly: %r", exc)
        thread.join(timeout_s)
        self._connected.clear()

    # the session thread --------------------------------------------------------------------------------
    def _run(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        self._main = loop.create_task(self._connect_forever())
        started.set()
        try:
            loop.run_until_complete(self._main)
        except asyncio.CancelledError:
            pass
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        self._stopping = True
        connection = self._current
        if connection is not None and connection.transport is not None and self._acking_generation:
            self._send_acks()
            self._fail_outgoing(NotConnected("the MQTT session closed before the broker acknowledged the message"))
            self._write(connection, mqtt5.DisconnectPacket().write())
            connection.transport.close()
        if self._main is not None:
            self._main.cancel()

    async def _connect_forever(self) -> None:
        first = True
        while not self._stopping:
            if not first:
                self.reconnects += 1
            first = False
            delay = 0.0
            try:
                await self._session()
            except ProtocolRefused as exc:
                if self._on_protocol_refused is not None:
                    self._on_protocol_refused(str(exc))
                    return
                log.error("broker %s does not speak MQTT 5 (%s)", self._broker.display, exc)
                self.refusal = f"the broker does not speak MQTT 5 ({exc}); use ?protocol=3.1.1 in the URL"
                delay = self._backoff.next_delay()
            except SessionTakenOver as exc:
                self.takeovers += 1
                delay = self._takeover_backoff.next_delay()
                self.takeover_notice = (
                    f"session taken over by another client with the client id {self._client_id!r} "
                    f"({self.takeovers} times): is a second ingest running with this id?"
                )
                log.error(
                    "broker %s: another client connected with our client id %r and took the session over (%s); "
                    "two ingests must not share a client id. Backing off %.0f s",
                    self._broker.display,
                    self._client_id,
                    exc,
                    delay,
                )
            except ConnectRefused as exc:
                self.refusal = f"the broker refused the connection: {exc}"
                delay = self._backoff.next_delay()
                log.error("broker %s refused the connection: %s; retrying in %.1f s", self._broker.display, exc, delay)
            except (OSError, ConnectionError, TimeoutError) as exc:
                delay = self._backoff.next_delay()
                reason = str(exc) or type(exc).__name__
                if self._connected.is_set():
                    log.warning(
                        "connection to %s lost (%s); reconnecting in %.1f s", self._broker.display, reason, delay
                    )
                else:
                    log.warning("cannot reach broker %s (%s); retrying in %.1f s", self._broker.display, reason, delay)
            except Exception:  # a bug must not end the session for good: log it with its traceback, go on
                delay = self._backoff.next_delay()
                log.exception("MQTT session to %s failed; reconnecting in %.1f s", self._broker.display, delay)
            finally:
                if self._connected.is_set() and self._on_connection is not None:
                    self._on_connection(False)
                self._connected.clear()
                self._acking_generation = 0
                self._current = None
                self._fail_outgoing(NotConnected("the connection ended before the broker acknowledged the message"))
            if not self._stopping:
                await asyncio.sleep(delay)

    async def _session(self) -> None:
        """One connection, from TCP connect to its end (which is always an exception)."""
        loop = asyncio.get_running_loop()
        broker = self._broker
        context = ssl.create_default_context() if broker.tls else None
        timeout = self._connect_timeout_s
        try:
            _, connection = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self),
                    broker.host,
                    broker.port,
                    ssl=context,
                    ssl_handshake_timeout=timeout if context is not None else None,
                ),
                timeout,
            )
        except TimeoutError:
            raise TimeoutError(f"no TCP connection within {timeout:.0f} s") from None
        self._current = connection
        try:
            await self._handshake(connection)
            connected_at = self._connected_at = time.monotonic()
            self._connected.set()
            self.refusal = None
            self._backoff.reset()
            if self._on_connection is not None:
                self._on_connection(True)
            keepalive = loop.create_task(self._keepalive(connection))
            try:
                reason = await connection.closed
            finally:
                keepalive.cancel()
            if time.monotonic() - connected_at > STABLE_S:
                self._takeover_backoff.reset()
            if isinstance(reason, ClosedByBroker) and self._silent_close_is_takeover():
                raise SessionTakenOver(f"the broker closed the connection {SILENT_CLOSES[0]} times in a row")
            if reason is not None:
                raise reason
        finally:
            if connection.transport is not None:
                connection.transport.close()

    async def _handshake(self, connection: _Connection) -> None:
        broker = self._broker
        connect = mqtt5.ConnectPacket(
            self._client_id,
            username=broker.username,
            password=broker.password.encode() if broker.password is not None else None,
            clean_start=self._clean_start,
            keep_alive=self._keepalive_s,
            session_expiry_interval=0 if self._clean_start else self._session_expiry_s,
            # Receive Maximum: how many unacknowledged QoS 1 messages the broker may send us at once. Acking after
            # storage needs a window larger than a batch, or throughput stalls at the window.
            receive_max=self._receive_maximum,
        )
        connack = await self._request(connection, connect.write(), mqtt5.ConnAckPacket, "CONNACK")
        assert isinstance(connack, mqtt5.ConnAckPacket)
        if connack.reason_code != mqtt5.ConnAckReasonCode.SUCCESS:
            if connack.reason_code == mqtt5.ConnAckReasonCode.UNSUPPORTED_PROTOCOL_VERSION:
                raise ProtocolRefused("CONNACK 0x84 unsupported protocol version")
            detail = f" ({connack.reason_str})" if connack.reason_str else ""
            raise ConnectRefused(in_words(connack.reason_code) + detail)
        self._send_quota = max(1, connack.receive_max)
        if self._filters:  # none: a session that only publishes
            await self._subscribe(connection)
        log.info(
            "connected to %s with MQTT 5 (session %s), subscribed to %s",
            broker.display,
            "resumed" if connack.session_present else "new",
            ", ".join(self._filters) or "nothing",
        )

    async def _subscribe(self, connection: _Connection) -> None:
        subscribe = mqtt5.SubscribePacket(1, [mqtt5.TopicFilter(f, max_qos=self._subscribe_qos) for f in self._filters])
        suback = await self._request(connection, subscribe.write(), mqtt5.SubAckPacket, "SUBACK")
        assert isinstance(suback, mqtt5.SubAckPacket)
        refused = [(f, code) for f, code in zip(self._filters, suback.reason_codes, strict=False) if int(code) >= 0x80]
        for topic_filter, code in refused:
            log.error(
                "broker %s refused the subscription to %s: %s",
                self._broker.display,
                topic_filter,
                in_words(code),
            )

    async def _request(self, connection: _Connection, data: bytes, answer: type, name: str) -> mqtt5.Packet:
        """Write a packet and wait (with the connect timeout) for the broker's answer of type ``answer``."""
        waiter: asyncio.Future[mqtt5.Packet] = asyncio.get_running_loop().create_future()
        self._waiters[answer] = waiter
        self._write(connection, data)
        done, _ = await asyncio.wait(
            (waiter, connection.closed), timeout=self._connect_timeout_s, return_when=asyncio.FIRST_COMPLETED
        )
        self._waiters.pop(answer, None)
        if waiter in done:
            return waiter.result()
        reason = connection.closed.result() if connection.closed.done() else None
        if reason is None:
            reason = TimeoutError(f"no {name} within {self._connect_timeout_s:.0f} s")
        if answer is mqtt5.ConnAckPacket and not self._speaks_v5:
            # A broker that knows only MQTT 3.1.1 answers an MQTT 5 CONNECT in 3.1.1 (which the codec cannot
            # read), closes the connection, or (amqtt) never answers. Once it answered MQTT 5, none of this applies.
            raise ProtocolRefused(f"no MQTT 5 CONNACK: {reason}")
        raise reason

    async def _keepalive(self, connection: _Connection) -> None:
        """PINGREQ when nothing was sent for half the keep-alive; no answer within the keep-alive ends the link."""
        half = self._keepalive_s / 2
        while True:
            await asyncio.sleep(max(half - (time.monotonic() - self._last_sent), 0.05))
            if time.monotonic() - self._last_sent < half:
                continue
            pong: asyncio.Future[mqtt5.Packet] = asyncio.get_running_loop().create_future()
            self._waiters[mqtt5.PingRespPacket] = pong
            self._write(connection, mqtt5.PingReqPacket().write())
            try:
                await asyncio.wait_for(pong, self._keepalive_s)
            except TimeoutError:
                connection.fail(TimeoutError(f"no PINGRESP within {self._keepalive_s} s"))
                return

    def _silent_close_is_takeover(self) -> bool:
        now = time.monotonic()
        closes = self._silent_closes
        closes.append(now)
        while closes and now - closes[0] > SILENT_CLOSES[1]:
            closes.popleft()
        if len(closes) >= SILENT_CLOSES[0]:
            closes.clear()
            return True
        return False

    def _write(self, connection: _Connection, data: bytes) -> None:
        if connection.transport is not None and not connection.transport.is_closing():
            connection.transport.write(data)
            self._last_sent = time.monotonic()

    def _send_acks(self) -> None:
        """Write every queued ack of the current connection in one socket write; drop those of earlier ones."""
        self._ack_wake_pending = False
        acks = self._acks
        generation = self._acking_generation
        connection = self._current
        chunks: list[bytes] = []
        puback = mqtt5.PubAckPacket
        while acks:
            packet_id, acked_generation = acks.popleft()
            if acked_generation == generation:
                chunks.append(puback(packet_id).write())
        if chunks and connection is not None:
            self._write(connection, b"".join(chunks))

    def _send_publish(self, outgoing: _Outgoing) -> None:
        """On the session thread: write a message now, or queue it behind the broker's Receive Maximum."""
        connection = self._current
        if connection is None or not self._connected.is_set():
            outgoing.settle(NotConnected(f"not connected to {self._broker.display}"))
        elif outgoing.future.cancelled():
            pass
        elif outgoing.qos == 0:
            self._write(connection, outgoing.packet(None))
            outgoing.settle()
        elif len(self._inflight) < self._send_quota:
            self._transmit(connection, outgoing)
        else:
            self._outbox.append(outgoing)

    def _transmit(self, connection: _Connection, outgoing: _Outgoing) -> None:
        packet_id = self._last_packet_id
        while True:  # the next id not in flight (at most Receive Maximum of them are)
            packet_id = packet_id % 65_535 + 1
            if packet_id not in self._inflight:
                break
        self._last_packet_id = packet_id
        self._inflight[packet_id] = outgoing
        self._write(connection, outgoing.packet(packet_id))

    def _published(self, connection: _Connection, puback: mqtt5.PubAckPacket) -> None:
        outgoing = self._inflight.pop(puback.packet_id, None)
        if outgoing is None:
            log.debug("PUBACK for packet id %d, which is not in flight", puback.packet_id)
            return
        if int(puback.reason_code) >= 0x80:
            detail = f" ({puback.reason_str})" if puback.reason_str else ""
            outgoing.settle(PublishRefused(f"PUBACK {in_words(puback.reason_code)}{detail} for {outgoing.topic}"))
        else:
            outgoing.settle()
        while self._outbox and len(self._inflight) < self._send_quota:
            waiting = self._outbox.popleft()
            if not waiting.future.cancelled():
                self._transmit(connection, waiting)

    def _fail_outgoing(self, error: Exception) -> None:
        waiting = [*self._inflight.values(), *self._outbox]
        self._inflight.clear()
        self._outbox.clear()
        for outgoing in waiting:
            outgoing.settle(error)

    def _packet(self, connection: _Connection, packet: mqtt5.Packet) -> None:
        """Called for every packet the broker sends, in order."""
        if type(packet) is mqtt5.PublishPacket:
            if packet.duplicate:
                self.redelivered += 1
            if self._receiving:
                self._on_message(
                    packet.topic, packet.payload, packet.packet_id or 0, packet.qos, self._generation, time.time_ns()
                )
            return
        if type(packet) is mqtt5.PubAckPacket:
            self._published(connection, packet)
            return
        if isinstance(packet, mqtt5.DisconnectPacket):
            code = packet.reason_code
            if code == mqtt5.DisconnectReasonCode.SESSION_TAKEN_OVER:
                connection.fail(SessionTakenOver("DISCONNECT 0x8E session taken over"))
                return
            detail = f" ({packet.reason_str})" if packet.reason_str else ""
            log.warning(
                "broker %s disconnected us: %s%s",
                self._broker.display,
                in_words(code),
                detail,
            )
            connection.fail(ConnectionError(f"DISCONNECT {in_words(code)}{detail}"))
            return
        if isinstance(packet, mqtt5.ConnAckPacket):
            self._speaks_v5 = True
        if isinstance(packet, mqtt5.ConnAckPacket) and packet.reason_code == mqtt5.ConnAckReasonCode.SUCCESS:
            # Now, not when the waiting coroutine resumes: queued messages may follow in this very read.
            self._generation += 1
            self._acking_generation = self._generation
        waiter = self._waiters.pop(type(packet), None)
        if waiter is not None and not waiter.done():
            waiter.set_result(packet)
        elif not isinstance(packet, mqtt5.PingRespPacket):
            log.debug("ignored %s from the broker", type(packet).__name__)
