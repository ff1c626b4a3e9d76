"""Configuration: ``RIDEBUY_*`` environment variables, each also a command-line flag (see :mod:`.commands`).

Every command has one settings class, put together from the groups it needs: the groups shared by several features
live with what they configure (:class:`BrokerSettings` here, ``StoreSettings`` in the store, ``RegistrySettings``
and ``MessageLimitsSettings`` in devices), each feature's own settings in the feature (``IngestSettings``,
``ApiSettings``, ...). A bad setting stops start-up with a sentence that names the setting and says why.
"""

from __future__ import annotations

from typing import Any, Literal, TypeVar, get_args
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_MQTT_URL = "mqtt://127.0.0.1:1883"

NOT_A_FLAG: dict[str, Any] = {"flag": False}
"""``json_schema_extra`` of a setting that comes from the environment only (a secret: command lines are visible to
every user of the machine)."""


class SettingsError(ValueError):
    """A setting is wrong; the message names it (as environment variable) and says why."""


class SettingsBase(BaseSettings):
    """What every command reads: the ``RIDEBUY_`` prefix and the log level."""

    model_config = SettingsConfigDict(env_prefix="RIDEBUY_", extra="ignore", frozen=True)

    log_level: str = Field("INFO", description="DEBUG, INFO, WARNING or ERROR")

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return value.upper()


class BrokerSettings(SettingsBase):
    """The MQTT broker every feature that speaks MQTT connects to."""

    mqtt_url: str = Field(DEFAULT_MQTT_URL, description="MQTT broker: mqtt://[user:pass@]host:port, mqtts:// for TLS")

    @field_validator("mqtt_url")
    @classmethod
    def _mqtt_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ValueError("must look like mqtt://host:port or mqtts://host:port")
        parts.port  # noqa: B018 - raises ValueError on a bad port
        return value


Language = Literal["fr", "nl", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)


class LanguageSettings(SettingsBase):
    """The town's language, for what officers and the council read (dashboards, the monthly report)."""

    language: Language = Field(
        "fr", description="the town's language (fr, nl or en): Grafana dashboards and the monthly report"
    )


S = TypeVar("S", bound=SettingsBase)


def load_settings(settings_class: type[S], **overrides: object) -> S:
    """Settings from the environment, with command-line values (not None) taking precedence."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return settings_class(**given)  # type: ignore[arg-type]
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        message = error["msg"].removeprefix("Value error, ")
        if not error["loc"]:
            raise SettingsError(f"settings do not fit together: {message}") from None
        name = str(error["loc"][0])
        raise SettingsError(
            f"setting RIDEBUY_{name.upper()} (--{name.replace('_', '-')}) is invalid: {message}"
        ) from None
