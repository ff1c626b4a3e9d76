"""The Grafana data source and folder ridebuy ships, as files and as the JSON Grafana's HTTP API takes.

The dashboards themselves are built by :mod:`dashboards.build` (models + texts table + registry): Grafana's file
provisioning reads what ``ridebuy dashboards build`` writes, and ``ridebuy dashboards push`` uploads the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ridebuy.store.urls import InfluxTarget

GRAFANA_DIR = Path(__file__).parent / "grafana"
PROVISIONING_DIR = GRAFANA_DIR / "provisioning"

DATASOURCE_UID = "ridebuy-influxdb"
"""Every panel and template variable names its data source by this uid."""
DATASOURCE_NAME = "ridebuy InfluxDB"
FOLDER_UID = "ridebuy"
FOLDER_TITLE = "ridebuy"

Dashboard = dict[str, Any]


@dataclass(frozen=True, slots=True)
class InfluxSource:
    """The InfluxDB as Grafana reaches it (which may be another host name than ridebuy's, e.g. inside compose)."""

    url: str
    """``http(s)://host:port``, without credentials."""
    database: str
    token: str | None = None
    """InfluxDB 2.x/3.x token, sent as ``Authorization: Token ...``."""
    username: str | None = None
    """InfluxDB 1.x user (with ``password``), when authentication is on."""
    password: str | None = None
    retention_policy: str | None = None

    @classmethod
    def from_target(cls, target: InfluxTarget, token: str | None, url: str | None = None) -> InfluxSource:
        return cls(
            url=(url or target.base_url).rstrip("/"),
            database=target.database,
            token=token,
            username=target.username,
            password=target.password,
            retention_policy=target.retention_policy,
        )


def datasource_model(source: InfluxSource) -> dict[str, Any]:
    """The data source as Grafana's ``/api/datasources`` takes it; the same settings as the provisioning file."""
    json_data: dict[str, Any] = {
        "version": "InfluxQL",
        "dbName": source.database,
        "httpMode": "POST",
        "timeInterval": "1m",
    }
    secure: dict[str, str] = {}
    if source.retention_policy:
        json_data["retentionPolicy"] = source.retention_policy
    if source.token:
        json_data["httpHeaderName1"] = "Authorization"
        secure["httpHeaderValue1"] = f"Token {source.token}"
    model: dict[str, Any] = {
        "uid": DATASOURCE_UID,
        "name": DATASOURCE_NAME,
        "type": "influxdb",
        "access": "proxy",
        "url": source.url,
        "isDefault": False,
        "jsonData": json_data,
    }
    if source.username:
        model["user"] = source.username
        if source.password:
            secure["password"] = source.password
    if secure:
        model["secureJsonData"] = secure
    return model
