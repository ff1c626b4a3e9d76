"""Settings of the open-data feeds: the public base URL of their identifiers, the publisher and the licence."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ridebuy.shared.settings import SettingsBase


class OpenDataSettings(SettingsBase):
    public_base_url: str = Field(
        "",
        description="the API's public URL as the world reaches it (e.g. https://velo.hannut.be): the stem of the "
        "open-data identifiers and links; empty: the URL each request came in on (set it in production)",
    )
    open_data_publisher: str = Field(
        "ridebuy", description="who publishes the open data: the town or body, e.g. Commune de Hannut"
    )
    open_data_publisher_url: str = Field(
        "", description="web address identifying the publisher (e.g. https://www.hannut.be); empty: none"
    )
    open_data_licence: str = Field(
        "https://creativecommons.org/publicdomain/zero/1.0/",
        description="URL of the licence of the open-data feeds (default: CC0 1.0, no conditions)",
    )
    open_data_country: Annotated[str, Field(pattern=r"^[A-Z]{2}$")] = Field(
        "BE", description="ISO 3166-1 country code of the publisher (DATEX II publicationCreator)"
    )
    open_data_language: Annotated[str, Field(pattern=r"^[a-z]{2}$")] = Field(
        "fr", description="ISO 639-1 language of names and descriptions in the open-data feeds"
    )
    open_data_max_days: Annotated[int, Field(ge=1, le=3660)] = Field(
        366, description="longest date range one /open-data/counters/measures.csv request may ask for, in days"
    )

    @field_validator("public_base_url", "open_data_publisher_url", "open_data_licence")
    @classmethod
    def _web_address(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if value.strip() and (parts.scheme not in ("http", "https") or not parts.hostname or parts.query):
            raise ValueError(f"'{value}' is not a web address: http(s)://host[/path], e.g. https://velo.hannut.be")
        return value.strip()

    @field_validator("public_base_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")  # paths are appended to it
