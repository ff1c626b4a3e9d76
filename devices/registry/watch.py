"""Notice edits of the registry file (an adopted device, a new parking) so services pick them up live.

A file being written is not a registry yet: someone copying a file over it in place (``cp``, an editor that
truncates and rewrites) leaves it half written for a while, and half a registry may well parse. So an edit is taken
only once the file has settled (unchanged for ``settle_s``), still the same after it was read, and valid; and an
edit that drops devices, parkings or counters is taken only if the file was replaced whole (a new file renamed over
it: ``ridebuy devices remove``, the admin API, ``mv``), never when it was rewritten in place. Until then the
running registry stays, and the log says why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ridebuy.devices.registry import Registry, RegistryError
from ridebuy.devices.registry.load import load_registry_lean

log = logging.getLogger(__name__)

SETTLE_S = 1.0
"""A registry file modified more recently than this may still be being written: it is read at the next poll."""
NAMES_IN_LOG = 5


@dataclass(frozen=True, slots=True)
class _Signature:
    inode: int
    mtime_ns: int
    size: int


class RegistryWatcher:
    """Polls a registry file; :meth:`changed` returns the new registry once an edit is complete and acceptable."""

    def __init__(
        self,
        path: Path,
        current: Registry,
        settle_s: float = SETTLE_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._path = path
        self._current = current
        self._settle_s = settle_s
        self._clock = clock
        self._signature = self._stat()

    def _stat(self) -> _Signature | None:
        try:
            stat = self._path.stat()
        except OSError:
            return None
        return _Signature(stat.st_ino, stat.st_mtime_ns, stat.st_size)

    def changed(self) -> Registry | None:
        """The reloaded registry if the file changed, settled, parses and is acceptable; None otherwise (a refused
        edit is logged once, and the running registry stays)."""
        signature = self._stat()
        if signature is None or signature == self._signature:
            return None
        if self._clock() - signature.mtime_ns / 1e9 < self._settle_s:
            return None  # still being written, perhaps: look again at the next poll
        try:
            registry = load_registry_lean(self._path)
        except RegistryError as exc:
            if self._stat() == signature:
                self._signature = signature
                log.error("registry changed but cannot be used, keeping the previous one: %s", exc)
            return None
        if self._stat() != signature:
            return None  # written to while it was read: wait until it settles
        previous, self._signature = self._signature, signature
        replaced_whole = previous is None or previous.inode != signature.inode
        dropped = _dropped(self._current, registry)
        if dropped and not replaced_whole:
            log.error(
                "registry %s was rewritten in place and now lacks %d of the running registry's entries (%s): not "
                "taken, as it may be half written; keeping the previous one. To remove entries on purpose, use "
                "`ridebuy devices remove`, or write the new file beside it and rename it over the registry (mv)",
                self._path,
                len(dropped),
                _names(dropped),
            )
            return None
        if dropped:
            log.warning("registry %s replaced: %d entries removed (%s)", self._path, len(dropped), _names(dropped))
        self._current = registry
        return registry


def _dropped(old: Registry, new: Registry) -> list[str]:
    """What ``old`` lists and ``new`` does not, as ``kind id``."""
    return [
        *(f"device {i}" for i in old.device_by_id.keys() - new.device_by_id.keys()),
        *(f"parking {i}" for i in old.parking_by_id.keys() - new.parking_by_id.keys()),
        *(f"counter {i}" for i in old.counter_by_id.keys() - new.counter_by_id.keys()),
    ]


def _names(dropped: list[str]) -> str:
    names = ", ".join(sorted(dropped)[:NAMES_IN_LOG])
    return names + (f" and {len(dropped) - NAMES_IN_LOG} more" if len(dropped) > NAMES_IN_LOG else "")
