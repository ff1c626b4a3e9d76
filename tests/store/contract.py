"""The store contract: what every backend must do, through the Store protocol alone.

Subclass :class:`StoreContract` in a test module where a ``store`` fixture gives an empty, ready store (see
tests/store/conftest.py, which runs it for each backend). Nothing here knows which backend it talks to.

Semantics pinned here (docs/storage.md repeats them):
- a point is identified by measurement + tags + time: rewriting it overwrites it (redelivery is idempotent);
- buckets of ``every_s`` start at multiples of ``every_s`` since the epoch; the buckets of [start, end) are all those
  that overlap it, each holding only data inside [start, end);
- counter_counts lists a (direction, class) only if it has data in the range, then for every bucket, in the order
  (bucket start, direction, class); a bucket without data is None, never 0; a reported 0 stays 0;
- parking_history gives every bucket: the mean of the bucket's values, or where it has none the last value stored
  before it (even before the range start), or None when there is none at all;
- device_snapshots: the latest occupancy by measurement time, last seen over occupancy, passages and status, each
  status value as last reported and the time of the last status message.
"""

from __future__ import annotations

import pytest

from ridebuy.devices.availability import Availability, ParkingStatus
from ridebuy.devices.native import passage_point_ns
from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.readings import HealthFigures, OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceKind
from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.store.base import (
    MAX_REJECTIONS,
    ActivityBucket,
    AvailabilityBucket,
    CountBucket,
    DeviceSnapshot,
    Rejection,
    Store,
)
from ridebuy.store.points import Point, availability_point, reading_points, rejection_point

S = 1_000_000_000
MIN = 60 * S
HOUR = 60 * MIN
T0 = 1_777_852_800 * S
"""2026-05-04T00:00:00Z, a multiple of every bucket size used here."""


def occupancy(device: str, parking: str, occupied: int, ts_ns: int, kind: DeviceKind = DeviceKind.RACK) -> Point:
    (point,) = reading_points(OccupancyReading(device, parking, kind, occupied, ts_ns))
    return point


def passage(
    device: str,
    counter: str,
    ts_ns: int,
    count: int = 1,
    direction: Direction = Direction.IN,
    traffic_class: TrafficClass = TrafficClass.BIKE,
    point_ns: int | None = None,
    interval_s: int = 0,
) -> Point:
    reading = PassageReading(
        device, counter, direction, traffic_class, count, interval_s, ts_ns, ts_ns if point_ns is None else point_ns
    )
    (point,) = reading_points(reading)
    return point


def status(device: str, ts_ns: int, **values: float | str) -> Point:
    (point,) = reading_points(StatusReading(device, ts_ns, dict(values)))
    return point


def availability(parking: str, free: int, occupied: int, ts_ns: int, capacity: int = 10, unknown: int = 0) -> Point:
    figures = Availability(parking, capacity, free, occupied, unknown, ParkingStatus.OK, ts_ns)
    return availability_point(figures, ts_ns)


def dead_letter(reason: RejectReason, ts_ns: int, device: str = "", topic: str = "t", payload: bytes = b"{}") -> Point:
    return rejection_point(Rejected(reason, f"{reason.value} at {ts_ns}", device), topic, payload, ts_ns)


def counts(buckets: list[CountBucket], direction: str = "in", traffic_class: str = "bike") -> list[int | None]:
    return [b.count for b in buckets if b.direction == direction and b.traffic_class == traffic_class]


def free_of(history: list[AvailabilityBucket]) -> list[float | None]:
    return [bucket.free for bucket in history]


class StoreContract:
    """Every backend passes these unchanged."""

    # --- empty store -------------------------------------------------------------------------------------

    def test_an_empty_store_knows_nothing(self, store: Store) -> None:
        assert store.ping() is True
        assert store.device_snapshots() == []
        history = store.parking_history("grand-place", T0, T0 + 3 * MIN, 60)
        assert history == [AvailabilityBucket(T0 + i * MIN, None, None, None, None) for i in range(3)]
        assert store.counter_counts("centre-north", T0, T0 + HOUR, 900) == []

    def test_ensure_ready_is_idempotent(self, store: Store) -> None:
        store.write([occupancy("gp-rack-1", "grand-place", 3, T0)])
        store.ensure_ready()
        assert [s.occupied for s in store.device_snapshots()] == [3]

    def test_writing_nothing_is_fine(self, store: Store) -> None:
        store.write([])
        assert store.device_snapshots() == []

    # --- device snapshots --------------------------------------------------------------------------------

    def test_snapshots_take_the_latest_by_measurement_time_not_by_arrival(self, store: Store) -> None:
        store.write([occupancy("gp-rack-1", "grand-place", 5, T0 + 2 * MIN)])
        store.write([occupancy("gp-rack-1", "grand-place", 3, T0 + 1 * MIN)])  # older, arrives later
        (snapshot,) = store.device_snapshots()
        assert snapshot.device_id == "gp-rack-1"
        assert snapshot.occupied == 5
        assert snapshot.occupied_ns == T0 + 2 * MIN
        assert snapshot.last_seen_ns == T0 + 2 * MIN

    def test_snapshots_of_every_kind_of_device(self, store: Store) -> None:
        store.write(
            [
                occupancy("gp-slot-01", "grand-place", 1, T0 + 1 * MIN, DeviceKind.SLOT),
                status("gp-slot-01", T0 + 30 * S, battery_v=3.6, rssi=-80.0),
                status("gp-slot-01", T0 + 90 * S, battery_pct=50.0, firmware="1.2.0"),
                status("gp-slot-01", T0 + 3 * MIN),  # a bare heartbeat
                passage("cl-count-1", "centre-north", T0 + 5 * MIN),
                status("cl-count-1", T0 + 4 * MIN, snr=7.5),
                status("quiet-slot", T0 + 10 * MIN),
            ]
        )
        snapshots = {s.device_id: s for s in store.device_snapshots()}
        assert snapshots == {
            "gp-slot-01": DeviceSnapshot(
                "gp-slot-01",
                occupied=1,
                occupied_ns=T0 + 1 * MIN,
                last_seen_ns=T0 + 3 * MIN,
                health=HealthFigures(battery_v=3.6, battery_pct=50.0, rssi=-80.0),
                status_ns=T0 + 3 * MIN,
            ),
            "cl-count-1": DeviceSnapshot(
                "cl-count-1", last_seen_ns=T0 + 5 * MIN, health=HealthFigures(snr=7.5), status_ns=T0 + 4 * MIN
            ),
            "quiet-slot": DeviceSnapshot("quiet-slot", last_seen_ns=T0 + 10 * MIN, status_ns=T0 + 10 * MIN),
        }

    def test_rewriting_a_point_overwrites_it(self, store: Store) -> None:
        store.write([occupancy("gp-rack-1", "grand-place", 5, T0)])
        store.write([occupancy("gp-rack-1", "grand-place", 6, T0)])  # same measurement, tags and time
        (snapshot,) = store.device_snapshots()
        assert (snapshot.occupied, snapshot.occupied_ns) == (6, T0)

    # --- counter counts ----------------------------------------------------------------------------------

    def test_a_redelivered_passage_counts_once(self, store: Store) -> None:
        payload = b'{"ts": 1777852800123, "direction": "in", "seq": 41}'
        point = passage("cl-count-1", "centre-north", T0 + 123_000_000, point_ns=passage_point_ns(T0, 41, payload))
        store.write([point])
        store.write([point, point])
        assert counts(store.counter_counts("centre-north", T0, T0 + HOUR, 3600)) == [1]

    def test_distinct_passages_in_one_millisecond_both_count(self, store: Store) -> None:
        ts = T0 + 123_000_000
        first = passage("cl-count-1", "centre-north", ts, point_ns=passage_point_ns(ts, 41, b"{}"))
        second = passage("cl-count-1", "centre-north", ts, point_ns=passage_point_ns(ts, 42, b"{}"))
        assert first.time_ns // 1_000_000 == second.time_ns // 1_000_000
        store.write([first, second])
        assert counts(store.counter_counts("centre-north", T0, T0 + HOUR, 3600)) == [2]

    def test_gaps_are_none_and_reported_zeros_stay_zero(self, store: Store) -> None:
        store.write(
            [
                passage("cl-count-1", "centre-north", T0 + 1 * MIN, count=2),
                passage("cl-count-1", "centre-north", T0 + 2 * MIN, count=3),
                passage("cl-count-1", "centre-north", T0 + 20 * MIN, count=4, direction=Direction.OUT),
                passage("cl-count-1", "centre-north", T0 + 30 * MIN, count=0, interval_s=900),
            ]
        )
        result = store.counter_counts("centre-north", T0, T0 + 45 * MIN, 900)
        assert result == [
            CountBucket(T0, "in", "bike", 5),
            CountBucket(T0, "out", "bike", None),
            CountBucket(T0 + 15 * MIN, "in", "bike", None),
            CountBucket(T0 + 15 * MIN, "out", "bike", 4),
            CountBucket(T0 + 30 * MIN, "in", "bike", 0),
            CountBucket(T0 + 30 * MIN, "out", "bike", None),
        ]

    def test_direction_filter_and_classes_apart(self, store: Store) -> None:
        store.write(
            [
                passage("cl-count-1", "centre-north", T0 + 1 * MIN, count=2),
                passage("cl-count-1", "centre-north", T0 + 2 * MIN, traffic_class=TrafficClass.CARGO),
                passage("cl-count-1", "centre-north", T0 + 3 * MIN, count=7, direction=Direction.OUT),
                passage("cl-count-2", "centre-north", T0 + 4 * MIN, count=10),  # second device, same counter
                passage("other-1", "station", T0 + 5 * MIN, count=100),  # another counter
            ]
        )
        inbound = store.counter_counts("centre-north", T0, T0 + HOUR, 3600, direction="in")
        assert inbound == [CountBucket(T0, "in", "bike", 12), CountBucket(T0, "in", "cargo", 1)]
        outbound = store.counter_counts("centre-north", T0, T0 + HOUR, 3600, direction="out")
        assert outbound == [CountBucket(T0, "out", "bike", 7)]
        assert len(store.counter_counts("centre-north", T0, T0 + HOUR, 3600)) == 3

    def test_count_buckets_align_to_the_epoch_and_the_range_is_half_open(self, store: Store) -> None:
        store.write(
            [
                passage("cl-count-1", "centre-north", T0 + 10 * MIN),  # in the first bucket, before start
                passage("cl-count-1", "centre-north", T0 + 30 * MIN),  # == start: in
                passage("cl-count-1", "centre-north", T0 + 59 * MIN),
                passage("cl-count-1", "centre-north", T0 + 90 * MIN),
                passage("cl-count-1", "centre-north", T0 + 2 * HOUR),  # == end: out
            ]
        )
        result = store.counter_counts("centre-north", T0 + 30 * MIN, T0 + 2 * HOUR, 3600)
        assert [(b.start_ns, b.count) for b in result] == [(T0, 2), (T0 + HOUR, 1)]
        assert store.counter_counts("centre-north", T0 + 2 * HOUR, T0 + 2 * HOUR, 3600) == []
        assert store.counter_counts("centre-north", T0 + 2 * HOUR, T0, 3600) == []

    # --- parking history ---------------------------------------------------------------------------------

    def test_history_is_the_mean_per_bucket(self, store: Store) -> None:
        store.write(
            [
                availability("grand-place", free=4, occupied=6, ts_ns=T0),
                availability("grand-place", free=6, occupied=4, ts_ns=T0 + 30 * S, capacity=10, unknown=0),
                availability("grand-place", free=1, occupied=8, ts_ns=T0 + 70 * S, capacity=12, unknown=3),
            ]
        )
        assert store.parking_history("grand-place", T0, T0 + 2 * MIN, 60) == [
            AvailabilityBucket(T0, 5.0, 5.0, 0.0, 10),
            AvailabilityBucket(T0 + MIN, 1.0, 8.0, 3.0, 12),
        ]

    def test_history_carries_the_last_value_from_before_the_range(self, store: Store) -> None:
        store.write(
            [
                availability("grand-place", free=9, occupied=1, ts_ns=T0 - 2 * HOUR),
                availability("grand-place", free=7, occupied=3, ts_ns=T0 - HOUR),
            ]
        )
        history = store.parking_history("grand-place", T0, T0 + 3 * MIN, 60)
        assert history == [AvailabilityBucket(T0 + i * MIN, 7.0, 3.0, 0.0, 10) for i in range(3)]

    def test_gaps_carry_the_last_value_not_the_last_mean(self, store: Store) -> None:
        store.write(
            [
                availability("grand-place", free=4, occupied=6, ts_ns=T0 + 10 * S),
                availability("grand-place", free=8, occupied=2, ts_ns=T0 + 40 * S),
                availability("grand-place", free=2, occupied=8, ts_ns=T0 + 3 * MIN),
            ]
        )
        history = store.parking_history("grand-place", T0 - MIN, T0 + 4 * MIN, 60)
        assert free_of(history) == [None, 6.0, 8.0, 8.0, 2.0]
        assert [b.occupied for b in history] == [None, 4.0, 2.0, 2.0, 8.0]
        assert [b.capacity for b in history] == [None, 10, 10, 10, 10]

    def test_history_buckets_align_to_the_epoch_and_the_range_is_half_open(self, store: Store) -> None:
        store.write(
            [
                availability("grand-place", free=1, occupied=9, ts_ns=T0 + 5 * MIN),  # before start
                availability("grand-place", free=3, occupied=7, ts_ns=T0 + 20 * MIN),  # == start
                availability("grand-place", free=5, occupied=5, ts_ns=T0 + 30 * MIN),
                availability("grand-place", free=9, occupied=1, ts_ns=T0 + 2 * HOUR),  # == end
            ]
        )
        history = store.parking_history("grand-place", T0 + 20 * MIN, T0 + 2 * HOUR, 3600)
        assert [b.start_ns for b in history] == [T0, T0 + HOUR]
        assert free_of(history) == [4.0, 5.0]
        assert store.parking_history("grand-place", T0 + HOUR, T0 + HOUR, 60) == []

    def test_history_of_one_parking_only(self, store: Store) -> None:
        store.write(
            [
                availability("grand-place", free=2, occupied=8, ts_ns=T0),
                availability("station", free=20, occupied=0, ts_ns=T0, capacity=20),
            ]
        )
        assert free_of(store.parking_history("grand-place", T0, T0 + MIN, 60)) == [2.0]
        assert free_of(store.parking_history("station", T0, T0 + MIN, 60)) == [20.0]
        assert free_of(store.parking_history("nowhere", T0, T0 + MIN, 60)) == [None]

    @pytest.mark.parametrize("every_s", [0, -60])
    def test_bucket_size_must_be_positive(self, store: Store, every_s: int) -> None:
        with pytest.raises(ValueError, match="every_s"):
            store.parking_history("grand-place", T0, T0 + HOUR, every_s)
        with pytest.raises(ValueError, match="every_s"):
            store.counter_counts("centre-north", T0, T0 + HOUR, every_s)

    # --- ids that look like query syntax stay data ---------------------------------------------------------

    def test_ids_that_look_like_query_syntax_are_kept_apart(self, store: Store) -> None:
        tricky = ["a", "a'", "a' OR 'x'='x", 'a" OR "x"="x', "a b,c=d", "é ☃"]
        store.write([availability(p, free=i, occupied=0, ts_ns=T0, capacity=10) for i, p in enumerate(tricky)])
        store.write([passage(f"dev-{i}", c, T0 + i * S, count=i + 1) for i, c in enumerate(tricky)])
        for i, identifier in enumerate(tricky):
            assert free_of(store.parking_history(identifier, T0, T0 + MIN, 60)) == [float(i)]
            assert store.counter_counts(identifier, T0, T0 + MIN, 60) == [CountBucket(T0, "in", "bike", i + 1)]
        assert store.counter_counts("centre-north", T0, T0 + MIN, 60, direction="in' OR 'x'='x") == []

    # --- dead letters ----------------------------------------------------------------------------------------

    def test_rejections_newest_first_with_every_field(self, store: Store) -> None:
        assert store.recent_rejections(10) == []
        topic = "v3/app@ttn/devices/stranger/up"
        store.write(
            [
                dead_letter(
                    RejectReason.INVALID_JSON,
                    T0 + 1 * S,
                    "gp-rack-1",
                    "ridebuy/v1/devices/gp-rack-1/status",
                    b"{not json",
                ),
                dead_letter(RejectReason.UNKNOWN_DEVICE, T0 + 3 * S, "stranger", topic, b'{"uplink_message": {}}'),
                dead_letter(RejectReason.BAD_TOPIC, T0 + 2 * S),
                availability("grand-place", free=1, occupied=1, ts_ns=T0 + 4 * S),  # not a dead letter
            ]
        )
        assert store.recent_rejections(10) == [
            Rejection(
                T0 + 3 * S,
                "unknown_device",
                f"unknown_device at {T0 + 3 * S}",
                "stranger",
                topic,
                '{"uplink_message": {}}',
            ),
            Rejection(T0 + 2 * S, "bad_topic", f"bad_topic at {T0 + 2 * S}", "", "t", "{}"),
            Rejection(
                T0 + 1 * S,
                "invalid_json",
                f"invalid_json at {T0 + 1 * S}",
                "gp-rack-1",
                "ridebuy/v1/devices/gp-rack-1/status",
                "{not json",
            ),
        ]

    def test_rejections_by_reason_since_and_bounded(self, store: Store) -> None:
        store.write([dead_letter(RejectReason.UNKNOWN_DEVICE, T0 + i * S, f"dev-{i}") for i in range(6)])
        store.write([dead_letter(RejectReason.TOO_LARGE, T0 + i * S + 1, "big") for i in range(3)])
        newest_two = store.recent_rejections(2, RejectReason.UNKNOWN_DEVICE)
        assert [r.device for r in newest_two] == ["dev-5", "dev-4"]
        assert [r.time_ns for r in store.recent_rejections(10, since_ns=T0 + 4 * S)] == [T0 + 5 * S, T0 + 4 * S]
        assert len(store.recent_rejections(100, RejectReason.TOO_LARGE)) == 3
        assert len(store.recent_rejections(100)) == 9
        assert store.recent_rejections(100, "too_large' OR 'x'='x") == []
        assert store.recent_rejections(100, RejectReason.TOO_LARGE, since_ns=T0 + HOUR) == []

    @pytest.mark.parametrize("limit", [0, -1, MAX_REJECTIONS + 1])
    def test_rejection_limit_must_be_in_bounds(self, store: Store, limit: int) -> None:
        with pytest.raises(ValueError, match="limit"):
            store.recent_rejections(limit)

    # --- device_activity ----------------------------------------------------------------------------------------

    def test_activity_counts_status_messages_per_device_and_bucket(self, store: Store) -> None:
        store.write(
            [
                status("a", T0 + MIN, battery_v=3.6),
                status("a", T0 + 20 * MIN, battery_v=3.6),
                status("a", T0 + 25 * MIN, battery_v=3.5),
                status("b", T0 + 70 * MIN, rssi=-90),
                occupancy("a", "p", 3, T0 + 80 * MIN),  # not a status message: not counted
                status("a", T0 + 2 * HOUR, battery_v=3.5),  # the range is half-open
            ]
        )
        assert store.device_activity(T0, T0 + 2 * HOUR, 900) == [
            ActivityBucket("a", T0, 1),
            ActivityBucket("a", T0 + 15 * MIN, 2),
            ActivityBucket("b", T0 + 60 * MIN, 1),
        ]
        assert store.device_activity(T0 + 30 * MIN, T0 + 2 * HOUR, 3600) == [ActivityBucket("b", T0 + HOUR, 1)]
        assert store.device_activity(T0, T0, 900) == []
