"""Display panels in the registry: which parkings a town's panel shows, in which order and languages.

```yaml
panels:
  - id: entree-nord
    title: {fr: "Parkings vélo du centre", nl: "Fietsparkings centrum"}
    languages: [fr, nl]              # the page rotates through them
    parkings:
      - grand-place                  # just the id...
      - {parking: gare-bus, arrow: right, direction: "200 m"}   # ...or with an arrow and a direction text
    message: {fr: "Bienvenue à Hannut", nl: "Welkom in Hannuit"}   # optional
    ride_and_buy: true               # optional line: this month's cyclist visits and CO2 avoided
```

Texts (``title``, ``message``, ``direction``) are one string for every language or a mapping with one text per
language of the panel. References to parkings are checked by the registry (:func:`panel_reference_errors`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from enum import StrEnum
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, field_validator, model_validator

from ridebuy.devices.ids import Identifier

MAX_PANEL_PARKINGS = 24


class Language(StrEnum):
    FR = "fr"
    NL = "nl"
    DE = "de"
    EN = "en"


class Arrow(StrEnum):
    """Where to ride to reach the parking, as on a guidance sign."""

    AHEAD = "ahead"
    AHEAD_RIGHT = "ahead-right"
    RIGHT = "right"
    BACK_RIGHT = "back-right"
    BACK = "back"
    BACK_LEFT = "back-left"
    LEFT = "left"
    AHEAD_LEFT = "ahead-left"


ARROW_GLYPHS: Mapping[Arrow, str] = {
    Arrow.AHEAD: "↑",
    Arrow.AHEAD_RIGHT: "↗",
    Arrow.RIGHT: "→",
    Arrow.BACK_RIGHT: "↘",
    Arrow.BACK: "↓",
    Arrow.BACK_LEFT: "↙",
    Arrow.LEFT: "←",
    Arrow.AHEAD_LEFT: "↖",
}
ARROW_ASCII: Mapping[Arrow, str] = {
    Arrow.AHEAD: "^",
    Arrow.AHEAD_RIGHT: "^>",
    Arrow.RIGHT: "->",
    Arrow.BACK_RIGHT: "v>",
    Arrow.BACK: "v",
    Arrow.BACK_LEFT: "<v",
    Arrow.LEFT: "<-",
    Arrow.AHEAD_LEFT: "<^",
}
"""Two characters at most, for signs without arrows in their font."""

MAX_TEXT_CHARS = 200


def _local_text(value: Any) -> str | dict[str, str]:
    """A text, or one per language; one clear sentence when it is neither (not one per union branch)."""

    def checked(text: Any, what: str) -> str:
        if not isinstance(text, str) or not 1 <= len(text.strip()) <= MAX_TEXT_CHARS:
            raise ValueError(f"{what}must be a text of 1 to {MAX_TEXT_CHARS} characters")
        return text

    if isinstance(value, str):
        return checked(value, "")
    if isinstance(value, dict) and value:
        texts: dict[str, str] = {}
        for key, text in value.items():
            if key not in Language.__members__.values():
                raise ValueError(f"'{key}' is not a language ({', '.join(Language)})")
            texts[Language(key).value] = checked(text, f"the '{key}' text ")
        return texts
    raise ValueError(f"must be a text, or a mapping of language ({', '.join(Language)}) to text")


LocalText = Annotated[str | dict[str, str], PlainValidator(_local_text)]
"""One text for every language, or one per language (keys: values of :class:`Language`)."""


class _PanelEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PanelParking(_PanelEntry):
    parking: Identifier
    arrow: Arrow | None = None
    direction: LocalText | None = None
    """A short direction text next to the figure, e.g. "200 m" or "rue de Huy"."""


class Panel(_PanelEntry):
    id: Identifier
    title: LocalText
    parkings: Annotated[list[PanelParking], Field(min_length=1, max_length=MAX_PANEL_PARKINGS)]
    languages: Annotated[list[Language], Field(min_length=1, max_length=len(Language))] = Field(
        default_factory=lambda: [Language.FR]
    )
    rotate_s: Annotated[int, Field(ge=2, le=300)] = 8
    """Seconds each language stays on screen when there are several."""
    message: LocalText | None = None
    ride_and_buy: bool = False
    """Show this month's cyclist visits and estimated CO2 avoided on the message line."""

    @field_validator("parkings", mode="before")
    @classmethod
    def _ids_as_entries(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"parking": item} if isinstance(item, str) else item for item in value]
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("'languages' lists a language twice")
        seen: set[str] = set()
        for entry in self.parkings:
            if entry.parking in seen:
                raise ValueError(f"'parkings' lists '{entry.parking}' twice")
            seen.add(entry.parking)
        for name, text in self._texts():
            if isinstance(text, dict):
                missing = [lang.value for lang in self.languages if lang not in text]
                if missing:
                    raise ValueError(f"'{name}' has no text for {', '.join(missing)} (languages of the panel)")
        return self

    def _texts(self) -> Iterator[tuple[str, LocalText]]:
        yield "title", self.title
        if self.message is not None:
            yield "message", self.message
        for index, entry in enumerate(self.parkings):
            if entry.direction is not None:
                yield f"parkings.{index}.direction", entry.direction

    @property
    def parking_ids(self) -> list[str]:
        return [entry.parking for entry in self.parkings]


def text_in(text: LocalText, language: Language) -> str:
    """The text in ``language`` (a mapping always has one: the panel's validation sees to it)."""
    return text if isinstance(text, str) else text[language]


def panel_reference_errors(panels: list[Panel], parking_ids: Mapping[str, object]) -> Iterator[tuple[int, str, str]]:
    """``(index, field, message)`` of each panel entry naming a parking the registry does not have."""
    for index, panel in enumerate(panels):
        for position, entry in enumerate(panel.parkings):
            if entry.parking not in parking_ids:
                yield index, f"parkings.{position}.parking", f"unknown parking '{entry.parking}'"


PANEL_TOPIC_ROOT = "ridebuy/v1/panels"
PANEL_TREE = f"{PANEL_TOPIC_ROOT}/#"
"""Where the API publishes every panel's state, retained; only the API may publish there."""


def panel_topic(panel_id: str) -> str:
    return f"{PANEL_TOPIC_ROOT}/{panel_id}"
