"""Registry files written the way people and tools write them, for the tests of registry reloading."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import yaml


def registry_text(data: dict[str, Any]) -> str:
    """YAML with the devices last, one per line."""
    head = {key: value for key, value in data.items() if key != "devices"}
    lines = [yaml.safe_dump(head, sort_keys=False).rstrip("\n"), "devices:"]
    lines += [f"  - {yaml.safe_dump(device, default_flow_style=True).strip()}" for device in data["devices"]]
    return "\n".join(lines) + "\n"


def split_before(text: str, device_id: str) -> tuple[str, str]:
    """A registry's text cut before the entry of ``device_id``; with the devices listed last, the first part is a
    valid registry that lacks that device and those after it."""
    match = re.search(rf"^[ ]*- (?:{{[^\n]*?)?\bid: {re.escape(device_id)}\b", text, re.MULTILINE)
    assert match is not None, f"no entry for {device_id} in the registry text"
    return text[: match.start()], text[match.start() :]


def begin_rewrite_in_place(path: Path, first: str) -> int:
    """Truncate ``path`` and write ``first`` into the same file (same inode), as ``cp`` or a slow writer does;
    the open file descriptor to finish with :func:`finish_rewrite_in_place`."""
    fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
    os.write(fd, first.encode())
    return fd


def finish_rewrite_in_place(fd: int, rest: str) -> None:
    os.write(fd, rest.encode())
    os.close(fd)


def replace_whole(path: Path, text: str) -> None:
    """Write a new file beside ``path`` and rename it over (what ``mv`` and ridebuy's own edits do)."""
    temporary = path.with_name(f".{path.name}.new")
    temporary.write_text(text)
    temporary.replace(path)
