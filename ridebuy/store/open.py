"""``open_store``: the one place that turns a store URL into a backend."""

from __future__ import annotations

from ridebuy.store.base import Store
from ridebuy.store.urls import INFLUX_SCHEMES, SQLITE_SCHEME, url_scheme


def open_store(url: str, token: str | None = None) -> Store:
    """The store a URL names: ``influxdb://``/``influxdbs://`` (InfluxDB), ``sqlite:///path`` (embedded).

    ``token`` authenticates to InfluxDB 2.x/3.x (``Authorization: Token``); 1.x takes user:password in the URL.
    Raises ValueError naming what is wrong with the URL. Nothing is contacted yet: call ``ensure_ready()``.
    """
    scheme = url_scheme(url)
    if scheme in INFLUX_SCHEMES:
        from ridebuy.store.influx import InfluxStore

        return InfluxStore.from_url(url, token)
    if scheme == SQLITE_SCHEME:
        from ridebuy.store.sqlite import SqliteStore

        return SqliteStore.from_url(url)
    raise ValueError(f"store URL scheme '{scheme}' is unknown: use influxdb://, influxdbs:// or sqlite:///")
