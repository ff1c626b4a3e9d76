"""Configuration: ``RIDEBUY_*`` environment variables, each also a command-line flag (see ridebuy.cli).

A bad setting stops start-up with a sentence that names the setting and says why.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ridebuy.devices.registry import sample_registry_path

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"
DEFAULT_STORE_URL = "influxdb://127.0.0.1:8086/ridebuy"


class SettingsError(ValueError):
    """A setting is wrong; the message names it (as environment variable) and says why."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RIDEBUY_", extra="ignore", frozen=True)

    mqtt_url: str = Field(DEFAULT_MQTT_URL, description="MQTT broker: mqtt://[user:pass@]host:port, mqtts:// for TLS")
    store_url: str = Field(
        DEFAULT_STORE_URL,
        description="influxdb://[user:pass@]host:port/db[?rp=], influxdbs:// for https, or sqlite:///path.db",
    )
    store_token: SecretStr | None = Field(None, description="InfluxDB token (2.x/3.x), sent as Authorization")
    registry: Path = Field(default_factory=sample_registry_path, description="path to the registry YAML")
    api_token: SecretStr | None = Field(None, description="admin token for /v1/admin endpoints")

    client_id: str = Field("ridebuy-ingest", description="MQTT client id of the ingest (fixed: persistent session)")
    shared_group: str | None = Field(
        None, description="share the subscription among ingest workers ($share/<group>/...); empty: not shared"
    )
    ingest_role: Literal["all", "data", "availability"] = Field(
        "all",
        description="what the ingest writes: all; data (readings and dead letters, for workers sharing a "
        "subscription); availability (only availability points, from the whole stream)",
    )
    session_expiry_s: Annotated[int, Field(ge=60)] = Field(
        7 * 86_400, description="how long the broker keeps the ingest's session and queue while it is away"
    )
    receive_maximum: Annotated[int, Field(ge=1, le=65_535)] = Field(
        10_000, description="unacknowledged QoS 1 messages the broker may send at once (MQTT 5 Receive Maximum)"
    )
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = Field(5_000, description="points per store write, at most")
    batch_interval_ms: Annotated[int, Field(ge=1, le=60_000)] = Field(
        200, description="longest wait before a partial batch is written"
    )
    max_payload_bytes: Annotated[int, Field(ge=16, le=16 * 1024 * 1024)] = Field(
        64 * 1024, description="larger payloads are dead-lettered as too_large"
    )
    max_future_s: Annotated[int, Field(ge=0)] = Field(
        300, description="measurement times further ahead than this are dead-lettered as timestamp_in_future"
    )
    spool_dir: Path | None = Field(
        None,
        description="where the ingest spools batches while the store is down "
        "(default: $XDG_STATE_HOME or ~/.local/state, then ridebuy/spool/<client id>)",
    )
    spool_max_bytes: Annotated[int, Field(ge=1024 * 1024)] = Field(
        1024**3, description="size limit of the spool; when full, messages stay unacknowledged at the broker"
    )
    health_port: Annotated[int, Field(ge=0, le=65_535)] | None = Field(
        None, description="port of the ingest's /healthz and /metrics on the API host address (unset: none)"
    )
    api_host: str = Field("127.0.0.1", description="address the API listens on")
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
    town_timezone: str = Field(
        "Europe/Brussels", description="IANA time zone of the town: the display panels' clock and calendar month"
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
    ride_and_buy_trip_km: Annotated[float, Field(ge=0, le=1000)] = Field(
        3.0, description="Ride and Buy estimate: average length of a cycle trip to or from the centre, km"
    )
    ride_and_buy_car_share: Annotated[float, Field(ge=0, le=1)] = Field(
        0.5, description="Ride and Buy estimate: share of cycle trips that would otherwise be made by car (0..1)"
    )
    ride_and_buy_co2_g_per_km: Annotated[float, Field(ge=0, le=10_000)] = Field(
        170.0, description="Ride and Buy estimate: g CO2 per km of the car trip avoided"
    )
    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")

    @model_validator(mode="after")
    def _roles_fit_the_subscription(self) -> Self:
        # Workers of a shared subscription each see part of the stream: a parking's availability needs all of it.
        if self.shared_group and self.ingest_role != "data":
            raise ValueError(
                "RIDEBUY_SHARED_GROUP needs RIDEBUY_INGEST_ROLE=data: workers sharing a subscription each see only "
                "part of the stream, so availability must come from one `ridebuy ingest --ingest-role availability` "
                "with a subscription of its own"
            )
        return self

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must look like mqtt://host:port or mqtts://host:port")
        parts.port  # noqa: B018 - raises ValueError on a bad port
        return value

    @field_validator("store_url")
    @classmethod
    def _store_url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in ("influxdb", "influxdbs", "sqlite"):
            raise ValueError("must start with influxdb://, influxdbs:// or sqlite:///")
        return value

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

    @field_validator("town_timezone")
    @classmethod
    def _town_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not an IANA time zone (e.g. Europe/Brussels)") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()


def default_spool_dir(client_id: str) -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ridebuy" / "spool" / client_id


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with command-line values (not None) taking precedence."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:
            raise SettingsError(f"settings do not fit together: {message}") from None
        name = str(error["loc"][0])
        raise SettingsError(
            f"setting RIDEBUY_{name.upper()} (--{name.replace('_', '-')}) is invalid: {message}"
        ) from None
