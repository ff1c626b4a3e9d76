"""Replace a file all at once: readers, and a watcher polling it, see the old or the new file, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, text: str, mode: int, group_id: int | None = None) -> None:
    """Replace ``path`` by ``text`` all at once: readers see the old or the new file, never a part.

    The temporary file is created 0600 (``mkstemp``), so a secret is never readable by others, even briefly;
    ``group_id`` (if given) becomes its group before the mode opens it to that group.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if group_id is not None:
            os.chown(temporary, -1, group_id)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
