"""What only the SQLite store promises: its URL, its file (WAL, durable, survives a kill), sharing between threads.

The behaviour both backends share is in the contract suite (tests/store/contract.py).
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.store.base import StoreRejected, StoreUnavailable
from ridebuy.store.points import Point, rejection_point
from ridebuy.store.sqlite import SqliteStore, parse_sqlite_url, sqlite_url
from tests.store.contract import HOUR, MIN, T0, availability, occupancy, passage, status
from tests.support.processes import Processes

S = 1_000_000_000


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "ridebuy.db"


@pytest.fixture
def sqlite_store(db_path: Path) -> SqliteStore:
    store = SqliteStore(db_path)
    store.ensure_ready()
    return store


def stored_rows(path: Path) -> list[tuple[str, dict[str, str], int, dict[str, object]]]:
    """Every stored point, read with a connection of the test's own (as any SQLite tool would)."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT measurement, tags, time_ns, fields FROM points ORDER BY time_ns").fetchall()
    return [(m, json.loads(tags), t, json.loads(fields)) for m, tags, t, fields in rows]


# --- URL ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:////var/lib/ridebuy/x.db", "/var/lib/ridebuy/x.db"),
        ("sqlite:///var/x.db", "var/x.db"),
        ("SQLITE:///a%20b.db", "a b.db"),
    ],
)
def test_url_names_the_file(url: str, path: str) -> None:
    assert parse_sqlite_url(url) == Path(path)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("sqlite://host/x.db", "names a host"),
        ("sqlite:///", "names no file"),
        ("sqlite:///dir/", "names no file"),
        ("sqlite:///x.db?mode=ro", "takes no"),
        ("sqlite:///:memory:", "not :memory:"),
        ("influxdb:///x.db", "is not sqlite"),
    ],
)
def test_bad_urls_are_refused_with_a_reason(url: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_sqlite_url(url)


def test_sqlite_url_is_absolute_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "x.db"
    assert sqlite_url(path) == f"sqlite:///{path}"
    for odd in (path, tmp_path / "a b?c#d%20.db"):
        assert parse_sqlite_url(sqlite_url(odd)) == odd


# --- the file ----------------------------------------------------------------------------------------------


def test_the_file_and_its_directory_are_made_in_wal_mode(sqlite_store: SqliteStore, db_path: Path) -> None:
    assert db_path.is_file()
    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert connection.execute("PRAGMA user_version").fetchone() == (1,)
    sqlite_store.close()


def test_every_schema_measurement_round_trips_with_its_types(sqlite_store: SqliteStore, db_path: Path) -> None:
    rejection = Rejected(RejectReason.INVALID_PAYLOAD, 'field "occupied": not a number', "gp-rack-1")
    points = [
        occupancy("gp-rack-1", "grand-place", 7, T0),
        passage("cl-count-1", "centre-north", T0 + 1, count=3, interval_s=900),
        status("gp-rack-1", T0 + 2, battery_v=3.61, rssi=-97.0, firmware="1.4.2", error="lid open\nline 2"),
        availability("grand-place", free=3, occupied=7, ts_ns=T0 + 3),
        rejection_point(rejection, "ridebuy/v1/devices/gp-rack-1/occupancy", b'{"occupied": "x\xff"}', T0 + 4),
    ]
    sqlite_store.write(points)
    sqlite_store.close()
    expected = [(p.measurement, dict(p.tags), p.time_ns, dict(p.fields)) for p in points]
    rows = stored_rows(db_path)
    assert rows == expected
    # JSON keeps the types apart: an int stays an int, a float a float, True a boolean.
    for (_, _, _, stored), (_, _, _, written) in zip(rows, expected, strict=True):
        assert {k: type(v) for k, v in stored.items()} == {k: type(v) for k, v in written.items()}


def test_a_rewrite_merges_fields_as_influxdb_does(sqlite_store: SqliteStore, db_path: Path) -> None:
    tags = (("device", "gp-rack-1"),)
    sqlite_store.write([Point("device_status", tags, (("battery_v", 3.6), ("heartbeat", True)), T0)])
    sqlite_store.write([Point("device_status", tags, (("battery_v", 3.5), ("rssi", -90.0)), T0)])
    assert stored_rows(db_path) == [
        ("device_status", {"device": "gp-rack-1"}, T0, {"battery_v": 3.5, "heartbeat": True, "rssi": -90.0})
    ]


def test_a_field_that_changes_type_is_refused_and_the_batch_with_it(sqlite_store: SqliteStore, db_path: Path) -> None:
    sqlite_store.write([occupancy("gp-rack-1", "grand-place", 7, T0)])
    bad = Point("occupancy", (("device", "gp-rack-2"),), (("occupied", 2.5),), T0 + S)
    with pytest.raises(StoreRejected, match="field type conflict"):
        sqlite_store.write([occupancy("gp-rack-1", "grand-place", 8, T0 + S), bad])
    mixed = Point("occupancy", (("device", "gp-rack-3"),), (("occupied", "many"),), T0 + S)
    with pytest.raises(StoreRejected, match="field type conflict"):
        sqlite_store.write([mixed])
    # The refusal also holds for another store on the same file (the type is recorded in the file).
    other = SqliteStore(db_path)
    with pytest.raises(StoreRejected, match="stored as integer"):
        other.write([bad])
    other.close()
    assert [row[3] for row in stored_rows(db_path)] == [{"occupied": 7}]


@pytest.mark.parametrize(
    "point",
    [
        Point("occupancy", (("device", "d"),), (("occupied", float("nan")),), T0),
        Point("occupancy", (("device", "d"),), (), T0),
        Point("occupancy", (("device", "a\\b"),), (("occupied", 1),), T0),
        Point("occupancy", (("device", "d"),), (("occupied", 2**63),), T0),
    ],
    ids=["nan", "no-fields", "backslash", "int-overflow"],
)
def test_what_influxdb_would_refuse_is_refused(sqlite_store: SqliteStore, point: Point) -> None:
    with pytest.raises(StoreRejected):
        sqlite_store.write([point])


def test_reads_before_ensure_ready_see_an_empty_store(db_path: Path) -> None:
    store = SqliteStore(db_path)
    assert store.device_snapshots() == []
    assert store.ping() is True
    store.close()


def test_a_closed_store_says_so(sqlite_store: SqliteStore) -> None:
    sqlite_store.close()
    assert sqlite_store.ping() is False
    with pytest.raises(StoreUnavailable, match="closed"):
        sqlite_store.write([occupancy("gp-rack-1", "grand-place", 1, T0)])
    with pytest.raises(StoreUnavailable, match="closed"):
        sqlite_store.device_snapshots()
    sqlite_store.ensure_ready()  # opens again
    sqlite_store.write([occupancy("gp-rack-1", "grand-place", 1, T0)])
    assert len(sqlite_store.device_snapshots()) == 1
    sqlite_store.close()


def test_a_file_that_is_not_a_database_is_unavailable_with_its_name(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are not the pages of a database " * 200)
    with pytest.raises(StoreUnavailable, match=r"notes\.db"):
        SqliteStore(path).ensure_ready()


def test_a_directory_that_cannot_be_made_is_unavailable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(StoreUnavailable, match="cannot create"):
        SqliteStore(blocker / "sub" / "x.db").ensure_ready()


# --- sharing ------------------------------------------------------------------------------------------------


def test_two_stores_on_one_file_see_each_others_writes(sqlite_store: SqliteStore, db_path: Path) -> None:
    reader = SqliteStore(db_path)  # as the demo's API reads what its ingest writes
    sqlite_store.write([occupancy("gp-rack-1", "grand-place", 4, T0)])
    assert [(s.device_id, s.occupied) for s in reader.device_snapshots()] == [("gp-rack-1", 4)]
    reader.close()
    sqlite_store.close()


def test_readers_in_many_threads_while_one_thread_writes(sqlite_store: SqliteStore) -> None:
    batches, per_batch = 60, 50
    errors: list[BaseException] = []
    seen: list[list[int]] = [[] for _ in range(4)]
    done = threading.Event()

    def write() -> None:
        try:
            for batch in range(batches):
                base = T0 + batch * per_batch * S
                sqlite_store.write([passage("cl-count-1", "centre-north", base + i * S) for i in range(per_batch)])
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    def read(slot: int) -> None:
        try:
            while not done.is_set():
                total = sum(b.count or 0 for b in sqlite_store.counter_counts("centre-north", T0, T0 + HOUR, 3600))
                seen[slot].append(total)
                sqlite_store.device_snapshots()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for totals in seen:
        # Each read sees whole batches only (one transaction per write call), and never goes back in time.
        assert all(total % per_batch == 0 for total in totals)
        assert totals == sorted(totals)
    final = sqlite_store.counter_counts("centre-north", T0, T0 + HOUR, 3600)
    assert sum(b.count or 0 for b in final) == batches * per_batch
    sqlite_store.close()


# --- a killed process ---------------------------------------------------------------------------------------

_WRITER = """
import sys
from pathlib import Path
from ridebuy.store.sqlite import SqliteStore
from tests.store.contract import T0, passage

store = SqliteStore(Path(sys.argv[1]))
store.ensure_ready()
batch = 0
while True:
    store.write([passage("cl-count-1", "centre-north", T0 + (batch * 100 + i) * 1_000_000) for i in range(100)])
    batch += 1
    print(batch, flush=True)
"""


def test_a_file_left_by_a_killed_writer_opens_again_with_every_committed_batch(
    db_path: Path, processes: Processes
) -> None:
    writer = processes.popen(
        [sys.executable, "-c", _WRITER, str(db_path)], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2]
    )
    assert writer.stdout is not None
    committed = 0
    for line in writer.stdout:  # kill it mid-way through its writes, well after the first commits
        committed = int(line)
        if committed >= 30:
            break
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert Path(f"{db_path}-wal").exists()  # killed: the WAL was never checkpointed away

    with sqlite3.connect(db_path) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    store = SqliteStore(db_path)
    store.ensure_ready()
    total = sum(b.count or 0 for b in store.counter_counts("centre-north", T0, T0 + MIN, 60))
    assert total % 100 == 0  # whole batches only
    assert total >= committed * 100  # everything reported as written is there
    store.write([passage("cl-count-1", "centre-north", T0 + 59 * S)])  # and the file takes writes again
    store.close()


def test_a_url_whose_directory_does_not_exist_is_refused_with_a_sentence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqlite:///srv/ridebuy.db`` is srv/ridebuy.db under the working directory (the usual URL rule): a person
    who meant /srv is told so instead of getting a new tree created where they did not look."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"directory .*/srv of the SQLite store does not exist.*sqlite:////srv/"):
        SqliteStore.from_url("sqlite:///srv/ridebuy.db")
    with pytest.raises(ValueError, match=r"does not exist: create it first$"):
        SqliteStore.from_url(f"sqlite:///{tmp_path}/missing/ridebuy.db")
    assert not (tmp_path / "srv").exists()
    (tmp_path / "srv").mkdir()
    relative = SqliteStore.from_url("sqlite:///srv/ridebuy.db")
    relative.ensure_ready()
    relative.close()
    assert (tmp_path / "srv" / "ridebuy.db").is_file()


def test_the_help_states_the_slash_rule() -> None:
    from ridebuy.store.settings import StoreSettings

    description = StoreSettings.model_fields["store_url"].description or ""
    assert "sqlite:///relative/path.db" in description and "sqlite:////absolute/path.db" in description
