"""Store URLs and the ``open_store`` factory (no server needed)."""

from __future__ import annotations

import pytest

from ridebuy.store.influx import InfluxStore
from ridebuy.store.open import open_store
from ridebuy.store.sqlite import SqliteStore
from ridebuy.store.urls import InfluxTarget, parse_influx_url


def test_plain_influxdb_url() -> None:
    target = parse_influx_url("influxdb://127.0.0.1:8086/ridebuy")
    assert target == InfluxTarget("http://127.0.0.1:8086", "ridebuy")


def test_full_url_with_user_rp_and_tls() -> None:
    target = parse_influx_url("influxdbs://ride%40buy:p%40ss%2Fw%3Ard@influx.example.org:443/hannut?rp=two_years")
    assert target.base_url == "https://influx.example.org:443"
    assert target.database == "hannut"
    assert target.retention_policy == "two_years"
    assert target.username == "ride@buy"
    assert target.password == "p@ss/w:rd"


def test_default_port_and_ipv6() -> None:
    assert parse_influx_url("influxdb://db.local/x").base_url == "http://db.local:8086"
    assert parse_influx_url("influxdb://[::1]:9999/x").base_url == "http://[::1]:9999"


def test_the_password_never_shows() -> None:
    target = parse_influx_url("influxdb://admin:s3cret@host:8086/db?rp=r")
    assert "s3cret" not in repr(target)
    assert "s3cret" not in target.display
    assert target.display == "influxdb://admin@host:8086/db?rp=r"


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("influxdb://host:8086", "names no database"),
        ("influxdb://host:8086/", "names no database"),
        ("influxdb://host:8086/a/b", "single database name"),
        ("influxdb://host:notaport/db", "invalid port"),
        ("influxdb://host:70000/db", "invalid port"),
        ("influxdb://host:0/db", "invalid port"),
        ("influxdb:///db", "no host"),
        ("influxdb://host/db?rp=", "empty rp"),
        ("influxdb://host/db?rp=a&rp=b", "rp more than once"),
        ("influxdb://host/db?retention=a", "unknown parameter(s) retention"),
        ("influxdb://host/db#frag", "fragment"),
        ("influxdb://user@host/db", "no password"),
        ("influxdb://:s3cret@host/db", "no user name"),
        ("http://host:8086/db", "not influxdb"),
        ("host:8086/db", "must look like"),
    ],
)
def test_bad_urls_say_what_is_wrong(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match="store URL") as caught:
        parse_influx_url(url)
    assert complaint in str(caught.value)
    assert "s3cret" not in str(caught.value)


def test_open_store_picks_the_backend_by_scheme() -> None:
    store = open_store("influxdb://127.0.0.1:1/db")
    assert isinstance(store, InfluxStore)
    store.close()
    secure = open_store("INFLUXDBS://127.0.0.1:1/db", token="t")
    assert isinstance(secure, InfluxStore)
    assert secure.target.base_url == "https://127.0.0.1:1"
    secure.close()


def test_open_store_opens_sqlite_files_and_refuses_unknown_schemes() -> None:
    store = open_store("sqlite:////tmp/ridebuy.db")  # nothing is created before ensure_ready()
    assert isinstance(store, SqliteStore)
    assert str(store.path) == "/tmp/ridebuy.db"
    with pytest.raises(ValueError, match="scheme 'postgres' is unknown"):
        open_store("postgres://host/db")


def test_a_token_and_a_password_together_are_refused() -> None:
    with pytest.raises(ValueError, match="not both"):
        open_store("influxdb://u:p@127.0.0.1:1/db", token="t")
