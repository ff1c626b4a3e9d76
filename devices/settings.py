"""Settings of the device contract: which registry file, and the limits every reader of messages applies."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field

from ridebuy.devices.registry import sample_registry_path
from ridebuy.shared.settings import SettingsBase


class RegistrySettings(SettingsBase):
    registry: Path = Field(default_factory=sample_registry_path, description="path to the registry YAML")


class MessageLimitsSettings(SettingsBase):
    """The ingest and the API read device messages by the same rules, so they share these limits."""

    max_payload_bytes: Annotated[int, Field(ge=16, le=16 * 1024 * 1024)] = Field(
        64 * 1024, description="larger payloads are dead-lettered as too_large"
    )
    max_future_s: Annotated[int, Field(ge=0)] = Field(
        300, description="measurement times further ahead than this are dead-lettered as timestamp_in_future"
    )
