from __future__ import annotations

import itertools

import pytest

from ridebuy.devices.decoding import decode_message
from ridebuy.devices.registry import Registry
from ridebuy.devices.topics import MessageKind
from ridebuy.simulators.engine import Message
from ridebuy.simulators.runner import Simulation, SimulationOptions
from tests.simulators.conftest import local_epoch

NOW = local_epoch("2026-05-05T10:00")


class FakeTimer:
    """A clock that moves only when the runner waits; ``stop_after`` requests a stop after so many sends."""

    def __init__(self, start: float) -> None:
        self.time = start
        self.stopped = False
        self.waited = 0.0

    def now(self) -> float:
        return self.time

    def wait(self, seconds: float) -> bool:
        self.time += max(0.0, seconds)
        self.waited += max(0.0, seconds)
        return self.stopped


class ListSink:
    """Keeps what it is given, with the fake time of each send; checks that no ts is in the future."""

    def __init__(self, timer: FakeTimer, registry: Registry, stop_after: int | None = None) -> None:
        self.timer = timer
        self.registry = registry
        self.stop_after = stop_after
        self.sent: list[tuple[float, Message]] = []

    def send(self, message: Message) -> bool:
        readings = decode_message(message.topic, message.payload, round(self.timer.now() * 1e9), self.registry)
        assert readings
        assert all(reading.ts_ns <= round(self.timer.now() * 1e9) for reading in readings)
        self.sent.append((self.timer.now(), message))
        if self.stop_after is not None and len(self.sent) >= self.stop_after:
            self.timer.stopped = True
        return True


def simulate(
    registry: Registry, options: SimulationOptions, stop_after: int | None = None
) -> tuple[FakeTimer, ListSink, str]:
    timer = FakeTimer(NOW)
    sink = ListSink(timer, registry, stop_after)
    stats = Simulation(registry, options, sink, timer).run()
    assert stats.sent == len(sink.sent)
    return timer, sink, stats.finished


def test_count_stops_after_exactly_that_many_messages(hannut: Registry) -> None:
    _, sink, finished = simulate(hannut, SimulationOptions(seed=1, speed=60, count=250))
    assert finished == "count" and len(sink.sent) == 250


def test_duration_bounds_the_live_run_in_real_time_and_messages_wait_for_their_time(hannut: Registry) -> None:
    timer, sink, finished = simulate(hannut, SimulationOptions(seed=1, speed=60, duration_s=30))
    assert finished == "duration"
    assert NOW + 29 < timer.time <= NOW + 30.5
    assert all(sent_at >= message.due_s for sent_at, message in sink.sent)
    assert {message.kind for _, message in sink.sent} == set(MessageKind)


def test_rate_spaces_messages_out(hannut: Registry) -> None:
    _timer, sink, _ = simulate(hannut, SimulationOptions(seed=1, speed=60, rate=10, count=100))
    times = [sent_at for sent_at, _ in sink.sent]
    assert all(b - a >= 0.1 - 1e-6 for a, b in itertools.pairwise(times))  # float epoch seconds


def test_backfill_sends_history_first_then_goes_live(hannut: Registry) -> None:
    _timer, sink, finished = simulate(hannut, SimulationOptions(seed=1, speed=10, backfill_days=0.5, duration_s=20))
    assert finished == "duration"
    history = [m for _, m in sink.sent if m.real_s < NOW]
    live = [m for _, m in sink.sent if m.real_s >= NOW]
    assert history and live
    assert min(m.real_s for m in history) < NOW - 11 * 3600
    first_live = next(i for i, (_, m) in enumerate(sink.sent) if m.due_s >= NOW)
    assert all(m.due_s <= NOW for _, m in sink.sent[:first_live])
    history_sends = [sent_at for sent_at, m in sink.sent[:first_live]]
    assert set(history_sends) == {NOW}  # as fast as allowed: no waiting for the past


def test_a_start_moment_sets_the_simulated_clock(hannut: Registry) -> None:
    start = local_epoch("2026-05-09T14:00")
    _, sink, _ = simulate(hannut, SimulationOptions(seed=1, speed=100, start_s=start, count=300))
    assert all(start <= m.sim_s < start + 3 * 3600 for _, m in sink.sent)
    assert all(m.real_s >= NOW for _, m in sink.sent)


def test_a_stop_request_ends_the_run(hannut: Registry) -> None:
    _, sink, finished = simulate(hannut, SimulationOptions(seed=1, speed=60), stop_after=40)
    assert finished == "stopped" and len(sink.sent) == 40


def test_the_same_options_give_the_same_messages(hannut: Registry) -> None:
    options = SimulationOptions(seed=5, speed=120, backfill_days=0.1, count=400)
    first = [m for _, m in simulate(hannut, options)[1].sent]
    assert first == [m for _, m in simulate(hannut, options)[1].sent]


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({"speed": 0}, "speed must be > 0"),
        ({"rate": -1}, "rate must be > 0"),
        ({"backfill_days": -1}, "backfill_days must be >= 0"),
        ({"count": -5}, "count must be >= 0"),
    ],
)
def test_inconsistent_options_are_refused_with_a_precise_message(options: dict[str, float], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        SimulationOptions(**options)  # type: ignore[arg-type]
