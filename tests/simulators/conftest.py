"""Fixtures of the simulator tests: the packaged Hannut registry and fixed moments in local time."""

from __future__ import annotations

from datetime import datetime

import pytest

from ridebuy.devices.registry import Registry, load_registry, sample_registry_path
from ridebuy.simulators.clock import LOCAL_TZ


@pytest.fixture(scope="session")
def hannut() -> Registry:
    return load_registry(sample_registry_path())


def local_epoch(text: str) -> float:
    """Epoch seconds of a local Hannut date-time such as ``2026-05-04T08:30`` (a Monday)."""
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL_TZ).timestamp()
