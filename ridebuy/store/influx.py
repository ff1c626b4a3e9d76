"""The InfluxDB store: line protocol on ``POST /write``, InfluxQL on ``/query`` (the v1 HTTP API).

The v1 API is the one dialect that InfluxDB 1.x, 2.x (>= 2.4, buckets mapped automatically) and 3.x all serve,
so the same code runs against each. See docs/storage.md for the schema, the URL forms and the write behaviour.
"""

# InfluxQL is built as text, but every interpolated value goes through quote_ident, quote_literal or int().
# ruff: noqa: S608

from __future__ import annotations

import gzip
import logging
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

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
from ridebuy.store.buckets import bucket_starts
from ridebuy.store.influxql import QueryError, Series, parse_results, quote_ident, quote_literal, time_range
from ridebuy.store.lineprotocol import LineEncoder, LineProtocolError
from ridebuy.store.points import Measurement, Point
from ridebuy.store.urls import InfluxTarget, parse_influx_url

logger = logging.getLogger(__name__)

_DROPPED = re.compile(r"\bdropped=(\d+)")
"""How many points a partial write refused (InfluxDB 1.x and 2.x end their message with it)."""

STATUS_VALUES = ("battery_v", "battery_pct", "rssi", "snr")
"""The status fields a :class:`DeviceSnapshot` carries."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter, for failures that may pass (network, 5xx, 429)."""

    attempts: int = 4
    """Requests in all, the first one included."""
    base_delay_s: float = 0.25
    max_delay_s: float = 4.0

    def delay_s(self, retry: int) -> float:
        """Wait before retry number ``retry`` (1-based): half fixed, half random, so that workers spread out."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (retry - 1))
        return ceiling / 2 + random.uniform(0, ceiling / 2)


class _DatabaseMissing(Exception):
    pass


class _CredentialsRefused(StoreUnavailable):
    """401/403: the data is fine, the credentials (or their rights) are not; retrying will not help soon."""


class InfluxStore:
    """A :class:`~ridebuy.store.base.Store` on an InfluxDB server, through one reusable HTTP connection pool."""

    def __init__(
        self,
        target: InfluxTarget,
        token: str | None = None,
        *,
        timeout_s: float = 10.0,
        retry: RetryPolicy = RetryPolicy(),  # frozen dataclass: safe as a default
        gzip_level: int = 1,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if token and target.username:
            raise ValueError("give the store either user:password in its URL or a token, not both")
        if retry.attempts < 1:
            raise ValueError("retry.attempts must be at least 1")
        self.target = target
        self._retry = retry
        self._gzip_level = gzip_level
        self._sleep = sleep
        self._encoder = LineEncoder()
        headers = {"User-Agent": "ridebuy"}
        auth: httpx.Auth | None = None
        if token:
            headers["Authorization"] = f"Token {token}"
        elif target.username:
            auth = httpx.BasicAuth(target.username, target.password or "")
        self._client = httpx.Client(
            base_url=target.base_url,
            headers=headers,
            auth=auth,
            timeout=httpx.Timeout(timeout_s, connect=min(timeout_s, 5.0)),
            transport=transport,
        )
        self._write_params = {"db": target.database, "precision": "ns"}
        if target.retention_policy:
            self._write_params["rp"] = target.retention_policy

    @classmethod
    def from_url(cls, url: str, token: str | None = None, **options: Any) -> InfluxStore:
        return cls(parse_influx_url(url), token, **options)

    def __repr__(self) -> str:
        return f"InfluxStore({self.target.display!r})"

    # --- lifecycle -------------------------------------------------------------------------------------------

    def ensure_ready(self) -> None:
        """Create the database when missing (idempotent); check the retention policy named in the URL."""
        database = quote_ident(self.target.database)
        try:
            self._query(f"CREATE DATABASE {database}", post=True)
        except _CredentialsRefused:
            # A user without admin rights may still use a database an administrator made: check it exists
            # (raises _CredentialsRefused if the user may not even read it).
            try:
                self._query("SHOW MEASUREMENTS LIMIT 1", missing_ok=False)
            except StoreRejected as exc:
                raise StoreUnavailable(
                    f"database '{self.target.database}' is not usable on {self.target.display} and this user "
                    f"may not create it: {exc}"
                ) from None
            logger.info("InfluxDB %s: this user may not create databases; using the existing one", self.target.display)
        except StoreRejected as exc:
            # 2.x maps buckets, 3.x creates databases on first write: neither needs (nor allows) CREATE.
            logger.warning(
                "InfluxDB %s: CREATE DATABASE refused (%s); assuming the server provides the database",
                self.target.display,
                exc,
            )
            return
        rp = self.target.retention_policy
        if rp:
            series = self._query(f"SHOW RETENTION POLICIES ON {database}")
            names = {row.get("name") for one in series for row in one.rows}
            if rp not in names:
                raise StoreUnavailable(
                    f"retention policy '{rp}' does not exist on database '{self.target.database}': create it "
                    f"(CREATE RETENTION POLICY ... ON ...) or drop rp from the store URL"
                )

    def ping(self) -> bool:
        try:
            response = self._client.get("/ping", timeout=2.0)
        except httpx.HTTPError:
            return False
        return response.status_code in (200, 204)

    def close(self) -> None:
        self._client.close()

    # --- writing ---------------------------------------------------------------------------------------------

    def write(self, points: Sequence[Point]) -> None:
        """Write the points in one request (gzip). Callers batch: about 5,000 points per call suits InfluxDB."""
        if not points:
            return
        try:
            body = self._encoder.encode(points)
        except LineProtocolError as exc:
            raise StoreRejected(f"a point cannot be written as line protocol: {exc}") from exc
        payload = gzip.compress(body, compresslevel=self._gzip_level, mtime=0)
        try:
            self._send_write(payload)
        except _DatabaseMissing:
            logger.warning("InfluxDB %s: the database is missing; creating it", self.target.display)
            self.ensure_ready()
            try:
                self._send_write(payload)
            except _DatabaseMissing:
                raise StoreUnavailable(
                    f"database '{self.target.database}' does not exist on {self.target.display} and could not "
                    "be created"
                ) from None

    def _send_write(self, payload: bytes) -> None:
        self._request(
            "POST",
            "/write",
            params=self._write_params,
            content=payload,
            headers={"Content-Encoding": "gzip", "Content-Type": "text/plain; charset=utf-8"},
        )

    # --- reading ---------------------------------------------------------------------------------------------

    def device_snapshots(self) -> list[DeviceSnapshot]:
        occupancy = self._measurement(Measurement.OCCUPANCY)
        passages = self._measurement(Measurement.PASSAGES)
        status = self._measurement(Measurement.DEVICE_STATUS)
        last_occupancy = self._last_per_device(f'SELECT last("occupied") AS "occupied" FROM {occupancy}')
        last_passage = self._last_per_device(f'SELECT last("count") AS "count" FROM {passages}')
        last_status = self._last_per_device(f'SELECT last("heartbeat") AS "heartbeat" FROM {status}')
        values_select = ", ".join(f"last({quote_ident(name)}) AS {quote_ident(name)}" for name in HEALTH_FIELDS)
        status_values = self._last_per_device(f"SELECT {values_select} FROM {status}")

        snapshots = []
        for device_id in sorted(last_occupancy.keys() | last_passage.keys() | last_status.keys()):
            occupied_row = last_occupancy.get(device_id)
            status_row = last_status.get(device_id)
            values = status_values.get(device_id, {})
            seen = [row["time"] for row in (occupied_row, last_passage.get(device_id), status_row) if row]
            snapshots.append(
                DeviceSnapshot(
                    device_id=device_id,
                    occupied=_int_or_none(occupied_row["occupied"]) if occupied_row else None,
                    occupied_ns=int(occupied_row["time"]) if occupied_row else None,
                    last_seen_ns=int(max(seen)) if seen else None,
                    health=HealthFigures.from_values(values),
                    status_ns=int(status_row["time"]) if status_row else None,
                )
            )
        return snapshots

    def _last_per_device(self, select: str) -> dict[str, dict[str, Any]]:
        rows: dict[str, dict[str, Any]] = {}
        for series in self._query(f'{select} GROUP BY "device"'):
            device_id = series.tags.get("device", "")
            if device_id and series.rows:
                rows[device_id] = series.rows[0]
        return rows

    def parking_history(self, parking_id: str, start_ns: int, end_ns: int, every_s: int) -> list[AvailabilityBucket]:
        buckets = bucket_starts(start_ns, end_ns, every_s)
        if not buckets:
            return []
        source = self._measurement(Measurement.AVAILABILITY)
        where = f'"parking" = {quote_literal(parking_id)}'
        # Seed: the last point before the range, so that leading empty buckets carry it (fill(previous) would not).
        seed = self._query(
            f'SELECT "free", "occupied", "unknown", "capacity" FROM {source} '
            f"WHERE {where} AND time < {int(start_ns)} ORDER BY time DESC LIMIT 1"
        )
        carried: tuple[float | None, float | None, float | None, int | None] = (None, None, None, None)
        if seed and seed[0].rows:
            row = seed[0].rows[0]
            carried = (
                _float_or_none(row.get("free")),
                _float_or_none(row.get("occupied")),
                _float_or_none(row.get("unknown")),
                _int_or_none(row.get("capacity")),
            )
        in_range = self._query(
            f'SELECT mean("free") AS "free", mean("occupied") AS "occupied", mean("unknown") AS "unknown", '
            f'last("free") AS "last_free", last("occupied") AS "last_occupied", '
            f'last("unknown") AS "last_unknown", last("capacity") AS "capacity" '
            f"FROM {source} WHERE {where} AND {time_range(start_ns, end_ns)} "
            f"GROUP BY time({int(every_s)}s) fill(none)"
        )
        by_start = {int(row["time"]): row for series in in_range for row in series.rows}
        history = []
        for bucket_ns in buckets:
            bucket = by_start.get(bucket_ns)
            if bucket is None or bucket.get("free") is None:
                free, occupied, unknown, capacity = carried
            else:
                free = _float_or_none(bucket.get("free"))
                occupied = _float_or_none(bucket.get("occupied"))
                unknown = _float_or_none(bucket.get("unknown"))
                capacity = _int_or_none(bucket.get("capacity"))
                carried = (
                    _float_or_none(bucket.get("last_free")),
                    _float_or_none(bucket.get("last_occupied")),
                    _float_or_none(bucket.get("last_unknown")),
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
        where = f'"counter" = {quote_literal(counter_id)} AND {time_range(start_ns, end_ns)}'
        if direction is not None:
            where += f' AND "direction" = {quote_literal(direction)}'
        result = self._query(
            f'SELECT sum("count") AS "count" FROM {self._measurement(Measurement.PASSAGES)} WHERE {where} '
            f'GROUP BY time({int(every_s)}s), "direction", "class" fill(none)'
        )
        sums: dict[tuple[str, str], dict[int, int]] = {}
        for series in result:
            counts = {int(row["time"]): int(row["count"]) for row in series.rows if row.get("count") is not None}
            if counts:
                key = (series.tags.get("direction", ""), series.tags.get("class", ""))
                sums.setdefault(key, {}).update(counts)
        return [
            CountBucket(bucket_ns, key[0], key[1], sums[key].get(bucket_ns))
            for bucket_ns in buckets
            for key in sorted(sums)
        ]

    def device_activity(self, start_ns: int, end_ns: int, every_s: int) -> list[ActivityBucket]:
        if not bucket_starts(start_ns, end_ns, every_s):
            return []
        result = self._query(
            f'SELECT count("heartbeat") AS "messages" FROM {self._measurement(Measurement.DEVICE_STATUS)} '
            f'WHERE {time_range(start_ns, end_ns)} GROUP BY time({int(every_s)}s), "device" fill(none)'
        )
        buckets = [
            ActivityBucket(series.tags.get("device", ""), int(row["time"]), int(row["messages"]))
            for series in result
            for row in series.rows
            if row.get("messages")
        ]
        return sorted(buckets, key=lambda b: (b.device_id, b.start_ns))

    def recent_rejections(self, limit: int, reason: str | None = None, since_ns: int | None = None) -> list[Rejection]:
        conditions = []
        if reason is not None:
            conditions.append(f'"reason" = {quote_literal(reason)}')
        if since_ns is not None:
            conditions.append(f"time >= {int(since_ns)}")
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        result = self._query(
            f'SELECT "reason", "detail", "device", "topic", "preview" '
            f"FROM {self._measurement(Measurement.INGEST_ERRORS)}{where} "
            f"ORDER BY time DESC LIMIT {check_rejection_limit(limit)}"
        )
        return [
            Rejection(
                time_ns=int(row["time"]),
                reason=_str_or_empty(row.get("reason")),
                detail=_str_or_empty(row.get("detail")),
                device=_str_or_empty(row.get("device")),
                topic=_str_or_empty(row.get("topic")),
                preview=_str_or_empty(row.get("preview")),
            )
            for series in result
            for row in series.rows
        ]

    def _measurement(self, name: str) -> str:
        rp = self.target.retention_policy
        return f"{quote_ident(rp)}.{quote_ident(name)}" if rp else quote_ident(name)

    # --- HTTP ------------------------------------------------------------------------------------------------

    def _query(self, influxql: str, *, post: bool = False, missing_ok: bool = True) -> list[Series]:
        """Run one InfluxQL statement; its series. StoreRejected when InfluxDB refuses the statement.

        A database that does not exist yet holds nothing: with ``missing_ok`` its queries return no series.
        """
        params = {"db": self.target.database, "q": influxql, "epoch": "ns"}
        try:
            response = self._request("POST" if post else "GET", "/query", params=params)
            statements = parse_results(response.json())
        except (_DatabaseMissing, QueryError, ValueError) as exc:
            if missing_ok and str(exc).startswith("database not found"):
                return []
            raise StoreRejected(f"InfluxDB refused a query: {exc}") from None
        return statements[0] if statements else []

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, str],
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send with bounded retries; the response when it is a success, else the right StoreError."""
        display = self.target.display
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            retry_after: float | None = None
            try:
                response = self._client.request(method, path, params=params, content=content, headers=headers)
            except httpx.TransportError as exc:
                problem = f"cannot reach InfluxDB at {display}: {type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status < 300:
                    return response
                message = _error_message(response)
                if status == 404 and "database not found" in message:
                    raise _DatabaseMissing(message)
                if status in (401, 403):
                    raise _CredentialsRefused(f"InfluxDB at {display} refused the credentials ({status}): {message}")
                if status == 413:
                    raise StoreRejected(
                        f"InfluxDB at {display} found the request too large (413): write fewer points per call"
                    )
                if status != 429 and status < 500:
                    dropped = _DROPPED.search(message)
                    raise StoreRejected(
                        f"InfluxDB at {display} refused the request ({status}): {message}",
                        int(dropped[1]) if dropped else None,
                    )
                problem = f"InfluxDB at {display} answered {status}: {message}"
                retry_after = _retry_after_s(response)
            if attempt == attempts:
                raise StoreUnavailable(f"{problem} (after {attempts} attempts)")
            delay = self._retry.delay_s(attempt)
            if retry_after is not None:
                delay = min(max(delay, retry_after), self._retry.max_delay_s)
            logger.warning("%s; retry %d of %d in %.2f s", problem, attempt, attempts - 1, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover


def _error_message(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    message: str
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        message = str(body["error"])
    elif isinstance(body, dict) and isinstance(body.get("message"), str):  # 2.x/3.x style
        message = str(body["message"])
    else:
        message = response.text.strip() or response.reason_phrase
    return message[:1000]


def _retry_after_s(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def _str_or_empty(value: Any) -> str:
    return "" if value is None else str(value)


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)
