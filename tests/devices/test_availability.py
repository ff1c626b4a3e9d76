from ridebuy.devices.availability import AvailabilityFold, ParkingStatus
from ridebuy.devices.readings import OccupancyReading, StatusReading
from ridebuy.devices.registry import DeviceKind
from tests.devices.helpers import small_registry

S = 1_000_000_000
T0 = 1_780_000_000 * S


def rack(device: str, parking: str, occupied: int, ts_ns: int) -> OccupancyReading:
    return OccupancyReading(device, parking, DeviceKind.RACK, occupied, ts_ns)


def slot(device: str, occupied: bool, ts_ns: int) -> OccupancyReading:
    return OccupancyReading(device, "grand-place", DeviceKind.SLOT, int(occupied), ts_ns)


def test_unknown_until_devices_speak() -> None:
    fold = AvailabilityFold(small_registry())
    changed = fold.expire(T0)
    gare = next(a for a in changed if a.parking_id == "gare")
    assert (gare.free, gare.unknown, gare.status) == (0, 4, ParkingStatus.UNKNOWN)


def test_sum_per_parking_and_partial_knowledge_is_stale() -> None:
    fold = AvailabilityFold(small_registry())
    fold.apply(rack("gp-rack-1", "grand-place", 4, T0), T0)
    gp = fold.current("grand-place")
    assert gp is not None
    assert (gp.free, gp.occupied, gp.unknown, gp.status) == (6, 4, 2, ParkingStatus.STALE)
    fold.apply(slot("gp-slot-01", True, T0), T0)
    fold.apply(slot("gp-slot-02", False, T0), T0)
    gp = fold.current("grand-place")
    assert gp is not None
    assert (gp.free, gp.occupied, gp.unknown, gp.status) == (7, 5, 0, ParkingStatus.OK)
    assert gp.last_updated_ns == T0


def test_last_value_by_measurement_time_not_arrival() -> None:
    fold = AvailabilityFold(small_registry())
    fold.apply(rack("gare-rack", "gare", 3, T0 + 10 * S), T0 + 10 * S)
    assert fold.apply(rack("gare-rack", "gare", 1, T0), T0 + 11 * S) == []
    gare = fold.current("gare")
    assert gare is not None and gare.occupied == 3


def test_silent_device_becomes_unknown_never_free() -> None:
    fold = AvailabilityFold(small_registry())
    fold.expire(T0)
    fold.apply(rack("gare-rack", "gare", 1, T0), T0)
    assert fold.expire(T0 + 60 * S) == []  # within 2 heartbeats of 60 s
    changed = fold.expire(T0 + 121 * S)
    gare = next(a for a in changed if a.parking_id == "gare")
    assert (gare.free, gare.unknown, gare.status) == (0, 4, ParkingStatus.UNKNOWN)


def test_status_heartbeat_keeps_a_device_alive() -> None:
    fold = AvailabilityFold(small_registry())
    fold.expire(T0)
    fold.apply(rack("gare-rack", "gare", 1, T0), T0)
    fold.apply(StatusReading("gare-rack", T0 + 100 * S, {"battery_v": 3.6}), T0 + 100 * S)
    assert fold.expire(T0 + 200 * S) == []
    gare = fold.current("gare")
    assert gare is not None and (gare.free, gare.status) == (3, ParkingStatus.OK)


def test_over_capacity_is_kept_and_free_floored() -> None:
    fold = AvailabilityFold(small_registry())
    fold.apply(rack("gare-rack", "gare", 6, T0), T0)
    gare = fold.current("gare")
    assert gare is not None and (gare.occupied, gare.free) == (6, 0)


def test_closed_parking_offers_nothing() -> None:
    fold = AvailabilityFold(small_registry())
    fold.apply(rack("shut-rack", "shut", 0, T0), T0)
    shut = fold.current("shut")
    assert shut is not None and (shut.free, shut.status) == (0, ParkingStatus.CLOSED)


def test_only_changes_are_reported() -> None:
    fold = AvailabilityFold(small_registry())
    assert len(fold.apply(rack("gare-rack", "gare", 2, T0), T0)) == 1
    assert fold.apply(rack("gare-rack", "gare", 2, T0 + S), T0 + S) == []


def test_restore_then_expire_seeds_the_fold() -> None:
    fold = AvailabilityFold(small_registry())
    fold.restore("gare-rack", 2, T0, T0 + 5 * S)
    fold.expire(T0 + 10 * S)
    gare = fold.current("gare")
    assert gare is not None and (gare.free, gare.status) == (2, ParkingStatus.OK)


def test_a_reading_from_the_future_does_not_freeze_the_live_figure() -> None:
    # The device's clock ran 240 s ahead (within the 300 s allowance), then was corrected.
    fold = AvailabilityFold(small_registry())
    fold.apply(rack("gare-rack", "gare", 3, T0 + 240 * S), T0)
    changed = fold.apply(rack("gare-rack", "gare", 1, T0 + 10 * S), T0 + 10 * S)
    gare = fold.current("gare")
    assert gare is not None and gare.occupied == 1
    assert [a.occupied for a in changed] == [1]
    assert gare.last_updated_ns == T0 + 10 * S  # never in the future


def test_a_future_time_restored_from_the_store_does_not_freeze_the_live_figure() -> None:
    fold = AvailabilityFold(small_registry())
    fold.restore("gare-rack", 3, T0 + 240 * S, T0 + 240 * S, now_ns=T0)
    fold.apply(rack("gare-rack", "gare", 1, T0 + 10 * S), T0 + 10 * S)
    gare = fold.current("gare")
    assert gare is not None and gare.occupied == 1
