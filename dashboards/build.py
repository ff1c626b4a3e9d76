"""Build the dashboards Grafana gets, in one language, for one registry, from the models and the texts table.

The models (``models/*.json``) hold the layout and the queries, with every word replaced by a text key; the
builder fills in the map panel from the registry, the Ride and Buy variables' defaults from
:mod:`devices.ride_and_buy`, column names and legend words (classes, directions, parking states, parking and
counter names) as Grafana overrides, and finally the words of the language.
"""

from __future__ import annotations

import copy
import itertools
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ridebuy.dashboards.geomap import map_targets, map_view
from ridebuy.dashboards.texts import DEFAULT_LANGUAGE, KEY_PREFIX, Language, Texts, load_texts, text, translate
from ridebuy.devices.registry import Registry, load_registry, sample_registry_path
from ridebuy.devices.ride_and_buy import DEFAULT_ASSUMPTIONS, RideAndBuyAssumptions

MODELS_DIR = Path(__file__).parent / "models"
ASSUMPTION_VARIABLES = ("trip_km", "car_share", "co2_g_per_km", "full_pct")
"""Dashboard variables whose default is the field of the same name of :class:`RideAndBuyAssumptions`."""
WORDED_TAGS = ("class", "direction")
"""Tags whose values get words from the texts table (``values.<tag>.<value>``)."""
NAMED_TAGS = ("parking", "counter")
"""Tags whose values get their name from the registry."""

Dashboard = dict[str, Any]
Panel = dict[str, Any]


def model_paths() -> list[Path]:
    return sorted(MODELS_DIR.glob("*.json"))


def load_models() -> list[Dashboard]:
    """The language-neutral models, in file-name order."""
    return [json.loads(path.read_text(encoding="utf-8")) for path in model_paths()]


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def set_assumption_defaults(dashboard: Dashboard, assumptions: RideAndBuyAssumptions) -> None:
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["name"] in ASSUMPTION_VARIABLES:
            value = _number_text(getattr(assumptions, variable["name"]))
            variable["query"] = value
            variable["current"] = {"selected": False, "text": value, "value": value}
            variable["options"] = [{"selected": True, "text": value, "value": value}]


def _tag_words(texts: Texts, registry: Registry, language: Language) -> dict[str, dict[str, str]]:
    """tag -> value -> what to show: its words in ``language``, or its name from the registry."""
    words: dict[str, dict[str, str]] = {tag: {} for tag in (*WORDED_TAGS, "status")}
    for key in texts:
        parts = key.split(".")
        if parts[0] == "values" and len(parts) == 3 and parts[1] in words:
            words[parts[1]][parts[2]] = text(key, language, texts)
    words["parking"] = {p.id: p.name for p in registry.parkings}
    words["counter"] = {c.id: c.name for c in registry.counters}
    return words


def _override(name: str, properties: list[dict[str, Any]]) -> dict[str, Any]:
    return {"matcher": {"id": "byName", "options": name}, "properties": properties}


def _value_mapping(words: Mapping[str, str]) -> dict[str, Any]:
    options = {value: {"text": word, "index": index} for index, (value, word) in enumerate(words.items())}
    return {"type": "value", "options": options}


def _fields_in(panel: Panel) -> set[str]:
    """Field names a panel's queries produce: aliases and tags (quoted), and Grafana's ``Time``."""
    names = {"Time"}
    for target in panel.get("targets", []):
        names |= set(re.findall(r'"(\w+)"', target["query"]))
    return names


def _alias_overrides(alias: str, words: Mapping[str, Mapping[str, str]]) -> list[dict[str, Any]]:
    """For an alias such as ``$tag_direction · $tag_class``: one display name per combination of values."""
    tags = [tag for tag in re.findall(r"\$tag_(\w+)", alias) if words.get(tag)]
    if not tags or re.findall(r"\$tag_(\w+)", alias) != tags:
        return []
    overrides = []
    for combination in itertools.product(*(words[tag].items() for tag in tags)):
        raw, shown = alias, alias
        for tag, (value, word) in zip(tags, combination, strict=True):
            raw = raw.replace(f"$tag_{tag}", value)
            shown = shown.replace(f"$tag_{tag}", word)
        overrides.append(_override(raw, [{"id": "displayName", "value": shown}]))
    return overrides


def add_words(panel: Panel, texts: Texts, words: Mapping[str, Mapping[str, str]]) -> None:
    """Column names and value words for a panel, as overrides appended after the model's own."""
    overrides: list[dict[str, Any]] = panel.setdefault("fieldConfig", {}).setdefault("overrides", [])
    fields = _fields_in(panel)
    tabular = panel["type"] in ("table", "geomap")
    if tabular:
        for name in sorted(fields):
            if f"fields.{name}" in texts:
                overrides.append(_override(name, [{"id": "displayName", "value": f"{KEY_PREFIX}fields.{name}"}]))
        for tag in (*WORDED_TAGS, *NAMED_TAGS, "status"):
            if tag in fields and words.get(tag):
                overrides.append(_override(tag, [{"id": "mappings", "value": [_value_mapping(words[tag])]}]))
    for target in panel.get("targets", []):
        overrides.extend(_alias_overrides(target.get("alias", ""), words))


def fill_map(panel: Panel, registry: Registry, assumptions: RideAndBuyAssumptions) -> None:
    panel["targets"] = map_targets(registry)
    panel["options"]["view"] = map_view(registry)
    for override in panel["fieldConfig"]["overrides"]:
        if override["matcher"]["options"] == "occupancy":
            for prop in override["properties"]:
                if prop["id"] == "thresholds":
                    prop["value"]["steps"][-1]["value"] = assumptions.full_pct


def build_dashboard(
    model: Dashboard,
    language: Language,
    registry: Registry,
    assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS,
    texts: Texts | None = None,
) -> Dashboard:
    table = load_texts() if texts is None else texts
    dashboard = copy.deepcopy(model)
    set_assumption_defaults(dashboard, assumptions)
    words = _tag_words(table, registry, language)
    for panel in dashboard["panels"]:
        if panel["type"] == "geomap":
            fill_map(panel, registry, assumptions)
        add_words(panel, table, words)
    built: Dashboard = translate(dashboard, language, table)
    return built


def build_dashboards(
    language: Language = DEFAULT_LANGUAGE,
    registry: Registry | None = None,
    assumptions: RideAndBuyAssumptions = DEFAULT_ASSUMPTIONS,
    models: Iterable[Dashboard] | None = None,
) -> list[Dashboard]:
    """Every dashboard in ``language`` for ``registry`` (the Hannut sample when None)."""
    registry = registry or load_registry(sample_registry_path())
    return [build_dashboard(model, language, registry, assumptions) for model in (models or load_models())]


def write_dashboards(dashboards: Iterable[Dashboard], out_dir: Path) -> list[Path]:
    """Write each dashboard as ``<out_dir>/<uid without the ridebuy- prefix>.json`` (what provisioning reads)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for dashboard in dashboards:
        path = out_dir / f"{dashboard['uid'].removeprefix('ridebuy-')}.json"
        path.write_text(json.dumps(dashboard, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        paths.append(path)
    return paths
