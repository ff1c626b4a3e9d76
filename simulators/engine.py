"""The event engine: every device of a registry on one timeline, producing native MQTT messages in time order.

Pure: no clock is read and nothing is sent. :meth:`Engine.run` walks real time from ``begin_s`` and yields each
message with the real time it is due at, which is also its ``ts``. A :class:`~simulators.clock.SimClock` maps real
time to the simulated time the traffic patterns follow. Device state survives from one run to the next, so a
backfill at real speed continues seamlessly into an accelerated live run.

What a device sends:
- rack and slot devices: ``occupancy`` when their value changes (checked every few simulated minutes), and with
  every heartbeat;
- every device: ``status`` at least every ``heartbeat_s`` real seconds (its registry value);
- counters: ``passage`` messages per interval (aggregated: one message per direction and class, zeros included)
  or one per passage (event mode).
"""

from __future__ import annotations

import heapq
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum, StrEnum

from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.registry import Device, DeviceKind, Registry
from ridebuy.devices.topics import MessageKind, device_topic
from ridebuy.simulators.clock import SimClock, rfc3339_ms
from ridebuy.simulators.counting import CounterModel
from ridebuy.simulators.device_status import StatusModel
from ridebuy.simulators.lorawan import NativeMessage, UplinkCounters, as_uplink, speaks_lorawan
from ridebuy.simulators.occupancy import RackModel, SlotModel
from ridebuy.simulators.profiles import profile_for

OCCUPANCY_STEP_S = 300.0
"""Simulated seconds between two looks at a rack or slot (a message is sent only when the value changed)."""

MIN_REAL_STEP_S = 0.5
"""At high speed-ups a device looks at most this often (real seconds); the models take any step."""

COUNTER_INTERVAL_S = 900
"""Simulated length of a counting interval at speed 1 (Eco-Counter style quarter hours)."""

HEARTBEAT_SHARE = 0.9
"""Heartbeats come a little earlier than the registry's ``heartbeat_s`` so that no device is ever late."""

LIVE_ANNOUNCE_S = 5.0
"""On a live start every device announces itself (status, occupancy) within this many real seconds."""


class CounterMode(StrEnum):
    INTERVAL = "interval"
    """One message per direction and class per interval, ``interval_s`` > 0, counts including 0."""
    EVENT = "event"
    """One message per passage, ``count`` 1 and ``interval_s`` 0, stamped within its interval."""


@dataclass(frozen=True, slots=True)
class Message:
    due_s: float
    """Real epoch seconds from which it may be sent (never before its ``ts``: the ingest refuses the future)."""
    real_s: float
    """Its measurement time, in real epoch seconds; its ``ts`` says the same to the millisecond."""
    sim_s: float
    """The simulated moment it describes (drives the progress display)."""
    device_id: str
    kind: MessageKind
    topic: str
    payload: bytes


class _Event(IntEnum):
    HEARTBEAT = 0
    STEP = 1
    INTERVAL = 2


@dataclass(slots=True)
class _DeviceSim:
    device: Device
    rng: random.Random
    status: StatusModel
    heartbeat_period_s: float
    rack: RackModel | None = None
    slot: SlotModel | None = None
    counter: CounterModel | None = None
    seq: int = 0
    last_occupied: int | None = None
    next_heartbeat_s: float | None = None
    next_interval_s: float | None = None


def _encode(fields: dict[str, object]) -> bytes:
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=False).encode()


def device_rng(seed: int, device_id: str) -> random.Random:
    """Each device draws from its own stream, so adding devices never changes the traffic of the others."""
    return random.Random(f"ridebuy-sim/{seed}/{device_id}")


class Engine:
    """Every device of ``registry`` on one timeline. Same registry, seed and clocks: same messages."""

    def __init__(
        self,
        registry: Registry,
        seed: int,
        sim_start_s: float,
        *,
        counter_mode: CounterMode = CounterMode.INTERVAL,
        counter_interval_s: int = COUNTER_INTERVAL_S,
        occupancy_step_s: float = OCCUPANCY_STEP_S,
    ) -> None:
        if counter_interval_s < 1:
            raise ValueError(f"counter_interval_s must be >= 1, got {counter_interval_s}")
        if occupancy_step_s <= 0:
            raise ValueError(f"occupancy_step_s must be > 0, got {occupancy_step_s}")
        self.registry = registry
        self.counter_mode = counter_mode
        self.counter_interval_s = counter_interval_s
        self.occupancy_step_s = occupancy_step_s
        self._devices = [self._device_sim(device, seed, sim_start_s) for device in registry.devices]
        self._clock: SimClock | None = None
        self._uplinks = UplinkCounters()

    def _device_sim(self, device: Device, seed: int, sim_s: float) -> _DeviceSim:
        rng = device_rng(seed, device.id)
        parking = self.registry.parking_by_id.get(device.parking) if device.parking else None
        status = StatusModel(rng, sim_s, covered=parking.covered if parking else False)
        # Device clocks differ a little: each keeps its own heartbeat period, always below the allowance.
        period = device.heartbeat_s * rng.uniform(HEARTBEAT_SHARE - 0.05, HEARTBEAT_SHARE)
        sim = _DeviceSim(device, rng, status, period)
        if parking is not None:
            profile = profile_for(parking.id, parking.name)
            if device.kind is DeviceKind.RACK:
                sim.rack = RackModel(self.registry.spaces_of(device.id), profile, rng, sim_s)
            else:
                sim.slot = SlotModel(profile, rng, sim_s)
        else:
            sim.counter = CounterModel(rng, scale=rng.uniform(0.6, 1.4))
        return sim

    @property
    def device_count(self) -> int:
        return len(self._devices)

    def run(
        self, clock: SimClock, begin_s: float, end_s: float | None = None, *, announce_s: float | None = None
    ) -> Iterator[Message]:
        """Messages due in real time [begin_s, end_s), in order of due time (end None: without end).

        ``announce_s`` spreads the first heartbeat of devices that never spoke over that many real seconds
        (None: over a whole heartbeat period, as in the steady state a backfill starts from).
        """
        step_real_s = max(self.occupancy_step_s / clock.speed, MIN_REAL_STEP_S)
        interval_real_s = max(1, round(self.counter_interval_s / clock.speed))
        previous, self._clock = self._clock, clock
        if previous is not None and previous != clock:
            yield from self._close_intervals(previous, begin_s)
        heap: list[tuple[float, int, _Event]] = []
        for index, sim in enumerate(self._devices):
            if sim.next_heartbeat_s is None:
                spread = sim.heartbeat_period_s if announce_s is None else min(announce_s, sim.heartbeat_period_s)
                sim.next_heartbeat_s = begin_s + sim.rng.uniform(0.0, spread)
            heap.append((sim.next_heartbeat_s, index, _Event.HEARTBEAT))
            if sim.counter is not None:
                if sim.next_interval_s is None:  # aligned on the interval, like a counter's quarter hours
                    sim.next_interval_s = math.ceil(begin_s / interval_real_s) * interval_real_s
                heap.append((sim.next_interval_s + interval_real_s, index, _Event.INTERVAL))
            else:
                heap.append((begin_s + sim.rng.uniform(0.0, step_real_s), index, _Event.STEP))
        heapq.heapify(heap)

        while heap:
            due, index, event = heap[0]
            if end_s is not None and due >= end_s:
                return
            sim = self._devices[index]
            if event is _Event.HEARTBEAT:
                messages = self._heartbeat(sim, clock, due)
                sim.next_heartbeat_s = due + sim.heartbeat_period_s
                following = sim.next_heartbeat_s
            elif event is _Event.STEP:
                messages = self._step(sim, clock, due)
                following = due + step_real_s
            else:
                assert sim.next_interval_s is not None
                messages = self._interval(sim, clock, sim.next_interval_s, interval_real_s)
                sim.next_interval_s += interval_real_s
                following = sim.next_interval_s + interval_real_s
            heapq.heapreplace(heap, (following, index, event))
            yield from self._as_sent(sim, messages)

    def _close_intervals(self, previous: SimClock, begin_s: float) -> Iterator[Message]:
        """On a change of clock (backfill -> live), report what counters counted since their last interval."""
        for sim in self._devices:
            if sim.counter is None or sim.next_interval_s is None:
                continue
            length_s = int(begin_s - sim.next_interval_s)
            if length_s >= 1:
                yield from self._as_sent(sim, self._interval(sim, previous, sim.next_interval_s, length_s))
                sim.next_interval_s += length_s

    # What each event sends -------------------------------------------------------------------------------
    def _as_sent(self, sim: _DeviceSim, messages: list[Message]) -> list[Message]:
        """Native messages as they are; a LoRaWAN device's event becomes one network-server uplink."""
        if not messages or not speaks_lorawan(sim.device):
            return messages
        native = [NativeMessage(m.kind, m.real_s, m.payload) for m in messages]
        topic, payload = as_uplink(sim.device, native, self._uplinks, sim.rng)
        first = messages[0]
        due_s = max(m.due_s for m in messages)
        return [Message(due_s, first.real_s, first.sim_s, sim.device.id, first.kind, topic, payload)]

    def _message(
        self, sim: _DeviceSim, kind: MessageKind, due_s: float, real_s: float, sim_s: float, fields: dict[str, object]
    ) -> Message:
        payload = _encode({"ts": rfc3339_ms(real_s), "seq": sim.seq, **fields})
        sim.seq += 1
        return Message(due_s, real_s, sim_s, sim.device.id, kind, device_topic(sim.device.id, kind), payload)

    def _occupied(self, sim: _DeviceSim, sim_s: float) -> int | bool:
        if sim.rack is not None:
            return sim.rack.advance(sim_s)
        assert sim.slot is not None
        return sim.slot.advance(sim_s)

    def _heartbeat(self, sim: _DeviceSim, clock: SimClock, real_s: float) -> list[Message]:
        sim_s = clock.sim(real_s)
        messages = [self._message(sim, MessageKind.STATUS, real_s, real_s, sim_s, dict(sim.status.report(sim_s)))]
        if sim.counter is None:
            occupied = self._occupied(sim, sim_s)
            sim.last_occupied = int(occupied)
            messages.append(self._message(sim, MessageKind.OCCUPANCY, real_s, real_s, sim_s, {"occupied": occupied}))
        return messages

    def _step(self, sim: _DeviceSim, clock: SimClock, real_s: float) -> list[Message]:
        sim_s = clock.sim(real_s)
        occupied = self._occupied(sim, sim_s)
        if sim.last_occupied is None or int(occupied) == sim.last_occupied:
            return []  # unchanged, or the device has not announced itself yet (its heartbeat will)
        sim.last_occupied = int(occupied)
        return [self._message(sim, MessageKind.OCCUPANCY, real_s, real_s, sim_s, {"occupied": occupied})]

    def _interval(self, sim: _DeviceSim, clock: SimClock, start_s: float, length_s: int) -> list[Message]:
        assert sim.counter is not None
        end_s = start_s + length_s
        sim_start, sim_end = clock.sim(start_s), clock.sim(end_s)
        counts = sim.counter.counts(sim_start, sim_end)
        if self.counter_mode is CounterMode.INTERVAL:
            # Stamped with the start of the interval (docs/design.md, native contract), sent once it is over.
            return [
                self._message(
                    sim, MessageKind.PASSAGE, end_s, start_s, sim_start, _passage(direction, cls, count, length_s)
                )
                for (direction, cls), count in counts.items()
            ]
        # Event mode: each passage at a random moment of its interval, sent when the interval closes
        # (the device buffers), so no timestamp is ever ahead of the real clock.
        moments = sorted(
            (start_s + sim.rng.random() * length_s, direction.value, cls.value)
            for (direction, cls), count in counts.items()
            for _ in range(count)
        )
        messages = []
        for real_s, direction_value, cls_value in moments:
            fields = _passage(Direction(direction_value), TrafficClass(cls_value), 1, 0)
            messages.append(self._message(sim, MessageKind.PASSAGE, end_s, real_s, clock.sim(real_s), fields))
        return messages


def _passage(direction: Direction, traffic_class: TrafficClass, count: int, interval_s: int) -> dict[str, object]:
    return {"direction": direction.value, "class": traffic_class.value, "count": count, "interval_s": interval_s}
