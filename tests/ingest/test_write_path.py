"""Unit tests of the write path's batching and acknowledgement logic, with a small fake store."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.ingest.health import NO_PROGRESS_S, health_of
from ridebuy.ingest.spool import Spool
from ridebuy.ingest.write_path import Received, WritePath
from ridebuy.shared.backoff import Backoff
from ridebuy.store.base import StoreRejected, StoreUnavailable
from ridebuy.store.points import Point, rejection_point
from tests.ingest.poisoned_store import PoisonedStore, field_is
from tests.support.waiting import wait_until

if TYPE_CHECKING:
    from ridebuy.ingest.service import IngestService


def point(n: int, field: object = 1) -> Point:
    return Point("occupancy", (("device", f"d{n}"),), (("occupied", field),), n)  # type: ignore[arg-type]


class FakeStore:
    def __init__(self) -> None:
        self.writes: list[list[Point]] = []
        self.down = 0
        self.refuse_strings = False

    def write(self, points: Sequence[Point]) -> None:
        if self.down:
            self.down -= 1
            raise StoreUnavailable("down")
        if self.refuse_strings and any(isinstance(p.field("occupied"), str) for p in points):
            raise StoreRejected("field type conflict")
        self.writes.append(list(points))

    def ping(self) -> bool:
        return not self.down


def make(store: FakeStore, batch_size: int = 3) -> tuple[WritePath, list[tuple[int, int, int]]]:
    acks: list[tuple[int, int, int]] = []
    path = WritePath(
        store,  # type: ignore[arg-type]
        lambda mid, qos, gen: acks.append((mid, qos, gen)),
        lambda rejection, topic, payload, ns: rejection_point(rejection, topic, payload, ns),
        batch_size=batch_size,
        batch_interval_s=0.01,
        backoff=Backoff(initial_s=0.001, maximum_s=0.002),
    )
    return path, acks


def received(n: int, field: object = 1) -> Received:
    return Received([point(n, field)], mid=n, qos=1, generation=1, topic=f"t/{n}", payload=b"{}", received_ns=n)


def test_acks_only_after_store_and_in_order() -> None:
    store = FakeStore()
    path, acks = make(store, batch_size=2)
    for n in range(1, 6):
        path.add(received(n))
    assert acks == []
    path.flush()
    assert [len(w) for w in store.writes] == [2, 2, 1]
    assert [mid for mid, _, _ in acks] == [1, 2, 3, 4, 5]


def test_store_down_holds_acks_until_it_returns() -> None:
    store = FakeStore()
    store.down = 3
    path, acks = make(store)
    path.add(received(1))
    path.flush()
    assert store.writes == [[point(1)]]
    assert acks == [(1, 1, 1)]
    assert path.stats.write_failures == 3
    assert path.stats.store_ok


def test_refused_point_becomes_dead_letter_and_the_rest_is_stored() -> None:
    store = FakeStore()
    store.refuse_strings = True
    path, acks = make(store, batch_size=10)
    path.add(received(1))
    path.add(received(2, field="oops"))
    path.add(received(3))
    path.flush()
    stored = [p for write in store.writes for p in write]
    assert sorted(p.measurement for p in stored) == ["ingest_errors", "occupancy", "occupancy"]
    dead_letter = next(p for p in stored if p.measurement == "ingest_errors")
    assert (dead_letter.tag("reason"), dead_letter.field("topic")) == ("store_rejected", "t/2")
    assert [mid for mid, _, _ in acks] == [1, 2, 3]


def test_run_flushes_on_time_and_drains_on_stop() -> None:
    store = FakeStore()
    path, acks = make(store, batch_size=1000)
    stop = threading.Event()
    thread = threading.Thread(target=path.run, args=(stop,))
    thread.start()
    path.add(received(1))
    deadline = threading.Event()
    for _ in range(500):
        if acks:
            break
        deadline.wait(0.01)
    assert acks == [(1, 1, 1)]
    path.add(received(2))
    stop.set()
    thread.join(5)
    assert not thread.is_alive()
    assert [mid for mid, _, _ in acks] == [1, 2]


def test_drain_gives_up_when_store_stays_down_without_acking() -> None:
    store = FakeStore()
    store.down = 10**9
    path, acks = make(store)
    stop = threading.Event()
    stop.set()
    path.add(received(1))
    path.run(stop, drain_timeout_s=0.05)
    assert acks == []
    assert path.depth == 1


def test_rejection_point_keeps_reason_and_preview() -> None:
    p = rejection_point(Rejected(RejectReason.INVALID_JSON, "bad"), "a/b", b"\xff{", 7)
    assert p.tag("reason") == "invalid_json"
    assert p.field("preview") == "\\xff{"


def dead_letter_received(n: int) -> Received:
    rejection = Rejected(RejectReason.INVALID_JSON, "not JSON")
    return Received([rejection_point(rejection, f"t/{n}", b"{oops", n)], n, 1, 1, f"t/{n}", b"{oops", n)


def make_on(store: object, batch_size: int = 5_000) -> tuple[WritePath, list[tuple[int, int, int]]]:
    return make(store, batch_size)  # type: ignore[arg-type]


def test_a_dead_letter_the_store_refuses_is_stored_in_its_fallback_form_and_the_stream_goes_on() -> None:
    store = PoisonedStore(field_is("detail", str))  # someone once wrote ingest_errors.detail as an integer
    path, acks = make_on(store)
    path.add(dead_letter_received(1))
    for n in range(2, 302):
        path.add(received(n))
    path.flush()
    assert len(acks) == 301
    assert len({p for p in store.stored if p.measurement == "occupancy"}) == 300  # a rewrite is the same point
    fallback = list({p for p in store.stored if p.measurement == "ingest_errors"})
    assert len(fallback) == 1 and fallback[0].tag("reason") == "invalid_json"
    assert "detail=not JSON" in str(fallback[0].field("fallback_text"))
    assert path.stats.dead_letters_fallback == 1
    assert store.requests <= 6


def test_a_dead_letter_refused_even_in_its_fallback_form_ends_in_the_log(caplog: pytest.LogCaptureFixture) -> None:
    store = PoisonedStore(lambda p: p.measurement == "ingest_errors")
    path, acks = make_on(store)
    path.add(dead_letter_received(1))
    path.add(received(2))
    with caplog.at_level(logging.ERROR):
        path.flush()
    assert [mid for mid, _, _ in acks] == [1, 2]
    assert path.stats.dead_letters_lost == 1
    assert "only in the log" in caplog.text
    assert store.requests <= 8


def test_a_refused_availability_point_is_the_ingests_problem_not_a_dead_letter() -> None:
    store = PoisonedStore(field_is("free", int))  # availability.free was once written as a float
    path, acks = make_on(store)
    for n in range(1, 601):
        status = Point("availability", (("parking", "gare"),), (("free", n % 4),), n)
        path.add(Received([point(n), status], n, 1, 1, f"t/{n}", b"{}", n))
    path.flush()
    assert len(acks) == 600
    assert len({p for p in store.stored if p.measurement == "occupancy"}) == 600
    assert not [p for p in store.stored if p.measurement == "ingest_errors"]
    assert path.stats.points_refused == {"availability": 600}
    assert store.requests <= 4


def test_health_says_failing_when_messages_wait_and_nothing_is_stored() -> None:
    store = FakeStore()
    store.down = 10**9
    path, _ = make(store)
    now = time.time_ns()
    path.add(Received([point(1)], 1, 1, 1, "t/1", b"{}", now))
    service = SimpleNamespace(
        write_path=path, spool=None, listener=SimpleNamespace(connected=True), handler=SimpleNamespace(received=1)
    )
    assert health_of(cast("IngestService", service), now + 5 * 10**9).status == "ok"
    stuck = health_of(cast("IngestService", service), now + int((NO_PROGRESS_S + 1) * 10**9))
    assert stuck.status == "failing"
    assert "no progress: 1 messages waiting" in " ".join(stuck.problems)
    store.down = 0
    path.flush()
    assert health_of(cast("IngestService", service), now + int((NO_PROGRESS_S + 2) * 10**9)).status == "ok"


class OutageStore(FakeStore):
    """Down (and not answering pings) until a given moment."""

    def __init__(self, back_at: float) -> None:
        super().__init__()
        self.back_at = back_at

    def write(self, points: Sequence[Point]) -> None:
        if time.monotonic() < self.back_at:
            raise StoreUnavailable("down")
        super().write(points)

    def ping(self) -> bool:
        return time.monotonic() >= self.back_at


def test_writing_resumes_as_soon_as_the_store_answers_not_after_the_backoff() -> None:
    store = OutageStore(back_at=time.monotonic() + 0.5)
    path = WritePath(
        store,  # type: ignore[arg-type]
        lambda mid, qos, gen: None,
        lambda rejection, topic, payload, ns: rejection_point(rejection, topic, payload, ns),
        backoff=Backoff(initial_s=8.0, maximum_s=8.0),
    )
    path.add(received(1))
    started = time.monotonic()
    path.flush()
    assert time.monotonic() - started < 2.0  # the backoff alone would wait 4 to 8 s
    assert store.writes == [[point(1)]]


def test_the_spool_full_flag_clears_once_batches_are_stored_again(tmp_path: Path) -> None:
    store = OutageStore(back_at=time.monotonic() + 10**6)
    spool = Spool(tmp_path / "spool", max_bytes=200)
    path = WritePath(
        store,  # type: ignore[arg-type]
        lambda mid, qos, gen: None,
        lambda rejection, topic, payload, ns: rejection_point(rejection, topic, payload, ns),
        batch_size=1,
        backoff=Backoff(initial_s=0.01, maximum_s=0.02),
        spool=spool,
    )
    for n in range(1, 20):
        path.add(received(n))
    flushing = threading.Thread(target=path.flush)
    flushing.start()
    wait_until(lambda: path.stats.spool_full, timeout_s=10, what="the spool to fill up")
    store.back_at = 0.0
    flushing.join(30)
    assert not flushing.is_alive()
    assert path.depth == 0 and spool.is_empty()
    assert not path.stats.spool_full and path.stats.store_ok
    spool.close()


def test_a_spooled_point_the_store_refuses_on_replay_becomes_a_dead_letter_once(tmp_path: Path) -> None:
    store = PoisonedStore(field_is("occupied", str))
    spool = Spool(tmp_path / "spool", max_bytes=10**6)
    spool.append([point(1), point(2, field="oops"), point(3)])  # acknowledged when spooled, before a restart
    path = WritePath(
        store,  # type: ignore[arg-type]
        lambda mid, qos, gen: None,
        lambda rejection, topic, payload, ns: rejection_point(rejection, topic, payload, ns),
        spool=spool,
    )
    path.add(received(4))
    path.flush()
    stored = set(store.stored)
    assert {point(1), point(3), point(4)} <= stored
    dead_letters = [p for p in stored if p.measurement == "ingest_errors"]
    assert [(p.tag("reason"), p.field("topic")) for p in dead_letters] == [("store_rejected", "(spool)")]
    assert spool.is_empty()
    spool.close()
