"""Load a registry without keeping the memory its parsing took.

Parsing YAML builds a node tree many times the size of the registry it yields (a 100,000-device file peaks near
450 MiB for an 85 MiB registry), and CPython's allocator keeps most of that peak for the life of the process. A
large file is therefore parsed in a short-lived child process and only the registry comes back.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from ridebuy.devices.registry import Registry, load_registry

LARGE_REGISTRY_BYTES = 1_000_000
"""Files from this size on are parsed in a child process (the Hannut sample is 5 KB: parsed in place)."""


def load_registry_lean(path: str | Path) -> Registry:
    """:func:`devices.registry.load_registry`, in a child process for large files; same result, same errors."""
    try:
        size = Path(path).stat().st_size
    except OSError:
        size = 0  # load_registry says what is wrong with the path
    if size < LARGE_REGISTRY_BYTES:
        return load_registry(path)
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("forkserver")) as pool:
        return pool.submit(load_registry, path).result()
