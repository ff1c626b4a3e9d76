"""The one translation table: every text in French, Dutch and English, plain words, and the built dashboards use it
for every word an officer reads."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ridebuy.dashboards.build import build_dashboards, load_models
from ridebuy.dashboards.texts import KEY_PREFIX, LANGUAGES, Language, keys_used, load_texts
from ridebuy.devices.availability import ParkingStatus
from ridebuy.devices.payloads import Direction, TrafficClass

TEXTS = load_texts()
ENGINEERS_WORDS = re.compile(
    r"dead.?letter|heartbeat|carried forward|IANA|GROUP BY|InfluxQL|payload|ingest|\bRSSI\b|\btag\b|fill\(",
    re.IGNORECASE,
)


def test_every_text_has_all_three_languages() -> None:
    for key, versions in TEXTS.items():
        assert set(versions) == set(LANGUAGES), f"{key}: {sorted(versions)}"
        for language, words in versions.items():
            assert words.strip(), f"{key} is empty in {language}"


def test_every_language_names_the_same_dashboard_variables() -> None:
    for key, versions in TEXTS.items():
        variables = {language: sorted(re.findall(r"\$\w+", words)) for language, words in versions.items()}
        assert len({tuple(found) for found in variables.values()}) == 1, f"{key}: {variables}"


def test_no_engineers_words() -> None:
    for key, versions in TEXTS.items():
        for language, words in versions.items():
            assert not ENGINEERS_WORDS.search(words), f"{key} ({language}): {words}"


def test_every_key_the_models_name_is_in_the_table_and_every_text_is_used() -> None:
    named = set().union(*(keys_used(model) for model in load_models()))
    assert named - set(TEXTS) == set()
    by_builder = {key for key in TEXTS if key.startswith(("fields.", "values."))}
    assert set(TEXTS) - named - by_builder == set(), "texts no model names"
    built = json.dumps(build_dashboards("fr"), ensure_ascii=False)
    for key in sorted(by_builder):
        if key.startswith("fields."):
            assert json.dumps(TEXTS[key]["fr"], ensure_ascii=False) in built, f"{key} is never shown"


def test_values_cover_every_class_direction_and_parking_state() -> None:
    for tag, enum in (("class", TrafficClass), ("direction", Direction), ("status", ParkingStatus)):
        assert {key.split(".")[2] for key in TEXTS if key.startswith(f"values.{tag}.")} == {m.value for m in enum}


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_built_dashboards_carry_the_words_of_their_language(language: Language) -> None:
    dashboards = build_dashboards(language)
    strings = [s for dashboard in dashboards for s in _strings(dashboard)]
    assert not [s for s in strings if s.startswith(KEY_PREFIX)], "a text key was left untranslated"
    for dashboard in dashboards:
        for panel in dashboard["panels"]:
            for field in ("title", "description"):
                assert panel[field] in {v[language] for v in TEXTS.values()}, panel[field]
        for variable in dashboard["templating"]["list"]:
            if variable.get("label"):
                assert variable["label"] in {v[language] for v in TEXTS.values()}


def test_the_three_languages_differ_only_in_words() -> None:
    def skeleton(node: Any) -> Any:
        if isinstance(node, dict):
            return {key: skeleton(value) for key, value in node.items()}
        if isinstance(node, list):
            return [skeleton(value) for value in node]
        return type(node).__name__

    built = {language: build_dashboards(language) for language in LANGUAGES}
    assert skeleton(built["fr"]) == skeleton(built["nl"]) == skeleton(built["en"])
    queries = {
        language: [t["query"] for d in dashboards for p in d["panels"] for t in p["targets"]]
        for language, dashboards in built.items()
    }
    assert queries["fr"] == queries["nl"] == queries["en"]
    assert built["fr"][0]["title"] != built["nl"][0]["title"] != built["en"][0]["title"]
