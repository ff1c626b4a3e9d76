from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pytest

from ridebuy.devices.availability import AvailabilityFold, ParkingStatus
from ridebuy.devices.decoding import decode_message
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceKind, Registry
from ridebuy.devices.topics import MessageKind
from ridebuy.simulators.clock import SimClock
from ridebuy.simulators.engine import CounterMode, Engine, Message
from ridebuy.simulators.occupancy import overflow_limit
from tests.simulators.conftest import local_epoch

NS = 1_000_000_000
DAY_S = 86_400
BEGIN = local_epoch("2026-05-04T00:00")  # a Monday


def backfill(registry: Registry, seed: int = 1, span_s: float = DAY_S) -> list[Message]:
    engine = Engine(registry, seed, BEGIN)
    return list(engine.run(SimClock(BEGIN, BEGIN, 1.0), BEGIN, BEGIN + span_s))


def native(messages: list[Message]) -> list[Message]:
    """The messages in ridebuy's own JSON (LoRaWAN devices speak through an envelope; see test_lorawan_simulation)."""
    return [m for m in messages if m.topic.startswith("ridebuy/")]


@pytest.fixture(scope="module")
def day(hannut: Registry) -> list[Message]:
    return backfill(hannut)


def test_every_message_is_accepted_by_the_ingest_decoder_and_never_ahead_of_its_send_time(
    hannut: Registry, day: list[Message]
) -> None:
    kinds = set()
    for message in day:
        for reading in decode_message(message.topic, message.payload, round(message.due_s * NS), hannut):
            assert not reading.ts_from_receipt
            assert reading.ts_ns <= round(message.due_s * NS)
            assert abs(reading.ts_ns - message.real_s * NS) < 1_000_000  # the ts is the message's time, to the ms
            kinds.add(type(reading))
    assert kinds == {OccupancyReading, PassageReading, StatusReading}


def test_messages_come_in_send_order_and_each_device_counts_its_messages(day: list[Message]) -> None:
    assert all(a.due_s <= b.due_s for a, b in itertools.pairwise(day))
    seqs: dict[str, list[int]] = defaultdict(list)
    for message in native(day):
        seqs[message.device_id].append(json.loads(message.payload)["seq"])
    assert all(seq == list(range(len(seq))) for seq in seqs.values())


def test_every_device_sends_a_status_at_least_every_heartbeat(hannut: Registry, day: list[Message]) -> None:
    times: dict[str, list[float]] = defaultdict(list)
    for message in day:
        if message.kind is MessageKind.STATUS:
            times[message.device_id].append(message.real_s)
    assert set(times) == set(hannut.device_by_id)
    for device_id, sent in times.items():
        heartbeat_s = hannut.device_by_id[device_id].heartbeat_s
        assert sent[0] - BEGIN <= heartbeat_s
        assert max(b - a for a, b in itertools.pairwise(sent)) <= heartbeat_s, device_id


def test_occupancy_stays_within_bounds(hannut: Registry, day: list[Message]) -> None:
    for message in native(day):
        if message.kind is MessageKind.OCCUPANCY:
            occupied = json.loads(message.payload)["occupied"]
            device = hannut.device_by_id[message.device_id]
            if device.kind is DeviceKind.SLOT:
                assert isinstance(occupied, bool)
            else:
                assert 0 <= occupied <= overflow_limit(hannut.spaces_of(device.id))


def test_counters_report_contiguous_intervals_with_every_direction_and_class(
    hannut: Registry, day: list[Message]
) -> None:
    per_counter: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    zeros = 0
    for message in native(day):
        if message.kind is MessageKind.PASSAGE:
            body = json.loads(message.payload)
            assert body["interval_s"] == 900
            per_counter[message.device_id][body["ts"]] += 1
            zeros += body["count"] == 0
    counters = {d.id for d in hannut.devices if d.kind is DeviceKind.COUNTER}
    assert set(per_counter) == counters
    for intervals in per_counter.values():
        assert len(intervals) == DAY_S // 900 - 1 or len(intervals) == DAY_S // 900
        assert set(intervals.values()) == {8}  # 2 directions x 4 classes
    assert zeros > 0  # quiet quarter hours honestly count 0


def test_event_mode_sends_single_passages_within_their_interval(hannut: Registry) -> None:
    engine = Engine(hannut, 2, BEGIN, counter_mode=CounterMode.EVENT)
    start = local_epoch("2026-05-04T07:30")
    messages = [m for m in engine.run(SimClock(start, start, 1.0), start, start + 3600) if m.kind == "passage"]
    assert len(messages) > 20
    for message in messages:
        body = json.loads(message.payload)
        assert body["count"] == 1 and body["interval_s"] == 0
        assert message.due_s - 900 <= message.real_s <= message.due_s
        assert decode_message(message.topic, message.payload, round(message.due_s * NS), hannut)


def test_a_speed_up_runs_the_pattern_faster_while_timestamps_stay_real(hannut: Registry) -> None:
    real_start = local_epoch("2026-05-04T12:00")
    sim_start = local_epoch("2026-05-05T06:00")
    engine = Engine(hannut, 3, sim_start)
    messages = list(engine.run(SimClock(real_start, sim_start, 600.0), real_start, real_start + 60, announce_s=5))
    assert all(real_start <= m.real_s < real_start + 60 for m in messages)
    assert max(m.sim_s for m in messages) - sim_start > 9 * 3600  # ten simulated hours in a real minute
    first = {m.device_id for m in messages if m.due_s < real_start + 5}
    assert first == set(hannut.device_by_id)  # every device announced itself within 5 s
    passages = [json.loads(m.payload) for m in messages if m.kind is MessageKind.PASSAGE]
    assert passages and {p["interval_s"] for p in passages} == {2}  # 900 simulated s = 1.5 real s, rounded


def test_the_same_seed_and_start_give_the_same_messages(hannut: Registry) -> None:
    assert backfill(hannut, seed=9, span_s=6 * 3600) == backfill(hannut, seed=9, span_s=6 * 3600)
    assert backfill(hannut, seed=9, span_s=6 * 3600) != backfill(hannut, seed=10, span_s=6 * 3600)


def test_a_backfill_continues_into_a_live_run_without_gap_or_overlap(hannut: Registry) -> None:
    engine = Engine(hannut, 4, BEGIN)
    history = list(engine.run(SimClock(BEGIN, BEGIN, 1.0), BEGIN, BEGIN + DAY_S))
    now = BEGIN + DAY_S
    live = list(engine.run(SimClock(now, now, 100.0), now, now + 120, announce_s=5))
    assert history and live
    assert max(m.due_s for m in history) < now <= min(m.due_s for m in live)
    for device_id in hannut.device_by_id:
        seqs = [json.loads(m.payload)["seq"] for m in native(history + live) if m.device_id == device_id]
        assert seqs == list(range(len(seqs)))
    counter = next(d.id for d in hannut.devices if d.kind is DeviceKind.COUNTER)
    intervals = sorted(
        {
            (m.real_s, json.loads(m.payload)["interval_s"])
            for m in history + live
            if m.device_id == counter and m.kind == "passage"
        }
    )
    assert intervals[-1][0] > now
    assert {length for start, length in intervals if start > now} == {9}  # 900 simulated s at 100x
    for (start, length), (following, _) in itertools.pairwise(intervals):
        assert start + length == following  # intervals tile the timeline, across the change of speed


def test_folding_a_day_of_messages_gives_a_known_availability_for_every_parking(
    hannut: Registry, day: list[Message]
) -> None:
    fold = AvailabilityFold(hannut)
    for message in day:
        for reading in decode_message(message.topic, message.payload, round(message.due_s * NS), hannut):
            fold.apply(reading, round(message.due_s * NS))
    snapshot = fold.snapshot()
    assert set(snapshot) == set(hannut.parking_by_id)
    for availability in snapshot.values():
        assert availability.status is ParkingStatus.OK, availability
        assert availability.unknown == 0
