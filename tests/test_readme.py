"""What the README promises exists: its scripts, its commands, its documents and its picture."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support.processes import Processes

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def test_set_up_scripts_exist_and_are_executable() -> None:
    for script in ("scripts/demo.sh", "scripts/test.sh"):
        assert f"{script}" in README
        assert (ROOT / script).stat().st_mode & 0o111, script
    assert "scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


def test_demo_script_runs_the_demo_command(processes: Processes) -> None:
    result = processes.run(["bash", str(ROOT / "scripts" / "demo.sh"), "--help"], timeout_s=300)
    assert result.returncode == 0, result.stderr
    assert "usage: ridebuy demo" in result.stdout


COMMANDS = sorted(set(re.findall(r"(?:`|^)ridebuy ((?:devices|dashboards) [a-z-]+|[a-z]+)", README, re.MULTILINE)))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_the_readme_names_exists(command: str, processes: Processes) -> None:
    result = processes.ridebuy(*command.split(), "--help")
    assert result.returncode == 0, f"ridebuy {command}: {result.stderr}"


def test_commands_were_found() -> None:
    assert {"ingest", "api", "simulate", "demo", "devices mosquitto-acl", "devices adopt", "dashboards push"} <= set(
        COMMANDS
    )


def test_every_linked_file_exists() -> None:
    links = re.findall(r"\]\(([^)#]+)\)", README) + re.findall(r'src="([^"]+)"', README)
    assert links
    missing = [link for link in links if not link.startswith("http") and not (ROOT / link).exists()]
    assert missing == []
