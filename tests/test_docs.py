"""The documentation stands on its own: every link inside the repository resolves, and no file cites a document
the repository does not contain."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tracked(*patterns: str) -> list[Path]:

    return sorted(path for pattern in patterns for path in ROOT.glob(pattern) if ".venv" not in path.parts)


MARKDOWN = _tracked("*.md", "docs/*.md")


def test_every_relative_link_in_the_docs_resolves() -> None:
    broken = []
    for page in MARKDOWN:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text()):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = target.split("#")[0]
            if not (page.parent / path).exists():
                broken.append(f"{page.relative_to(ROOT)} -> {target}")
    assert len(MARKDOWN) > 10
    assert broken == []


def test_no_file_cites_a_design_document_the_repository_lacks() -> None:
    sources = _tracked("*.md", "docs/*.md", "**/*.py", "*.toml", "*.yml", "scripts/*.sh")
    citing = [str(p.relative_to(ROOT)) for p in sources if p != Path(__file__) and "DESIGN.md" in p.read_text()]
    assert citing == []
