"""Where the data is kept: the store URL and, for InfluxDB 2.x/3.x, its token."""

from __future__ import annotations

from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator

from ridebuy.shared.settings import SettingsBase

DEFAULT_STORE_URL = "influxdb://127.0.0.1:8086/ridebuy"


class StoreSettings(SettingsBase):
    store_url: str = Field(
        DEFAULT_STORE_URL,
        description="influxdb://[user:pass@]host:port/db[?rp=], influxdbs:// for https, or sqlite:///relative/path.db "
        "(from the working directory), sqlite:////absolute/path.db (four slashes); the directory must exist",
    )
    store_token: SecretStr | None = Field(None, description="InfluxDB token (2.x/3.x), sent as Authorization")

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("influxdb", "influxdbs", "sqlite"):
            raise ValueError("must start with influxdb://, influxdbs:// or sqlite:///")
        return value
