"""Store URLs: ``influxdb://[user:password@]host:port/database[?rp=...]`` (``influxdbs://`` for https).

Errors name what is wrong and never repeat the password.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

INFLUX_SCHEMES = {"influxdb": "http", "influxdbs": "https"}
SQLITE_SCHEME = "sqlite"
DEFAULT_INFLUX_PORT = 8086


@dataclass(frozen=True, slots=True)
class InfluxTarget:
    """Where and as whom to reach an InfluxDB over its v1 HTTP API."""

    base_url: str
    """``http(s)://host:port``, no credentials."""
    database: str
    retention_policy: str | None = None
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def display(self) -> str:
        """The URL as it may appear in logs: the user name but no password."""
        scheme = "influxdbs" if self.base_url.startswith("https:") else "influxdb"
        user = f"{self.username}@" if self.username else ""
        rp = f"?rp={self.retention_policy}" if self.retention_policy else ""
        return f"{scheme}://{user}{self.base_url.split('://', 1)[1]}/{self.database}{rp}"


def url_scheme(url: str) -> str:
    """The scheme of a store URL, lower-cased; ValueError when there is none."""
    if not isinstance(url, str) or "://" not in url:
        raise ValueError("store URL must look like influxdb://host:port/database, influxdbs://... or sqlite:///path.db")
    return url.split("://", 1)[0].lower()


def parse_influx_url(url: str) -> InfluxTarget:
    """Parse an ``influxdb://`` or ``influxdbs://`` URL; ValueError naming the faulty part otherwise."""
    scheme = url_scheme(url)
    if scheme not in INFLUX_SCHEMES:
        raise ValueError(f"store URL scheme '{scheme}' is not influxdb:// or influxdbs://")
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        raise ValueError("store URL has no host: influxdb://host:port/database")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port is None:
        port = DEFAULT_INFLUX_PORT
    elif port == 0:
        raise ValueError("store URL has an invalid port: it must be a number from 1 to 65535")
    path = parts.path
    database = unquote(path[1:]) if path.startswith("/") else ""
    if not database:
        raise ValueError("store URL names no database: influxdb://host:port/database")
    if "/" in database:
        raise ValueError(f"store URL path must be a single database name, not '{database}'")
    if parts.fragment:
        raise ValueError("store URL must not have a #fragment")
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=False)
    unknown = sorted(set(query) - {"rp"})
    if unknown:
        raise ValueError(f"store URL has unknown parameter(s) {', '.join(unknown)}: only rp is understood")
    rp_values = query.get("rp", [])
    if len(rp_values) > 1:
        raise ValueError("store URL gives rp more than once")
    retention_policy = rp_values[0] if rp_values else None
    if retention_policy == "":
        raise ValueError("store URL has an empty rp: name a retention policy or leave rp out")
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    if password is not None and not username:
        raise ValueError("store URL has a password but no user name: influxdb://user:password@host:port/db")
    if username and password is None:
        raise ValueError("store URL has a user name but no password: influxdb://user:password@host:port/db")
    netloc_host = f"[{host}]" if ":" in host else host
    return InfluxTarget(
        base_url=f"{INFLUX_SCHEMES[scheme]}://{netloc_host}:{port}",
        database=database,
        retention_policy=retention_policy,
        username=username,
        password=password,
    )
