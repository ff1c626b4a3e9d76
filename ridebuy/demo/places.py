"""Where the demo keeps its data: a SQLite file in the user's data directory, unless told otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from platformdirs import user_data_path

DEMO_DB = "demo.db"
DATA_DIR_ENV = "RIDEBUY_DEMO_DATA_DIR"
"""Overrides the data directory (tests, or a disk of one's choice)."""


def demo_data_dir() -> Path:
    """``RIDEBUY_DEMO_DATA_DIR``, else the platform's per-user data directory (``~/.local/share/ridebuy``,
    ``~/Library/Application Support/ridebuy``, ``%LOCALAPPDATA%\\ridebuy``)."""
    given = os.environ.get(DATA_DIR_ENV)
    return Path(given).expanduser() if given else user_data_path("ridebuy", appauthor=False)


def demo_db_path() -> Path:
    return demo_data_dir() / DEMO_DB
