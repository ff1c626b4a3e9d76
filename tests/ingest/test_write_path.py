"""Unit tests of the write path's batching and acknowledgement logic, with a small fake store."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from ridebuy.devices.rejections import Rejected
from ridebuy.ingest.write_path import Received, WritePath
from ridebuy.shared.backoff import Backoff
from ridebuy.store.base import StoreRejected, StoreUnavailable
from ridebuy.store.points import Point, rejection_point


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
    assert [p.measurement for p in stored] == ["occupancy", "ingest_errors", "occupancy"]
    assert stored[1].tag("reason") == "store_rejected"
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
    from ridebuy.devices.rejections import RejectReason

    p = rejection_point(Rejected(RejectReason.INVALID_JSON, "bad"), "a/b", b"\xff{", 7)
    assert p.tag("reason") == "invalid_json"
    assert p.field("preview") == "\\xff{"
