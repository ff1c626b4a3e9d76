"""The shape of the code: one namespace, layers that only import downwards, no import cycle (docs/design.md)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]
FEATURES = ("api", "ingest", "devices", "simulators", "dashboards")


@pytest.fixture(scope="module")
def graph() -> grimp.ImportGraph:
    return grimp.build_graph("ridebuy")


def test_the_feature_folders_are_the_ridebuy_subpackages() -> None:
    for feature in FEATURES:
        link = ROOT / "ridebuy" / feature
        assert link.is_symlink() and link.resolve() == (ROOT / feature).resolve(), feature


def test_no_module_imports_a_module_that_imports_it_back(graph: grimp.ImportGraph) -> None:
    cycles = []
    for module in sorted(graph.modules):
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            chain = graph.find_shortest_chain(importer=imported, imported=module)
            if chain:
                cycles.append(" -> ".join((module, *chain)))
    assert cycles == []


def test_every_package_is_in_a_layer(graph: grimp.ImportGraph) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = {
        name.strip() for contract in config["contracts"] for layer in contract["layers"] for name in layer.split("|")
    }
    top_level = {module for module in graph.modules if module.count(".") == 1}
    assert top_level - layers == set(), "add the new package to a layer in [tool.importlinter]"


def test_no_generic_top_level_package_is_installed() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["packages"]["find"]["include"] == ["ridebuy*"]
