"""The demo's history writer: the last day first, then the days before, joined without a seam."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

from ridebuy.devices.registry import load_registry, sample_registry_path
from ridebuy.simulators.history import RECENT_DAYS, write_history_recent_first
from ridebuy.store.sqlite import SqliteStore

END_S = datetime(2026, 5, 12, 9, 7, tzinfo=UTC).timestamp()
NS = 1_000_000_000


def test_two_parts_join_without_unknown_spaces_or_missing_quarter_hours(tmp_path: Path) -> None:
    registry = load_registry(sample_registry_path())
    store = SqliteStore(tmp_path / "history.db")
    store.ensure_ready()
    shares: list[float] = []
    try:
        stats = write_history_recent_first(store, registry, days=1.5, seed=3, end_s=END_S, progress=shares.append)
        seam_ns = int((END_S - RECENT_DAYS * 86_400) * NS)
        assert stats.begin_s == END_S - 1.5 * 86_400 and stats.messages > 0
        assert shares == sorted(shares) and shares[-1] == 1.0
        assert any(abs(share - RECENT_DAYS / 1.5) < 1e-9 for share in shares)  # the recent day done first
        # Around the seam every parking is fully known: the recent part's devices and fold were warmed up.
        for parking in registry.parkings:
            buckets = store.parking_history(parking.id, seam_ns - 3600 * NS, seam_ns + 3600 * NS, 300)
            assert all(b.unknown == 0 for b in buckets), parking.id
        # And every counter reported every quarter hour across it (none lost, none twice).
        start_ns = seam_ns - seam_ns % (900 * NS) - 2 * 900 * NS
        for counter in registry.counters:
            counts = store.counter_counts(counter.id, start_ns, start_ns + 4 * 900 * NS, 900)
            assert counts and all(c.count is not None for c in counts), counter.id
    finally:
        store.close()
    # One point per device, direction and class in each quarter hour, on both sides of the seam: none twice.
    connection = sqlite3.connect(tmp_path / "history.db")
    try:
        per_quarter = connection.execute(
            "SELECT device, (time_ns - ?) / ?, count(*) FROM points WHERE measurement = 'passages' "
            "AND time_ns >= ? AND time_ns < ? GROUP BY 1, 2",
            (start_ns, 900 * NS, start_ns, start_ns + 4 * 900 * NS),
        ).fetchall()
    finally:
        connection.close()
    counting = [d for d in registry.devices if d.counter]
    assert len(per_quarter) == 4 * len(counting)
    assert {count for _, _, count in per_quarter} == {8}  # 2 directions x 4 classes
