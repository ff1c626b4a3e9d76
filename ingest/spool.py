"""The disk spool: where batches go while the store is down, so they can be acknowledged and replayed later.

A spool is a directory of segment files. A segment starts with a magic line and holds records, each a batch of
points: ``length (4 bytes) | CRC-32 (4 bytes) | JSON``. A record is fsync'ed before its messages are acknowledged.
Segments are replayed oldest first and deleted once the store holds all their records; a crash during replay
replays the segment again, which rewrites the same points (idempotent).

At start a torn last record (a crash while appending; its messages were never acknowledged) is cut off. A record
that fails its checksum elsewhere means the file is damaged: the good records before it are kept, the damaged
segment is renamed ``*.corrupt`` for the operator and the spool carries on. A spool at its size limit takes no
more: the write path then holds messages unacknowledged, so the broker keeps them.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ridebuy.store.points import Point

log = logging.getLogger(__name__)

MAGIC = b"RIDEBUY-SPOOL-1\n"
HEADER = struct.Struct(">II")
SEGMENT_BYTES = 64 * 1024 * 1024
MAX_RECORD_BYTES = 512 * 1024 * 1024


class SpoolError(Exception):
    """The spool cannot be used (locked by another process, not writable); the message says which and why."""


class SpoolFull(Exception):
    """Appending would pass the spool's size limit."""


@dataclass(frozen=True, slots=True)
class SpoolDamage:
    segment: Path
    offset: int
    reason: str


def encode_points(points: list[Point]) -> bytes:
    rows = [[p.measurement, [list(t) for t in p.tags], [list(f) for f in p.fields], p.time_ns] for p in points]
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode()


def decode_points(data: bytes) -> list[Point]:
    return [
        Point(m, tuple((k, v) for k, v in tags), tuple((k, v) for k, v in fields), t)
        for m, tags, fields, t in json.loads(data)
    ]


class Spool:
    def __init__(self, directory: Path, max_bytes: int, segment_bytes: int = SEGMENT_BYTES) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        self.segment_bytes = segment_bytes
        self.damage: list[SpoolDamage] = []
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._lock_file = (directory / "LOCK").open("a")
        except OSError as exc:
            raise SpoolError(f"spool directory {directory} is not usable: {exc.strerror}") from None
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SpoolError(
                f"spool directory {directory} is in use by another ingest process; give each worker its own "
                "(RIDEBUY_SPOOL_DIR) or its own client id"
            ) from None
        self._writer: IO[bytes] | None = None
        self._writer_path: Path | None = None
        self._next_number = 0
        for segment in self._segments():
            self._check(segment)
        numbers = [int(p.stem) for p in self._segments()]
        self._next_number = max(numbers, default=0) + 1
        self._bytes = sum(p.stat().st_size for p in self._segments())
        if self._bytes:
            log.warning("spool %s holds %d bytes from an earlier run; they will be replayed", directory, self._bytes)

    # state ---------------------------------------------------------------------------------------------
    @property
    def size_bytes(self) -> int:
        return self._bytes

    def is_empty(self) -> bool:
        return self._bytes == 0

    def _segments(self) -> list[Path]:
        return sorted(self.directory.glob("*.seg"), key=lambda p: int(p.stem))

    # writing -------------------------------------------------------------------------------------------
    def append(self, points: list[Point]) -> None:
        """Add one batch durably (fsync) or raise :class:`SpoolFull`."""
        data = encode_points(points)
        record = HEADER.pack(len(data), zlib.crc32(data)) + data
        if self._bytes + len(record) + len(MAGIC) > self.max_bytes:
            raise SpoolFull(f"spool {self.directory} would pass its limit of {self.max_bytes} bytes")
        writer = self._open_writer(len(record))
        writer.write(record)
        writer.flush()
        os.fsync(writer.fileno())
        self._bytes += len(record)

    def _open_writer(self, record_bytes: int) -> IO[bytes]:
        if self._writer is not None and self._writer.tell() + record_bytes > self.segment_bytes:
            self._writer.close()
            self._writer = None
        if self._writer is None:
            path = self.directory / f"{self._next_number:012d}.seg"
            self._next_number += 1
            self._writer = path.open("ab")
            self._writer.write(MAGIC)
            self._bytes += len(MAGIC)
            self._writer_path = path
            _fsync_directory(self.directory)
        return self._writer

    # replaying -----------------------------------------------------------------------------------------
    def oldest(self) -> tuple[Path, list[list[Point]]] | None:
        """The oldest segment and its batches, or None when the spool is empty."""
        segments = self._segments()
        if not segments:
            return None
        segment = segments[0]
        if segment == self._writer_path and self._writer is not None:
            self._writer.close()  # the segment being written is complete now; the next batch starts a new one
            self._writer = None
            self._writer_path = None
        return segment, [decode_points(data) for data in _records(segment)[0]]

    def remove(self, segment: Path) -> None:
        """Forget a segment whose every batch the store now holds."""
        size = segment.stat().st_size
        segment.unlink()
        _fsync_directory(self.directory)
        self._bytes = max(self._bytes - size, 0)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None
        self._lock_file.close()

    # start-up check ------------------------------------------------------------------------------------
    def _check(self, segment: Path) -> None:
        records, good_end, problem = _records(segment)
        if problem is None:
            return
        size = segment.stat().st_size
        if problem == "torn":
            log.warning("spool %s: cutting off a torn last record at byte %d (never acknowledged)", segment, good_end)
            with segment.open("r+b") as file:
                file.truncate(good_end)
                os.fsync(file.fileno())
            return
        quarantine = segment.with_suffix(".corrupt")
        log.error(
            "spool segment %s is damaged at byte %d of %d (%s); its %d good records before that are kept, the "
            "file is moved to %s for inspection",
            segment,
            good_end,
            size,
            problem,
            len(records),
            quarantine,
        )
        self.damage.append(SpoolDamage(segment, good_end, problem))
        segment.rename(quarantine)
        if records:
            salvaged = segment
            with salvaged.open("wb") as file:
                file.write(MAGIC)
                for data in records:
                    file.write(HEADER.pack(len(data), zlib.crc32(data)) + data)
                file.flush()
                os.fsync(file.fileno())
        _fsync_directory(self.directory)


def _records(segment: Path) -> tuple[list[bytes], int, str | None]:
    """Read a segment: its intact records, where the intact part ends, and the problem after it (if any)."""
    data = segment.read_bytes()
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            return [], 0, "torn"
        return [], 0, "not a spool segment (bad magic)"
    records: list[bytes] = []
    offset = len(MAGIC)
    while offset < len(data):
        if offset + HEADER.size > len(data):
            return records, offset, "torn"
        length, crc = HEADER.unpack_from(data, offset)
        end = offset + HEADER.size + length
        if length > MAX_RECORD_BYTES:
            return records, offset, f"record length {length} is impossible"
        if end > len(data):
            return records, offset, "torn"
        body = data[offset + HEADER.size : end]
        if zlib.crc32(body) != crc:
            return records, offset, "checksum mismatch"
        records.append(body)
        offset = end
    return records, offset, None


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
