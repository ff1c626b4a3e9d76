"""Edit the registry file in place: adopt a device, remove one. Shared by the admin API and ``ridebuy devices``.

The file is the town's own: its comments, order, quoting and flow or block style are kept (ruamel.yaml round
trip); only the one entry changes. Every edit runs under a file lock beside the registry, so two writers (the API
and the command line, two API replicas) cannot interleave, and replaces the file atomically, so that readers and the
services that poll it (ingest, api) see the old or the new registry, never a part. Before anything is written, the
new registry is validated like at start-up, and the text about to be written is read back and must mean exactly
that registry.
"""

from __future__ import annotations

import io
import logging
import re
import stat
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
from filelock import FileLock, Timeout
from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError as RuamelYAMLError
from ruamel.yaml.util import load_yaml_guess_indent

from ridebuy.devices.codecs import registry_problems
from ridebuy.devices.registry import Device, Registry, RegistryError, parse_registry, sample_registry_path
from ridebuy.shared.atomic_file import write_atomically

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 10.0
"""How long an edit waits for the lock while no other edit of the same registry completes, before giving up (the
holder is then taken to be stuck). While other edits complete it waits on: a queue of edits of a large registry
(1.7 s each with 1,000 devices) must not fail the ones at its end."""
_DEVICE_AT_INDEX = re.compile(r"^devices\[\d+\] \(id '([^']*)'\), ")


class RegistryEditError(ValueError):
    """An edit that cannot be made; the message says why, in a sentence."""


class DeviceExists(RegistryEditError):
    """The id is already in the registry (HTTP 409)."""


class DeviceMissing(RegistryEditError):
    """No device with that id (HTTP 404)."""


class InvalidDevice(RegistryEditError):
    """The entry, or the registry with it, would not be valid (HTTP 422)."""


class RegistryFileError(RegistryEditError):
    """The file cannot be read, locked, understood or written (HTTP 503: nothing was changed)."""


def lock_path(path: Path) -> Path:
    """The lock file of a registry: hidden, beside it (the directory must be writable for the atomic replace)."""
    return path.with_name(f".{path.name}.lock")


def device_from_entry(entry: Mapping[str, Any]) -> Device:
    """A registry device entry (as a mapping, e.g. from command-line flags) validated alone; InvalidDevice
    naming the field otherwise."""
    try:
        return Device.model_validate(dict(entry))
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(part) for part in error["loc"]) or "(entry)"
        message = error["msg"].removeprefix("Value error, ")
        raise InvalidDevice(f"device entry, field '{field}': {message}") from None


def device_entry(device: Device) -> dict[str, Any]:
    """What goes into the file: the fields given, in the registry's order (an unset ``heartbeat_s`` stays unset,
    so the codec's default applies), the DevEUI in upper case."""
    entry = device.model_dump(mode="json", exclude_unset=True)
    if entry.get("dev_eui"):
        entry["dev_eui"] = str(entry["dev_eui"]).upper()
    return entry


def adopt_device(path: Path, device: Device) -> Registry:
    """Add ``device`` to the registry file; the new registry. DeviceExists, InvalidDevice or RegistryFileError
    (the file is then unchanged)."""
    entry = device_entry(device)
    with _locked(path):
        text, document, data = _read(path)
        current = _current(path, data)
        if device.id in current.device_by_id:
            raise DeviceExists(f"a device with id '{device.id}' is already in the registry")
        devices = list(data.get("devices") or [])
        updated = _validated({**data, "devices": [*devices, entry]}, device.id)
        _append(document, entry)
        _write(path, text, document, updated)
    log.info("registry %s: adopted device '%s' (%s)", path, device.id, ", ".join(f"{k}={v}" for k, v in entry.items()))
    return updated


def remove_device(path: Path, device_id: str) -> Registry:
    """Take the device ``device_id`` out of the registry file; the new registry. DeviceMissing or
    RegistryFileError (the file is then unchanged)."""
    with _locked(path):
        text, document, data = _read(path)
        current = _current(path, data)
        if device_id not in current.device_by_id:
            raise DeviceMissing(f"no device with id '{device_id}' in the registry")
        devices = [d for d in data.get("devices") or [] if not (isinstance(d, dict) and d.get("id") == device_id)]
        updated = _validated({**data, "devices": devices}, device_id)
        sequence = document["devices"]
        for index in reversed(range(len(sequence))):
            item = sequence[index]
            if isinstance(item, Mapping) and item.get("id") == device_id:
                del sequence[index]
        _write(path, text, document, updated)
    log.info("registry %s: removed device '%s'", path, device_id)
    return updated


# Internals ---------------------------------------------------------------------------------------------------


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    if path.resolve() == sample_registry_path().resolve():
        raise RegistryFileError(
            f"{path} is the sample registry shipped with ridebuy, not the town's own: copy it, point RIDEBUY_REGISTRY "
            "(--registry) at the copy and edit that"
        )
    lock = FileLock(lock_path(path), timeout=LOCK_TIMEOUT_S)
    version = _version(path)
    while True:
        try:
            lock.acquire()
            break
        except Timeout:
            # Every edit replaces the file (a new inode): if one completed meanwhile, the lock is not stuck but
            # shared by a queue of edits; wait on. Otherwise the holder has held it for LOCK_TIMEOUT_S.
            now = _version(path)
            if now == version:
                raise RegistryFileError(
                    f"{path}: another edit of the registry holds {lock_path(path).name} for more than "
                    f"{LOCK_TIMEOUT_S:g} s"
                ) from None
            log.info("registry %s: other edits completed while this one waited for the lock; waiting on", path)
            version = now
        except OSError as exc:
            raise RegistryFileError(f"{path}: cannot lock the registry ({exc.strerror})") from None
    try:
        yield
    finally:
        lock.release()


def _version(path: Path) -> tuple[int, int, int] | None:
    """What changes when an edit replaces the file: its inode, size and modification time."""
    try:
        status = path.stat()
    except OSError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def _round_trip(text: str) -> YAML:
    """A YAML round-tripper that writes back in the file's own indentation, without re-wrapping long lines."""
    _, indent, block_seq_indent = load_yaml_guess_indent(text) if text.strip() else (None, 2, 2)
    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    round_trip.indent(mapping=indent or 2, sequence=indent or 2, offset=block_seq_indent or 0)
    return round_trip


def _read(path: Path) -> tuple[str, CommentedMap, dict[str, Any]]:
    """The text, its round-trip document and its plain data (read as ``load_registry`` reads it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot read the registry ({exc.strerror})") from None
    try:
        data = yaml.safe_load(text)
        document = _round_trip(text).load(text) if text.strip() else CommentedMap()
    except (yaml.YAMLError, RuamelYAMLError) as exc:
        raise RegistryFileError(f"{path}: the registry is not valid YAML; fix it first ({exc})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict) or not isinstance(document, CommentedMap):
        raise RegistryFileError(f"{path}: the registry must be a mapping with parkings, counters and devices")
    return text, document, data


def _current(path: Path, data: dict[str, Any]) -> Registry:
    try:
        return parse_registry(data, str(path))
    except RegistryError as exc:
        raise RegistryFileError(f"the registry file is not valid; fix it first: {exc}") from None


def _validated(data: dict[str, Any], device_id: str) -> Registry:
    """The registry ``data`` describes, checked like at start-up (references, capacity, DevEUIs, codec)."""
    try:
        registry = parse_registry(data, "registry")
    except RegistryError as exc:
        message = str(exc).removeprefix("registry: ")
        raise InvalidDevice(_DEVICE_AT_INDEX.sub(r"device '\1', ", message)) from None
    problems = [p for p in registry_problems(registry) if p.startswith(f"device '{device_id}':")]
    if problems:
        raise InvalidDevice("; ".join(problems))
    return registry


def _append(document: CommentedMap, entry: dict[str, Any]) -> None:
    sequence = document.get("devices")
    if not isinstance(sequence, CommentedSeq):
        sequence = CommentedSeq()
        document["devices"] = sequence
    item = CommentedMap(entry)
    last = sequence[-1] if len(sequence) else None
    if isinstance(last, CommentedMap) and last.fa.flow_style():  # the file lists devices one per line: so do we
        item.fa.set_flow_style()
    sequence.append(item)


def _write(path: Path, original: str, document: CommentedMap, expected: Registry) -> None:
    out = io.StringIO()
    _round_trip(original).dump(document, out)
    text = out.getvalue()
    # What is written must mean what was validated (YAML 1.1 readers and 1.2 writers disagree on a few scalars).
    try:
        reread = parse_registry(yaml.safe_load(text), str(path))
    except (yaml.YAMLError, RegistryError) as exc:
        raise RegistryFileError(f"{path}: the edited registry would not read back ({exc}); nothing written") from None
    if reread != expected:
        raise RegistryFileError(f"{path}: the edited registry would read back differently; nothing written")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        write_atomically(path, text, mode)
    except OSError as exc:
        raise RegistryFileError(f"{path}: cannot write the registry ({exc.strerror})") from None
