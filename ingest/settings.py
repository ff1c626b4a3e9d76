"""Settings of ``ridebuy ingest``: its MQTT session, batching, spool and health port."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from ridebuy.devices.settings import MessageLimitsSettings, RegistrySettings
from ridebuy.shared.mqtt5_session import RECEIVE_MAXIMUM, SESSION_EXPIRY_S
from ridebuy.shared.settings import BrokerSettings
from ridebuy.store.settings import StoreSettings


class IngestSettings(BrokerSettings, StoreSettings, RegistrySettings, MessageLimitsSettings):
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
        SESSION_EXPIRY_S, description="how long the broker keeps the ingest's session and queue while it is away"
    )
    receive_maximum: Annotated[int, Field(ge=1, le=65_535)] = Field(
        RECEIVE_MAXIMUM,
        description="unacknowledged QoS 1 messages the broker may send at once (MQTT 5 Receive Maximum)",
    )
    batch_size: Annotated[int, Field(ge=1, le=100_000)] = Field(5_000, description="points per store write, at most")
    batch_interval_ms: Annotated[int, Field(ge=1, le=60_000)] = Field(
        200, description="longest wait before a partial batch is written"
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
    api_host: str = Field("127.0.0.1", description="address the API (and the ingest's health port) listens on")

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


def default_spool_dir(client_id: str) -> Path:
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ridebuy" / "spool" / client_id
