"""The SQLite store: the embedded default (``sqlite:///path/to/file.db``), no server to run.

URLs follow the usual rule (SQLAlchemy's): ``sqlite:///data/x.db`` is relative to the working directory,
``sqlite:////srv/x.db`` (four slashes) is absolute. The directory must exist: a mistyped path is refused, not
created.

Same semantics as the InfluxDB backend (both pass tests/store's contract suite): a point is identified by
measurement + tags + time and a rewrite merges its fields into the stored ones, so a redelivered message changes
nothing; reads cut time with :mod:`ridebuy.store.buckets` and aggregate as the InfluxQL of
:mod:`ridebuy.store.influx` does. A point SQLite accepts is one InfluxDB accepts too (the line-protocol encoder
validates it), so data can move from one to the other.

The file is in WAL mode with ``synchronous=FULL``: a write call is one transaction, on disk when ``write``
returns (the ingest acknowledges the MQTT messages right after). Readers never block the writer. One
connection writes (under a lock); reads take a connection from a small pool, so the API's worker threads and
the ingest's write-path thread share the file safely. See docs/demo.md.
"""

from __future__ import annotations

import json
import logging
import math
import queue
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from ridebuy.devices.readings import HEALTH_FIELDS, HealthFigures
from ridebuy.store.base import (
    ActivityBucket,
    AvailabilityBucket,
    CountBucket,
    DeviceSnapshot,
    Rejection,
    StoreRejected,
    StoreUnavailable,
    check_rejection_limit,
)
from ridebuy.store.buckets import NS_PER_S, bucket_starts
from ridebuy.store.lineprotocol import LineEncoder, LineProtocolError
from ridebuy.store.points import FieldValue, Measurement, Point
from ridebuy.store.urls import SQLITE_SCHEME

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
BUSY_TIMEOUT_MS = 10_000
"""How long a connection waits for another process's write lock before the call fails as StoreUnavailable."""
MAX_READERS = 8
"""Idle read connections kept for reuse; more threads may read at once, their extra connections are closed."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS points (
    measurement TEXT NOT NULL,
    tags TEXT NOT NULL,         -- the tag set as a JSON object with sorted keys, empty values left out
    time_ns INTEGER NOT NULL,
    fields TEXT NOT NULL,       -- the fields as a JSON object (int, float, bool and str keep their type)
    device TEXT GENERATED ALWAYS AS (json_extract(tags, '$.device')) VIRTUAL,
    parking TEXT GENERATED ALWAYS AS (json_extract(tags, '$.parking')) VIRTUAL,
    counter TEXT GENERATED ALWAYS AS (json_extract(tags, '$.counter')) VIRTUAL,
    PRIMARY KEY (measurement, tags, time_ns)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS points_by_device ON points (measurement, device, time_ns) WHERE device IS NOT NULL;
CREATE INDEX IF NOT EXISTS points_by_parking ON points (measurement, parking, time_ns) WHERE parking IS NOT NULL;
CREATE INDEX IF NOT EXISTS points_by_counter ON points (measurement, counter, time_ns) WHERE counter IS NOT NULL;
CREATE TABLE IF NOT EXISTS field_types (
    measurement TEXT NOT NULL,
    field TEXT NOT NULL,
    type TEXT NOT NULL,         -- integer, float, boolean or string, as InfluxDB types fields
    PRIMARY KEY (measurement, field)
) WITHOUT ROWID;
"""

_UPSERT = (
    "INSERT INTO points (measurement, tags, time_ns, fields) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (measurement, tags, time_ns) DO UPDATE SET fields = json_patch(fields, excluded.fields)"
)

_AVAILABILITY_COLUMNS = (
    "json_extract(fields, '$.free'), json_extract(fields, '$.occupied'), json_extract(fields, '$.unknown'), "
    "json_extract(fields, '$.capacity')"
)
_AVAILABILITY_SEED = (
    f"SELECT {_AVAILABILITY_COLUMNS} FROM points WHERE measurement = ? AND parking = ? AND time_ns < ? "  # noqa: S608
    "ORDER BY time_ns DESC LIMIT 1"
)
_AVAILABILITY_RANGE = (
    f"SELECT time_ns, {_AVAILABILITY_COLUMNS} FROM points WHERE measurement = ? AND parking = ? "  # noqa: S608
    "AND time_ns >= ? AND time_ns < ? ORDER BY time_ns"
)
_COUNTS = (
    # The bucket start floors towards minus infinity, as Python's % does (SQLite's % truncates towards zero).
    "SELECT time_ns - ((time_ns % ?) + ?) % ? AS bucket, coalesce(json_extract(tags, '$.direction'), '') AS dir, "
    "coalesce(json_extract(tags, '$.class'), ''), sum(json_extract(fields, '$.count')) FROM points "
    "WHERE measurement = ? AND counter = ? AND time_ns >= ? AND time_ns < ? "
    "AND json_extract(fields, '$.count') IS NOT NULL AND (? IS NULL OR dir = ?) GROUP BY 1, 2, 3"
)

_ACTIVITY = (
    "SELECT device, time_ns - ((time_ns % ?) + ?) % ? AS bucket, count(*) FROM points "
    "WHERE measurement = ? AND time_ns >= ? AND time_ns < ? AND json_extract(fields, '$.heartbeat') IS NOT NULL "
    "GROUP BY 1, 2 ORDER BY 1, 2"
)


def parse_sqlite_url(url: str) -> Path:
    """The file a ``sqlite:///path`` URL names (``sqlite:////abs/path`` or ``sqlite:///rel/path``).

    ValueError naming what is wrong otherwise.
    """
    parts = urlsplit(url)
    if parts.scheme.lower() != SQLITE_SCHEME:
        raise ValueError(f"store URL scheme '{parts.scheme}' is not sqlite://")
    if parts.netloc:
        raise ValueError(
            f"sqlite store URL names a host ('{parts.netloc}'): use three slashes, sqlite:///path/to/file.db"
        )
    if parts.query or parts.fragment:
        raise ValueError("sqlite store URL takes no ?parameters or #fragment: sqlite:///path/to/file.db")
    path = unquote(parts.path)[1:]  # sqlite:///var/x.db -> var/x.db; sqlite:////tmp/x.db -> /tmp/x.db
    if not path or path.endswith("/"):
        raise ValueError("sqlite store URL names no file: sqlite:///path/to/file.db")
    if path == ":memory:":
        raise ValueError("sqlite store must be a file (the ingest and the API share it), not :memory:")
    return Path(path)


def sqlite_url(path: Path) -> str:
    """The store URL of a file (absolute, so that it means the same from any working directory)."""
    return f"{SQLITE_SCHEME}:///{quote(str(path.resolve()))}"


class SqliteStore:
    """A :class:`~ridebuy.store.base.Store` in one SQLite file; safe to share between threads."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._validator = LineEncoder()
        self._write_lock = threading.Lock()
        self._writer: sqlite3.Connection | None = None
        self._field_types: dict[tuple[str, str], str] = {}
        self._readers: queue.LifoQueue[sqlite3.Connection] = queue.LifoQueue()
        self._closed = False

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """The store of a URL; ValueError when its directory does not exist (a typo must not make a new tree)."""
        path = parse_sqlite_url(url)
        if not path.parent.is_dir():
            absolute = f"sqlite:////{quote(str(path))}"
            hint = "" if path.is_absolute() else f"; three slashes are relative, {absolute} is absolute"
            raise ValueError(
                f"the directory {path.parent.absolute()} of the SQLite store does not exist: create it first{hint}"
            )
        return cls(path)

    def __repr__(self) -> str:
        return f"SqliteStore({str(self.path)!r})"

    # --- lifecycle -------------------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        """Create the file, its directory and its tables when missing; switch it to WAL (idempotent)."""
        with self._write_lock:
            self._open_writer()

    def _open_writer(self) -> sqlite3.Connection:
        """The write connection, opened (and the schema made) on first use; call with the write lock held."""
        self._closed = False
        if self._writer is not None:
            return self._writer
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(f"cannot create the directory of the SQLite store {self.path}: {exc}") from exc
        try:
            writer = self._connect()
        except sqlite3.Error as exc:
            raise StoreUnavailable(f"cannot open the SQLite store {self.path}: {exc}") from exc
        try:
            # WAL is a property of the file: set once, it stays (readers then never block the writer).
            mode = writer.execute("PRAGMA journal_mode=WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreUnavailable(f"SQLite file {self.path} cannot use WAL mode (journal_mode is {mode})")
            with _transaction(writer):
                version = writer.execute("PRAGMA user_version").fetchone()[0]
                if version > SCHEMA_VERSION:
                    raise StoreUnavailable(
                        f"SQLite file {self.path} has schema version {version}, newer than this ridebuy's "
                        f"({SCHEMA_VERSION}): upgrade ridebuy or use another file"
                    )
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        writer.execute(statement)
                writer.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.Error as exc:
            writer.close()
            raise StoreUnavailable(f"cannot use the SQLite store {self.path}: {exc}") from exc
        except BaseException:
            writer.close()
            raise
        self._writer = writer
        logger.debug("SQLite store %s ready (WAL, synchronous=FULL)", self.path)
        return writer

    def ping(self) -> bool:
        try:
            with self._reader() as connection:
                connection.execute("SELECT 1 FROM points LIMIT 1").fetchall()
        except StoreUnavailable:
            return False
        return True

    def close(self) -> None:
        """Close every connection; the last one to close checkpoints the WAL into the main file."""
        with self._write_lock:
            self._closed = True
            while True:
                try:
                    self._readers.get_nowait().close()
                except queue.Empty:
                    break
            if self._writer is not None:
                self._writer.close()
                self._writer = None

    def _connect(self) -> sqlite3.Connection:
        # Autocommit mode (isolation_level=None): transactions are explicit BEGIN IMMEDIATE ... COMMIT.
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=0)
        connection.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
        # FULL: every commit fsyncs the WAL, so a written batch survives a power cut too, not only a crash
        # (NORMAL + WAL would be enough against a killed process; the ingest acknowledges right after a write).
        connection.execute("PRAGMA synchronous = FULL")
        return connection

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise StoreUnavailable(f"the SQLite store {self.path} is closed")
        if self._writer is None:
            self.ensure_ready()  # creates the file and its tables: a new store reads as empty
        try:
            connection = self._readers.get_nowait()
        except queue.Empty:
            try:
                connection = self._connect()
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"cannot open the SQLite store {self.path}: {exc}") from exc
        try:
            yield connection
        except sqlite3.Error as exc:
            connection.close()
            raise StoreUnavailable(f"SQLite store {self.path} failed a read: {exc}") from exc
        if self._closed or self._readers.qsize() >= MAX_READERS:
            connection.close()
        else:
            self._readers.put(connection)

    # --- writing ---------------------------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        """Write the points in one transaction, durable when this returns; all or nothing."""
        if not points:
            return
        rows, types = self._rows(points)
        with self._write_lock:
            if self._closed:
                raise StoreUnavailable(f"the SQLite store {self.path} is closed")
            writer = self._open_writer()
            try:
                with _transaction(writer):
                    confirmed = self._check_types(writer, types)
                    writer.executemany(_UPSERT, rows)
            except sqlite3.DataError as exc:
                raise StoreRejected(f"SQLite store {self.path} refused the points: {exc}") from exc
            except sqlite3.Error as exc:
                raise StoreUnavailable(f"SQLite store {self.path} could not write: {exc}") from exc
            self._field_types.update(confirmed)

    def _rows(self, points: Sequence[Point]) -> tuple[list[tuple[str, str, int, str]], dict[tuple[str, str], str]]:
        """Validated rows to upsert and the field types they use; StoreRejected naming a bad point."""
        rows = []
        types: dict[tuple[str, str], str] = {}
        validate = self._validator.line
        for point in points:
            try:
                validate(point)  # what InfluxDB would refuse is refused here too
            except LineProtocolError as exc:
                raise StoreRejected(f"a point cannot be stored: {exc}") from exc
            fields: dict[str, FieldValue] = {}
            for key, value in point.fields:
                kind, plain = _typed(value)
                previous = types.setdefault((point.measurement, key), kind)
                if previous != kind:
                    raise StoreRejected(
                        f"field type conflict: field {key!r} of {point.measurement!r} is {kind} in one point "
                        f"and {previous} in another of the same batch"
                    )
                fields[key] = plain
            tags = json.dumps({key: value for key, value in sorted(point.tags) if value != ""}, separators=(",", ":"))
            rows.append((point.measurement, tags, point.time_ns, json.dumps(fields, separators=(",", ":"))))
        return rows, types

    def _check_types(self, writer: sqlite3.Connection, used: dict[tuple[str, str], str]) -> dict[tuple[str, str], str]:
        """Refuse a field that changes type (as InfluxDB does); record the types of new fields.

        Known types are cached; a field new to this process is looked up inside the write transaction, so two
        processes writing the same file cannot record different types for it.
        """
        confirmed = {}
        for key, kind in used.items():
            known = self._field_types.get(key)
            if known is None:
                row = writer.execute("SELECT type FROM field_types WHERE measurement = ? AND field = ?", key).fetchone()
                if row is None:
                    writer.execute("INSERT INTO field_types (measurement, field, type) VALUES (?, ?, ?)", (*key, kind))
                known = kind if row is None else str(row[0])
                confirmed[key] = known
            if known != kind:
                raise StoreRejected(
                    f"field type conflict: field {key[1]!r} of {key[0]!r} is stored as {known}, not {kind}"
                )
        return confirmed

    # --- reading ---------------------------------------------------------------------------------------------

    def device_snapshots(self) -> list[DeviceSnapshot]:
        with self._reader() as connection:
            last_occupancy = _last_per_device(connection, Measurement.OCCUPANCY, "occupied")
            last_passage = _last_per_device(connection, Measurement.PASSAGES, "count")
            last_status = _last_per_device(connection, Measurement.DEVICE_STATUS, "heartbeat")
            status_values = {
                name: _last_per_device(connection, Measurement.DEVICE_STATUS, name) for name in HEALTH_FIELDS
            }
        snapshots = []
        for device_id in sorted(last_occupancy.keys() | last_passage.keys() | last_status.keys()):
            occupied = last_occupancy.get(device_id)
            status = last_status.get(device_id)
            seen = [row[0] for row in (occupied, last_passage.get(device_id), status) if row]
            values = {name: _value(status_values[name].get(device_id)) for name in HEALTH_FIELDS}
            snapshots.append(
                DeviceSnapshot(
                    device_id=device_id,
                    occupied=_int_or_none(occupied[1]) if occupied else None,
                    occupied_ns=occupied[0] if occupied else None,
                    last_seen_ns=max(seen) if seen else None,
                    health=HealthFigures.from_values(values),
                    status_ns=status[0] if status else None,
                )
            )
        return snapshots

    def parking_history(self, parking_id: str, start_ns: int, end_ns: int, every_s: int) -> list[AvailabilityBucket]:
        buckets = bucket_starts(start_ns, end_ns, every_s)
        if not buckets:
            return []
        step = every_s * NS_PER_S
        with self._reader() as connection:
            # Seed: the last point before the range, so that leading empty buckets carry it.
            seed = connection.execute(_AVAILABILITY_SEED, (Measurement.AVAILABILITY, parking_id, start_ns)).fetchone()
            rows = connection.execute(
                _AVAILABILITY_RANGE, (Measurement.AVAILABILITY, parking_id, start_ns, end_ns)
            ).fetchall()
        carried: tuple[float | None, float | None, float | None, int | None] = (None, None, None, None)
        if seed is not None:
            carried = (_float_or_none(seed[0]), _float_or_none(seed[1]), _float_or_none(seed[2]), _int_or_none(seed[3]))
        in_bucket: dict[int, _Mean] = {}
        for time_ns, *values in rows:
            in_bucket.setdefault(time_ns - time_ns % step, _Mean()).add(values)
        history = []
        for bucket_ns in buckets:
            mean = in_bucket.get(bucket_ns)
            if mean is None or mean.count[0] == 0:  # no "free" in the bucket: InfluxDB's fill(none) + carry
                free, occupied, unknown, capacity = carried
            else:
                free, occupied, unknown = mean.mean(0), mean.mean(1), mean.mean(2)
                capacity = _int_or_none(mean.last[3])
                carried = (
                    _float_or_none(mean.last[0]),
                    _float_or_none(mean.last[1]),
                    _float_or_none(mean.last[2]),
                    capacity,
                )
            history.append(AvailabilityBucket(bucket_ns, free, occupied, unknown, capacity))
        return history

    def counter_counts(
        self, counter_id: str, start_ns: int, end_ns: int, every_s: int, direction: str | None = None
    ) -> list[CountBucket]:
        buckets = bucket_starts(start_ns, end_ns, every_s)
        if not buckets:
            return []
        step = every_s * NS_PER_S
        with self._reader() as connection:
            rows = connection.execute(
                _COUNTS, (step, step, step, Measurement.PASSAGES, counter_id, start_ns, end_ns, direction, direction)
            ).fetchall()
        sums: dict[tuple[str, str], dict[int, int]] = {}
        for bucket_ns, row_direction, traffic_class, count in rows:
            sums.setdefault((row_direction, traffic_class), {})[bucket_ns] = int(count)
        return [
            CountBucket(bucket_ns, key[0], key[1], sums[key].get(bucket_ns))
            for bucket_ns in buckets
            for key in sorted(sums)
        ]

    def device_activity(self, start_ns: int, end_ns: int, every_s: int) -> list[ActivityBucket]:
        if not bucket_starts(start_ns, end_ns, every_s):
            return []
        step = every_s * NS_PER_S
        with self._reader() as connection:
            rows = connection.execute(
                _ACTIVITY, (step, step, step, Measurement.DEVICE_STATUS, start_ns, end_ns)
            ).fetchall()
        return [ActivityBucket(str(device), int(bucket), int(count)) for device, bucket, count in rows if device]

    def recent_rejections(self, limit: int, reason: str | None = None, since_ns: int | None = None) -> list[Rejection]:
        with self._reader() as connection:
            rows = connection.execute(
                "SELECT time_ns, coalesce(json_extract(tags, '$.reason'), ''), fields FROM points "
                "WHERE measurement = ? AND (? IS NULL OR json_extract(tags, '$.reason') = ?) "
                "AND (? IS NULL OR time_ns >= ?) ORDER BY time_ns DESC LIMIT ?",
                (Measurement.INGEST_ERRORS, reason, reason, since_ns, since_ns, check_rejection_limit(limit)),
            ).fetchall()
        rejections = []
        for time_ns, row_reason, fields_json in rows:
            fields = json.loads(fields_json)
            text = {
                name: "" if fields.get(name) is None else str(fields[name])
                for name in ("detail", "device", "topic", "preview")
            }
            rejections.append(Rejection(time_ns=time_ns, reason=str(row_reason), **text))
        return rejections


@contextmanager
def _transaction(connection: sqlite3.Connection) -> Iterator[None]:
    """``BEGIN IMMEDIATE`` (take the write lock at once, no upgrade deadlock) ... ``COMMIT``, or roll back."""
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


class _Mean:
    """Running means and last values (by time) of the columns of one bucket, nulls left out as InfluxQL does."""

    __slots__ = ("count", "last", "total")

    def __init__(self) -> None:
        self.total = [0.0, 0.0, 0.0]
        self.count = [0, 0, 0]
        self.last: list[Any] = [None, None, None, None]

    def add(self, values: Sequence[Any]) -> None:
        for index, value in enumerate(values):
            if value is None:
                continue
            if index < 3:
                self.total[index] += float(value)
                self.count[index] += 1
            self.last[index] = value

    def mean(self, index: int) -> float | None:
        return self.total[index] / self.count[index] if self.count[index] else None


def _last_per_device(connection: sqlite3.Connection, measurement: str, field: str) -> dict[str, tuple[int, Any]]:
    """Device -> (time, value) of its latest point of ``measurement`` that has ``field`` (InfluxQL's last())."""
    # SQLite takes the bare columns of an aggregate query from the row that holds the max().
    rows = connection.execute(
        "SELECT device, max(time_ns), json_extract(fields, ?) FROM points "
        "WHERE measurement = ? AND device IS NOT NULL AND json_extract(fields, ?) IS NOT NULL GROUP BY device",
        (f"$.{field}", measurement, f"$.{field}"),
    )
    return {device: (time_ns, value) for device, time_ns, value in rows}


def _typed(value: FieldValue) -> tuple[str, FieldValue]:
    """InfluxDB's type of a field value and the value as JSON will keep it (validated by the line encoder)."""
    if isinstance(value, bool):
        return "boolean", bool(value)
    if isinstance(value, int):
        return "integer", int(value)
    if isinstance(value, float):
        assert math.isfinite(value)
        return "float", float(value)
    return "string", str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _value(row: tuple[int, Any] | None) -> Any:
    return None if row is None else row[1]
