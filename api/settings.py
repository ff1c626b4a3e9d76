"""Settings of ``ridebuy api``: where it listens, who may call it, and the web page's defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from ridebuy.api.open_data.settings import OpenDataSettings
from ridebuy.devices.settings import MessageLimitsSettings, RegistrySettings, RideAndBuySettings
from ridebuy.shared.settings import NOT_A_FLAG, BrokerSettings
from ridebuy.store.settings import StoreSettings


class ApiSettings(
    BrokerSettings, StoreSettings, RegistrySettings, MessageLimitsSettings, RideAndBuySettings, OpenDataSettings
):
    api_host: str = Field("127.0.0.1", description="address the API listens on")
    api_token: SecretStr | None = Field(
        None, description="admin token for /v1/admin endpoints (environment only)", json_schema_extra=NOT_A_FLAG
    )
    api_port: Annotated[int, Field(ge=0, le=65_535)] = Field(8000, description="port the API listens on")
    api_cors_origins: str = Field(
        "", description="comma-separated origins allowed to call the API from a browser (CORS); empty: none"
    )
    api_max_body_bytes: Annotated[int, Field(ge=1024, le=16 * 1024 * 1024)] = Field(
        64 * 1024, description="largest request body the API reads; larger ones get 413"
    )
    api_rate_limit: str = Field(
        "600/minute",
        description="requests per client address the API serves (e.g. 600/minute, 20/second); beyond: 429 with "
        "Retry-After; health and metrics are exempt; empty: no limit",
    )
    api_trusted_proxies: str = Field(
        "127.0.0.1",
        description="comma-separated addresses of reverse proxies whose X-Forwarded-For names the client "
        "(for rate limits and logs); * trusts any",
    )
    api_header_timeout_s: Annotated[float, Field(gt=0, le=300)] = Field(
        10.0,
        description="a connection must send a request's headers within this time (after connecting or after the "
        "previous response), else the API closes it",
    )
    api_max_connections: Annotated[int, Field(ge=1)] = Field(
        2048, description="connections the API keeps open at once (fewer if the open-file limit is lower)"
    )
    api_max_connections_per_client: Annotated[int, Field(ge=1)] = Field(
        100, description="connections one client address may keep open (trusted proxies are exempt)"
    )
    api_ssl_certfile: Path | None = Field(
        None, description="certificate chain (PEM) to serve the API over HTTPS itself (without a reverse proxy)"
    )
    api_ssl_keyfile: Path | None = Field(None, description="private key (PEM) of that certificate")
    battery_low_pct: Annotated[float, Field(ge=0, le=100)] = Field(
        20.0, description="a device reporting battery_pct below this is battery-low"
    )
    battery_low_v: Annotated[float, Field(ge=0, le=100)] = Field(
        3.3, description="a device reporting only battery_v, below this, is battery-low"
    )
    api_expire_interval_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        5.0, description="how often the API re-checks for silent devices (their spaces turn unknown)"
    )
    town_lat: Annotated[float, Field(ge=-90, le=90)] | None = Field(
        None, description="latitude of the town centre, the web page's origin when the browser gives no position"
    )
    town_lon: Annotated[float, Field(ge=-180, le=180)] | None = Field(
        None, description="longitude of the town centre (default: the centre of the registry's parkings)"
    )
    panel_publish_interval_s: Annotated[float, Field(ge=1, le=60)] = Field(
        60.0, description="the API republishes every display panel on MQTT at least this often, changed or not"
    )
    panel_stale_after_s: Annotated[float, Field(ge=10, le=3600)] = Field(
        90.0, description="a display panel page that heard nothing from the API for this long shows - for figures"
    )
    panel_text_width: Annotated[int, Field(ge=4, le=64)] = Field(
        16, description="width parking names are cut to in /v1/panels/{id}.txt (its ?width= overrides)"
    )
    panel_ride_and_buy_refresh_s: Annotated[float, Field(ge=1, le=86_400)] = Field(
        300.0, description="how often the API recounts this month's passages for the panels' Ride and Buy line"
    )
    town_name: str = Field(
        "Hannut", min_length=1, max_length=80, description="the town's name, shown in the web page's title"
    )
    town_timezone: str = Field(
        "Europe/Brussels",
        description="IANA time zone of the town: opening hours, usual-occupancy trends and the display panels' "
        "clock and month are in its local time",
    )
    web_tile_url: str = Field(
        "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        description="map tiles of the web page ({z}/{x}/{y} template; https); OpenStreetMap's own tiles are for "
        "light use only (see docs/app.md): a busy town points this at its own or a commercial tile server; "
        "empty: no tiles",
    )
    web_tile_attribution: str = Field(
        "© OpenStreetMap contributors",
        description="attribution the tile provider requires, shown on the map (links to the licence are added "
        "for OpenStreetMap)",
    )

    @field_validator("town_timezone")
    @classmethod
    def _town_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone, e.g. Europe/Brussels") from None
        return value

    @field_validator("web_tile_url")
    @classmethod
    def _web_tile_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parts = urlsplit(value.replace("{", "").replace("}", ""))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL template such as https://tile.openstreetmap.org/{z}/{x}/{y}.png")
        if not all(f"{{{key}}}" in value for key in ("z", "x", "y")):
            raise ValueError("must contain {z}, {x} and {y}")
        return value

    @model_validator(mode="after")
    def _tls_files_go_together(self) -> Self:
        if (self.api_ssl_certfile is None) != (self.api_ssl_keyfile is None):
            raise ValueError("RIDEBUY_API_SSL_CERTFILE and RIDEBUY_API_SSL_KEYFILE go together: give both or neither")
        return self

    @field_validator("api_rate_limit")
    @classmethod
    def _api_rate_limit(cls, value: str) -> str:
        from limits import parse_many

        if value.strip():
            try:
                items = parse_many(value)
            except ValueError:
                items = []
            if not items or any(item.amount < 1 for item in items):
                raise ValueError("must look like 600/minute or 20/second (or be empty: no limit)")
        return value.strip()

    @field_validator("api_cors_origins")
    @classmethod
    def _api_cors_origins(cls, value: str) -> str:
        origins = [o.strip() for o in value.split(",") if o.strip()]
        for origin in origins:
            parts = urlsplit(origin)
            if origin == "*":
                if len(origins) > 1:
                    raise ValueError("* allows every origin: give it alone or list origins")
                continue
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path or parts.query:
                raise ValueError(f"'{origin}' is not an origin: scheme://host[:port], e.g. https://velo.hannut.be")
        return ",".join(origins)
