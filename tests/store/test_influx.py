"""The InfluxDB store against the real server (Debian's InfluxDB 1.6.7): schema round trip, injection corpus,
idempotence, database creation, outages and refusals."""

from __future__ import annotations

import itertools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ridebuy.devices.native import passage_point_ns
from ridebuy.devices.payloads import Direction, TrafficClass
from ridebuy.devices.readings import OccupancyReading, PassageReading, StatusReading
from ridebuy.devices.registry import DeviceKind
from ridebuy.devices.rejections import Rejected, RejectReason
from ridebuy.store.base import StoreRejected, StoreUnavailable
from ridebuy.store.influx import InfluxStore, RetryPolicy
from ridebuy.store.points import Point, payload_preview, reading_points, rejection_point
from tests.store.conftest import drop_database
from tests.store.contract import MIN, T0, availability, occupancy, passage
from tests.support.servers import InfluxDB

FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.05, max_delay_s=0.2)


def measurements(server: InfluxDB, database: str) -> list[str]:
    return sorted(str(row["name"]) for row in server.rows(database, "SHOW MEASUREMENTS"))


def keys(server: InfluxDB, database: str, what: str) -> dict[str, list[str]]:
    """SHOW TAG KEYS / SHOW FIELD KEYS as {measurement: [key, ...]}."""
    return {
        str(series["name"]): sorted(str(values[0]) for values in series["values"])
        for series in server.query(database, f"SHOW {what} KEYS")
    }


def assert_stored_exactly(server: InfluxDB, database: str, point: Point) -> None:
    rows = server.rows(database, f'SELECT * FROM "{point.measurement}" WHERE time = {point.time_ns}')
    assert len(rows) == 1, rows
    row = rows[0]
    for key, value in point.tags:
        assert row[key] == value
    for key, field in point.fields:
        assert row[key] == field
        assert type(row[key]) is type(field) or isinstance(field, float)  # 3.0 comes back as JSON 3


# --- schema round trip -----------------------------------------------------------------------------------------


def test_every_schema_measurement_round_trips(influxdb: InfluxDB, database: str, influx_store: InfluxStore) -> None:
    points = [
        *reading_points(OccupancyReading("gp-rack-1", "grand-place", DeviceKind.RACK, 7, T0)),
        *reading_points(OccupancyReading("gp-slot-01", "grand-place", DeviceKind.SLOT, 1, T0 + 1, True)),
        *reading_points(
            PassageReading("cl-count-1", "centre-north", Direction.OUT, TrafficClass.CARGO, 3, 900, T0, T0 + 41)
        ),
        *reading_points(StatusReading("gp-slot-01", T0 + 2, {"battery_v": 3.61, "rssi": -97.0, "firmware": "2.1.0"})),
        availability("grand-place", free=3, occupied=7, ts_ns=T0 + 3, capacity=12, unknown=2),
        rejection_point(Rejected(RejectReason.INVALID_JSON, "Expecting value", "gp-rack-1"), "t/x", b"{", T0 + 4),
    ]
    influx_store.write(points)
    for point in points:
        assert_stored_exactly(influxdb, database, point)
    assert measurements(influxdb, database) == [
        "availability",
        "device_status",
        "ingest_errors",
        "occupancy",
        "passages",
    ]
    types = {
        (str(series["name"]), str(name)): str(kind)
        for series in influxdb.query(database, "SHOW FIELD KEYS")
        for name, kind in series["values"]
    }
    assert types[("occupancy", "occupied")] == "integer"
    assert types[("occupancy", "ts_from_receipt")] == "boolean"
    assert types[("passages", "count")] == "integer"
    assert types[("device_status", "battery_v")] == "float"
    assert types[("device_status", "firmware")] == "string"
    assert types[("availability", "status")] == "string"
    assert types[("ingest_errors", "detail")] == "string"


# --- injection corpus --------------------------------------------------------------------------------------------

STRING_CORPUS = [
    "plain",
    "",
    "with space",
    "comma,separated",
    "key=value",
    'double "quoted"',
    "single 'quoted'",
    "back\\slash",
    "trailing backslash\\",
    "\\",
    "\\\\",
    '\\"',
    'ends with quote"',
    "new\nline",
    "\n",
    "crlf\r\nline",
    "tab\tand nul\x00",
    "unicode é ☃ 𝄞 中文",
    'x" 1\nevil,reason=x detail="y" 1',  # tries to close the string and start a line of its own
    'x",device="spoofed',  # tries to add a field
    'x\\" injected=1i',
    "# a comment?",
    "a" * 5000,
]

WRITABLE_IDS = [
    "plain-id",
    "with space",
    "comma,id",
    "eq=id",
    " , = ",
    'quote"id',
    "quote'id",
    "#hash",
    "unicode-é☃𝄞",
    "x f=1i 1",  # looks like the rest of a line
    "x,evil=1",  # looks like one more tag
]

UNWRITABLE_IDS = ["back\\slash", "trailing\\", "\\", "new\nline", "cr\rid", "tab\tid", "nul\x00id"]


def test_string_corpus_round_trips_one_point_each(influxdb: InfluxDB, database: str, influx_store: InfluxStore) -> None:
    points = [
        rejection_point(Rejected(RejectReason.INVALID_PAYLOAD, text, "dev-1"), f"topic/{text}", text.encode(), T0 + i)
        for i, text in enumerate(STRING_CORPUS)
    ]
    influx_store.write(points)
    rows = influxdb.rows(database, "SELECT * FROM ingest_errors")
    assert len(rows) == len(STRING_CORPUS)
    assert [row["detail"] for row in rows] == STRING_CORPUS
    assert [row["topic"] for row in rows] == [f"topic/{text}"[:512] for text in STRING_CORPUS]
    assert [row["preview"] for row in rows] == [payload_preview(text.encode()) for text in STRING_CORPUS]
    assert {row["device"] for row in rows} == {"dev-1"}
    assert {row["reason"] for row in rows} == {"invalid_payload"}
    assert measurements(influxdb, database) == ["ingest_errors"]
    assert keys(influxdb, database, "TAG") == {"ingest_errors": ["reason"]}
    assert keys(influxdb, database, "FIELD") == {"ingest_errors": ["detail", "device", "preview", "topic"]}


def test_id_corpus_round_trips_one_point_each(influxdb: InfluxDB, database: str, influx_store: InfluxStore) -> None:
    influx_store.write([occupancy(identifier, identifier, i, T0 + i) for i, identifier in enumerate(WRITABLE_IDS)])
    rows = influxdb.rows(database, "SELECT * FROM occupancy")
    assert [(row["device"], row["parking"], row["occupied"]) for row in rows] == [
        (identifier, identifier, i) for i, identifier in enumerate(WRITABLE_IDS)
    ]
    assert measurements(influxdb, database) == ["occupancy"]
    assert keys(influxdb, database, "TAG") == {"occupancy": ["device", "kind", "parking"]}
    assert keys(influxdb, database, "FIELD") == {"occupancy": ["occupied"]}
    # And back through the store's own queries (GROUP BY tags, quoted WHERE literals).
    snapshots = {s.device_id: s.occupied for s in influx_store.device_snapshots()}
    assert snapshots == {identifier: i for i, identifier in enumerate(WRITABLE_IDS)}


@pytest.mark.parametrize("identifier", UNWRITABLE_IDS)
def test_ids_that_cannot_be_written_exactly_are_refused_and_nothing_is_written(
    influxdb: InfluxDB, database: str, influx_store: InfluxStore, identifier: str
) -> None:
    good = occupancy("good", "grand-place", 1, T0)
    with pytest.raises(StoreRejected, match="line protocol"):
        influx_store.write([good, occupancy(identifier, "grand-place", 2, T0 + 1)])
    with pytest.raises(StoreRejected, match="line protocol"):
        influx_store.write([passage("dev", identifier, T0 + 2)])
    assert measurements(influxdb, database) == []


_timestamps = itertools.count(T0)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.text(max_size=40),
    identifier=st.text(
        alphabet=st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\\"),
        min_size=1,
        max_size=20,
    ),
)
def test_any_text_round_trips(influxdb: InfluxDB, database: str, text: str, identifier: str) -> None:
    store = InfluxStore.from_url(influxdb.store_url(database))
    try:
        time_ns = next(_timestamps)
        point = Point("ingest_errors", (("reason", identifier),), (("detail", text),), time_ns)
        store.write([point])
        rows = influxdb.rows(database, f"SELECT * FROM ingest_errors WHERE time = {time_ns}")
        assert [(row["reason"], row["detail"]) for row in rows] == [(identifier, text)]
        assert measurements(influxdb, database) == ["ingest_errors"]
    finally:
        store.close()


# --- identity of points ------------------------------------------------------------------------------------------


def test_the_same_point_rewritten_is_still_one_point(
    influxdb: InfluxDB, database: str, influx_store: InfluxStore
) -> None:
    point = passage("cl-count-1", "centre-north", T0, point_ns=passage_point_ns(T0, 7, b"{}"))
    influx_store.write([point])
    influx_store.write([point, point])
    assert influxdb.rows(database, "SELECT count(*) FROM passages")[0]["count_count"] == 1


def test_two_passages_in_one_millisecond_are_two_points(
    influxdb: InfluxDB, database: str, influx_store: InfluxStore
) -> None:
    ts = T0 + 5_000_000
    points = [
        passage("cl-count-1", "centre-north", ts, point_ns=passage_point_ns(ts, None, b'{"direction":"in"}')),
        passage("cl-count-1", "centre-north", ts, point_ns=passage_point_ns(ts, None, b'{"direction": "in"}')),
    ]
    assert points[0].time_ns != points[1].time_ns
    assert points[0].time_ns // 1_000_000 == points[1].time_ns // 1_000_000 == ts // 1_000_000
    influx_store.write(points)
    rows = influxdb.rows(database, "SELECT * FROM passages")
    assert sorted(row["time"] for row in rows) == sorted(p.time_ns for p in points)


# --- database creation -------------------------------------------------------------------------------------------


def databases(server: InfluxDB) -> set[str]:
    return {str(row["name"]) for row in server.rows("", "SHOW DATABASES")}


def test_ensure_ready_creates_the_database(influxdb: InfluxDB, database: str) -> None:
    name = f"{database} with space"  # any name: identifiers are quoted
    store = InfluxStore.from_url(influxdb.store_url(name.replace(" ", "%20")))
    try:
        assert name not in databases(influxdb)
        store.ensure_ready()
        assert name in databases(influxdb)
        store.ensure_ready()  # idempotent
        store.write([occupancy("gp-rack-1", "grand-place", 3, T0)])
        assert [s.occupied for s in store.device_snapshots()] == [3]
    finally:
        store.close()
        drop_database(influxdb, name)


def test_a_write_recreates_a_database_dropped_under_it(influxdb: InfluxDB, database: str) -> None:
    store = InfluxStore.from_url(influxdb.store_url(database))
    try:
        assert store.device_snapshots() == []  # reading a missing database finds nothing, no error
        store.write([occupancy("gp-rack-1", "grand-place", 3, T0)])
        assert database in databases(influxdb)
        assert len(influxdb.rows(database, "SELECT * FROM occupancy")) == 1
    finally:
        store.close()
        drop_database(influxdb, database)


def test_retention_policy_from_the_url(influxdb: InfluxDB, database: str) -> None:
    missing = InfluxStore.from_url(influxdb.store_url(database) + "?rp=nope")
    try:
        with pytest.raises(StoreUnavailable, match="retention policy 'nope' does not exist"):
            missing.ensure_ready()
    finally:
        missing.close()
    _post(influxdb, f'CREATE DATABASE "{database}"')
    _post(influxdb, f'CREATE RETENTION POLICY "forever" ON "{database}" DURATION INF REPLICATION 1')
    store = InfluxStore.from_url(influxdb.store_url(database) + "?rp=forever")
    try:
        store.ensure_ready()
        store.write([availability("grand-place", free=4, occupied=6, ts_ns=T0)])
        assert len(influxdb.rows(database, 'SELECT * FROM "forever"."availability"')) == 1
        assert influxdb.rows(database, 'SELECT * FROM "autogen"."availability"') == []
        assert [b.free for b in store.parking_history("grand-place", T0, T0 + MIN, 60)] == [4.0]
    finally:
        store.close()
        drop_database(influxdb, database)


def _post(server: InfluxDB, influxql: str) -> None:
    import httpx

    httpx.post(f"{server.url}/query", params={"q": influxql}, timeout=30).raise_for_status()


# --- outages and refusals ----------------------------------------------------------------------------------------


def test_unavailable_while_stopped_then_writes_again_after_restart(private_influxdb: InfluxDB) -> None:
    store = InfluxStore.from_url(private_influxdb.store_url("outage"), retry=FAST_RETRY)
    try:
        store.ensure_ready()
        store.write([occupancy("gp-rack-1", "grand-place", 1, T0)])
        private_influxdb.stop()
        assert store.ping() is False
        batch = [occupancy("gp-rack-1", "grand-place", 2, T0 + MIN)]
        with pytest.raises(StoreUnavailable, match=r"cannot reach InfluxDB .* \(after 3 attempts\)"):
            store.write(batch)
        with pytest.raises(StoreUnavailable):
            store.device_snapshots()
        private_influxdb.start()
        assert store.ping() is True
        store.write(batch)  # the caller kept the batch and writes it again
        assert [row["occupied"] for row in private_influxdb.rows("outage", "SELECT * FROM occupancy")] == [1, 2]
    finally:
        store.close()


def test_unavailable_when_the_server_hangs(private_influxdb: InfluxDB) -> None:
    store = InfluxStore.from_url(private_influxdb.store_url("hang"), retry=FAST_RETRY, timeout_s=0.5)
    try:
        store.ensure_ready()
        private_influxdb.pause()
        with pytest.raises(StoreUnavailable, match="Timeout"):
            store.write([occupancy("gp-rack-1", "grand-place", 2, T0)])
        private_influxdb.resume()
        store.write([occupancy("gp-rack-1", "grand-place", 2, T0)])
        assert len(private_influxdb.rows("hang", "SELECT * FROM occupancy")) == 1
    finally:
        store.close()


def test_a_field_type_conflict_is_rejected_with_influxdbs_message(
    influxdb: InfluxDB, database: str, influx_store: InfluxStore
) -> None:
    as_int = Point("occupancy", (("device", "d"),), (("occupied", 1),), T0)
    as_float = Point("occupancy", (("device", "d"),), (("occupied", 1.5),), T0 + 1)
    influx_store.write([as_int])
    with pytest.raises(StoreRejected, match="field type conflict"):
        influx_store.write([as_float])


def test_a_partial_write_is_rejected_and_keeps_the_points_influxdb_accepted(
    influxdb: InfluxDB, database: str, influx_store: InfluxStore
) -> None:
    influx_store.write([Point("occupancy", (("device", "d"),), (("occupied", 1),), T0)])
    good = Point("occupancy", (("device", "e"),), (("occupied", 2),), T0 + 1)
    bad = Point("occupancy", (("device", "d"),), (("occupied", "two"),), T0 + 2)
    with pytest.raises(StoreRejected, match="partial write"):
        influx_store.write([good, bad])
    assert [row["device"] for row in influxdb.rows(database, "SELECT * FROM occupancy")] == ["d", "e"]


def test_names_outside_the_store_are_quoted_in_queries() -> None:
    # The quoting the read methods rely on (InfluxQL escapes: backslash, quote, newline).
    from ridebuy.store.influxql import quote_ident, quote_literal

    assert quote_literal("a'b\\c\nd") == "'a\\'b\\\\c\\nd'"
    assert quote_ident('a"b') == '"a\\"b"'
    assert set(string.printable) >= set(quote_literal("x"))
