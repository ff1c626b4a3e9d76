"""The disk spool on a real file system: durability format, order, damage handling, limits."""

from __future__ import annotations

from pathlib import Path

import pytest

from ridebuy.ingest.spool import MAGIC, Spool, SpoolError, SpoolFull
from ridebuy.store.points import Point


def batch(n: int, size: int = 3) -> list[Point]:
    return [
        Point("passages", (("device", f"d{n}"), ("odd", 'a "b",c=d\\')), (("count", i), ("note", "x\ny")), n * 100 + i)
        for i in range(size)
    ]


def test_batches_come_back_in_order_with_every_value(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**7)
    for n in range(5):
        spool.append(batch(n))
    assert not spool.is_empty()
    oldest = spool.oldest()
    assert oldest is not None
    segment, batches = oldest
    assert batches == [batch(n) for n in range(5)]
    spool.remove(segment)
    assert spool.is_empty()
    assert spool.oldest() is None


def test_segments_rotate_and_replay_oldest_first(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**7, segment_bytes=600)
    for n in range(10):
        spool.append(batch(n))
    seen = []
    while (oldest := spool.oldest()) is not None:
        segment, batches = oldest
        seen.extend(batches)
        spool.remove(segment)
    assert seen == [batch(n) for n in range(10)]
    assert spool.size_bytes == 0


def test_survives_a_restart(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**7)
    spool.append(batch(1))
    spool.close()
    again = Spool(tmp_path, max_bytes=10**7)
    oldest = again.oldest()
    assert oldest is not None
    assert oldest[1] == [batch(1)]


def test_torn_last_record_is_cut_off(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**7)
    spool.append(batch(1))
    spool.append(batch(2))
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    data = segment.read_bytes()
    segment.write_bytes(data[:-7])  # a crash in the middle of the second append
    again = Spool(tmp_path, max_bytes=10**7)
    oldest = again.oldest()
    assert oldest is not None
    assert oldest[1] == [batch(1)]
    assert again.damage == []


def test_damaged_segment_keeps_good_records_and_is_set_aside(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=10**7)
    for n in range(3):
        spool.append(batch(n))
    spool.close()
    segment = next(tmp_path.glob("*.seg"))
    data = bytearray(segment.read_bytes())
    second_record = data.index(b'"d1"')
    data[second_record] ^= 0xFF  # flip a byte inside the second record
    segment.write_bytes(bytes(data))
    again = Spool(tmp_path, max_bytes=10**7)
    assert len(again.damage) == 1
    assert "checksum" in again.damage[0].reason
    assert list(tmp_path.glob("*.corrupt"))
    oldest = again.oldest()
    assert oldest is not None
    assert oldest[1] == [batch(0)]


def test_foreign_file_is_set_aside(tmp_path: Path) -> None:
    (tmp_path / "000000000001.seg").write_bytes(b"hello, not a spool")
    spool = Spool(tmp_path, max_bytes=10**7)
    assert spool.is_empty()
    assert "bad magic" in spool.damage[0].reason


def test_full_spool_refuses(tmp_path: Path) -> None:
    spool = Spool(tmp_path, max_bytes=len(MAGIC) + 400)
    spool.append(batch(1, size=1))
    with pytest.raises(SpoolFull):
        spool.append(batch(2, size=20))


def test_one_process_per_spool(tmp_path: Path) -> None:
    first = Spool(tmp_path, max_bytes=10**7)
    with pytest.raises(SpoolError, match="in use by another ingest"):
        Spool(tmp_path, max_bytes=10**7)
    first.close()
    Spool(tmp_path, max_bytes=10**7).close()
