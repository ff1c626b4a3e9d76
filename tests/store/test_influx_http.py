"""The InfluxDB client's HTTP behaviour against a scripted transport: retries, error mapping, auth, secrets.

The real-server behaviour (outage, restart, type conflicts) is in test_influx.py; this covers the answers a
local InfluxDB 1.6.7 will not give on demand (429, 503, 401, Retry-After).
"""

from __future__ import annotations

import base64
import gzip
import logging

import httpx
import pytest

from ridebuy.store.base import StoreRejected, StoreUnavailable
from ridebuy.store.influx import InfluxStore, RetryPolicy
from ridebuy.store.points import Point

POINT = Point(
    "occupancy", (("device", "gp-rack-1"), ("kind", "rack"), ("parking", "grand-place")), (("occupied", 3),), 1
)


class Scripted:
    """Answers requests from a list, records them and the waits between them."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.sleeps: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    def store(
        self, url: str = "influxdb://127.0.0.1:8086/hannut", token: str | None = None, attempts: int = 4
    ) -> InfluxStore:
        return InfluxStore.from_url(
            url,
            token,
            transport=httpx.MockTransport(self),
            retry=RetryPolicy(attempts=attempts, base_delay_s=0.1, max_delay_s=2.0),
            sleep=self.sleeps.append,
        )


def test_a_write_is_one_gzip_request_with_db_rp_and_ns_precision() -> None:
    server = Scripted(httpx.Response(204))
    server.store("influxdb://127.0.0.1:8086/hannut?rp=two_years").write([POINT, POINT])
    (request,) = server.requests
    assert request.method == "POST"
    assert request.url.path == "/write"
    assert dict(request.url.params) == {"db": "hannut", "rp": "two_years", "precision": "ns"}
    assert request.headers["Content-Encoding"] == "gzip"
    line = "occupancy,device=gp-rack-1,kind=rack,parking=grand-place occupied=3i 1"
    assert gzip.decompress(request.content).decode() == f"{line}\n{line}"


def test_nothing_is_sent_for_no_points() -> None:
    server = Scripted(httpx.Response(204))
    server.store().write([])
    assert server.requests == []


@pytest.mark.parametrize(
    "failure",
    [
        httpx.Response(503, json={"error": "overloaded"}),
        httpx.Response(500, json={"error": "timeout"}),
        httpx.Response(429),
        httpx.ConnectError("connection refused"),
        httpx.ReadTimeout("timed out"),
    ],
)
def test_transient_failures_are_retried_with_growing_waits(failure: httpx.Response | Exception) -> None:
    server = Scripted(failure, failure, failure, httpx.Response(204))
    server.store().write([POINT])
    assert len(server.requests) == 4
    assert len(server.sleeps) == 3
    # Exponential with jitter: each wait lies in [ceiling/2, ceiling] with ceiling 0.1, 0.2, 0.4.
    for wait, ceiling in zip(server.sleeps, (0.1, 0.2, 0.4), strict=True):
        assert ceiling / 2 <= wait <= ceiling


def test_retries_are_bounded_then_store_unavailable(caplog: pytest.LogCaptureFixture) -> None:
    server = Scripted(httpx.Response(503, json={"error": "engine overloaded"}))
    with pytest.raises(StoreUnavailable, match=r"answered 503: engine overloaded \(after 3 attempts\)"):
        server.store(attempts=3).write([POINT])
    assert len(server.requests) == 3
    assert [record.levelno for record in caplog.records].count(logging.WARNING) == 2


def test_retry_after_is_honoured_within_the_cap() -> None:
    server = Scripted(httpx.Response(429, headers={"Retry-After": "1.5"}), httpx.Response(204))
    server.store().write([POINT])
    assert server.sleeps == [1.5]
    server = Scripted(httpx.Response(429, headers={"Retry-After": "120"}), httpx.Response(204))
    server.store().write([POINT])
    assert server.sleeps == [2.0]


def test_a_refusal_is_not_retried_and_carries_influxdbs_message() -> None:
    message = 'partial write: field type conflict: input field "occupied" on measurement "occupancy" is type float'
    server = Scripted(httpx.Response(400, json={"error": message}))
    with pytest.raises(StoreRejected, match="field type conflict") as caught:
        server.store().write([POINT])
    assert "partial write" in str(caught.value)
    assert len(server.requests) == 1


def test_too_large_says_to_write_fewer_points() -> None:
    server = Scripted(httpx.Response(413, text="Request Entity Too Large"))
    with pytest.raises(StoreRejected, match="fewer points"):
        server.store().write([POINT])


@pytest.mark.parametrize("status", [401, 403])
def test_refused_credentials_keep_the_data_unavailable_not_rejected(status: int) -> None:
    server = Scripted(httpx.Response(status, json={"error": "authorization failed"}))
    with pytest.raises(StoreUnavailable, match="refused the credentials"):
        server.store().write([POINT])
    assert len(server.requests) == 1


def test_a_point_that_cannot_be_encoded_is_rejected_before_anything_is_sent() -> None:
    server = Scripted(httpx.Response(204))
    bad = Point("occupancy", (("device", "trailing\\"),), (("occupied", 1),), 1)
    with pytest.raises(StoreRejected, match="line protocol"):
        server.store().write([POINT, bad])
    assert server.requests == []


def test_user_and_password_go_in_basic_auth_never_in_the_url_logs_or_errors(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    server = Scripted(httpx.Response(503, json={"error": "down"}))
    store = server.store("influxdb://ridebuy:s3cr%20et@127.0.0.1:8086/hannut", attempts=2)
    with pytest.raises(StoreUnavailable) as caught:
        store.write([POINT])
    request = server.requests[0]
    assert request.headers["Authorization"] == "Basic " + base64.b64encode(b"ridebuy:s3cr et").decode()
    assert "s3cr" not in str(request.url)
    assert "s3cr" not in str(caught.value)
    assert "s3cr" not in repr(store)
    assert "s3cr" not in caplog.text
    assert "ridebuy@127.0.0.1:8086/hannut" in str(caught.value)


def test_a_token_goes_in_the_authorization_header(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    server = Scripted(httpx.Response(401, json={"error": "unauthorized access"}))
    with pytest.raises(StoreUnavailable) as caught:
        server.store(token="tok-s3cret").write([POINT])
    assert server.requests[0].headers["Authorization"] == "Token tok-s3cret"
    assert "s3cret" not in str(caught.value)
    assert "s3cret" not in caplog.text


def test_ping_is_true_only_when_the_server_answers() -> None:
    assert Scripted(httpx.Response(204)).store().ping() is True
    assert Scripted(httpx.ConnectError("refused")).store().ping() is False
    assert Scripted(httpx.Response(503)).store().ping() is False


def test_create_database_refused_by_a_newer_server_is_not_fatal(caplog: pytest.LogCaptureFixture) -> None:
    # InfluxDB 3 creates databases on first write and answers CREATE DATABASE with an error.
    server = Scripted(httpx.Response(400, json={"error": "statement not supported"}))
    server.store().ensure_ready()
    assert "CREATE DATABASE refused" in caplog.text


def test_a_database_missing_at_write_time_is_created_then_written() -> None:
    server = Scripted(
        httpx.Response(404, json={"error": 'database not found: "hannut"'}),
        httpx.Response(200, json={"results": [{"statement_id": 0}]}),
        httpx.Response(204),
    )
    server.store().write([POINT])
    assert [(r.method, r.url.path) for r in server.requests] == [
        ("POST", "/write"),
        ("POST", "/query"),
        ("POST", "/write"),
    ]
    assert server.requests[1].url.params["q"] == 'CREATE DATABASE "hannut"'
