"""The one translation table of the dashboards (``texts.yaml``) and its application to a dashboard model.

A model names a text by its key, as the whole string ``"t:<key>"``; :func:`translate` puts the words of one
language in its place. Column names and tag values (classes, directions, parking states) get their words through
Grafana display-name overrides and value mappings that :mod:`dashboards.build` adds from the same table.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

Language = Literal["fr", "nl", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "fr"
TEXTS_PATH = Path(__file__).parent / "texts.yaml"
KEY_PREFIX = "t:"

Texts = dict[str, dict[str, str]]


class MissingText(KeyError):
    """A model names a text the table does not have (or not in that language)."""


@cache
def load_texts(path: Path = TEXTS_PATH) -> Texts:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of text keys to {{fr, nl, en}}")
    return {str(key): {str(lang): str(text) for lang, text in value.items()} for key, value in data.items()}


def text(key: str, language: Language, texts: Texts | None = None) -> str:
    table = load_texts() if texts is None else texts
    try:
        return table[key][language]
    except KeyError:
        raise MissingText(f"text {key!r} has no {language!r} version in {TEXTS_PATH.name}") from None


def keys_used(model: Any) -> set[str]:
    """Every text key a model names, anywhere in it."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
        elif isinstance(node, str) and node.startswith(KEY_PREFIX):
            found.add(node.removeprefix(KEY_PREFIX))

    walk(model)
    return found


def translate(model: Any, language: Language, texts: Texts | None = None) -> Any:
    """A copy of ``model`` with every ``"t:<key>"`` string replaced by its text in ``language``."""
    if isinstance(model, dict):
        return {key: translate(value, language, texts) for key, value in model.items()}
    if isinstance(model, list):
        return [translate(value, language, texts) for value in model]
    if isinstance(model, str) and model.startswith(KEY_PREFIX):
        return text(model.removeprefix(KEY_PREFIX), language, texts)
    return model
