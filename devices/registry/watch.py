"""Notice edits of the registry file (an adopted device, a new parking) so services pick them up live."""

from __future__ import annotations

import logging
from pathlib import Path

from ridebuy.devices.registry import Registry, RegistryError
from ridebuy.devices.registry.load import load_registry_lean

log = logging.getLogger(__name__)


class RegistryWatcher:
    """Polls a registry file's modification time and size; returns the new registry when it changed."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._signature = self._stat()

    def _stat(self) -> tuple[int, int] | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return (stat.st_mtime_ns, stat.st_size)

    def changed(self) -> Registry | None:
        """The reloaded registry if the file changed and is valid; None otherwise (a bad edit is logged, the
        running registry stays)."""
        signature = self._stat()
        if signature is None or signature == self._signature:
            return None
        self._signature = signature
        try:
            return load_registry_lean(self._path)
        except RegistryError as exc:
            log.error("registry changed but cannot be used, keeping the previous one: %s", exc)
            return None
