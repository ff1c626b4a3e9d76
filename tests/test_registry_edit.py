"""Editing the registry file: the rest of the file kept, validated first, atomic, one writer at a time; the CLI."""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
import yaml
from filelock import FileLock, Timeout

import ridebuy.devices.registry.edit as registry_edit
from ridebuy.devices.registry import Device, load_registry, sample_registry_path
from ridebuy.devices.registry.edit import (
    DeviceExists,
    DeviceMissing,
    InvalidDevice,
    RegistryFileError,
    adopt_device,
    device_from_entry,
    lock_path,
    remove_device,
)
from tests.devices.helpers import SMALL
from tests.support.processes import Processes
from tests.support.waiting import wait_until


@pytest.fixture
def hannut(tmp_path: Path) -> Path:
    path = tmp_path / "hannut.yaml"
    shutil.copy(sample_registry_path(), path)
    path.chmod(0o640)
    return path


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL, sort_keys=False))
    return path


def added_lines(before: str, after: str) -> list[str]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    assert not [line for line in diff[2:] if line.startswith("-")], diff
    return [line[1:] for line in diff[2:] if line.startswith("+")]


def test_adopting_adds_one_line_and_keeps_comments_and_style(hannut: Path) -> None:
    before = hannut.read_text()
    device = Device(
        id="hv-slot-05",
        kind="slot",
        parking="hotel-de-ville",
        format="ttn",
        codec="bosch-tps110",
        dev_eui="70b3d5e75e00a005",
    )
    registry = adopt_device(hannut, device)
    assert added_lines(before, hannut.read_text()) == [
        "  - {id: hv-slot-05, kind: slot, parking: hotel-de-ville, format: ttn, codec: bosch-tps110, "
        "dev_eui: 70B3D5E75E00A005}"
    ]
    assert load_registry(hannut) == registry
    assert registry.device_by_dev_eui["70B3D5E75E00A005"].id == "hv-slot-05"
    assert "heartbeat_s" not in registry.device_by_id["hv-slot-05"].model_fields_set  # the codec's default holds
    assert oct(hannut.stat().st_mode & 0o777) == "0o640"


def test_adopting_into_a_block_style_file_writes_a_block_entry(small: Path) -> None:
    before = small.read_text()
    adopt_device(small, device_from_entry({"id": "cn-count-2", "kind": "counter", "counter": "centre-north"}))
    assert added_lines(before, small.read_text()) == ["- id: cn-count-2", "  kind: counter", "  counter: centre-north"]


def test_adopting_into_a_file_without_devices(tmp_path: Path) -> None:
    path = tmp_path / "new.yaml"
    path.write_text("# A town starting out.\nparkings:\n  - {id: p, name: P, lat: 50, lon: 5, capacity: 2}\n")
    adopt_device(path, device_from_entry({"id": "p-1", "kind": "rack", "parking": "p"}))
    assert path.read_text().startswith("# A town starting out.\n")
    assert [d.id for d in load_registry(path).devices] == ["p-1"]


@pytest.mark.parametrize(
    ("entry", "error", "message"),
    [
        (
            {"id": "gp-rack-1", "kind": "rack", "parking": "grand-place"},
            DeviceExists,
            "a device with id 'gp-rack-1' is already in the registry",
        ),
        (
            {"id": "x", "kind": "slot", "parking": "nowhere"},
            InvalidDevice,
            "device 'x', field 'parking': unknown parking 'nowhere'",
        ),
        (
            {"id": "x", "kind": "counter", "counter": "nowhere"},
            InvalidDevice,
            "device 'x', field 'counter': unknown counter 'nowhere'",
        ),
        (
            {"id": "x", "kind": "rack", "parking": "grand-place", "spaces": 11},
            InvalidDevice,
            "parkings[0] (id 'grand-place'), field 'capacity': its devices watch 13 spaces, more than the capacity 12",
        ),
        (
            {"id": "x", "kind": "slot", "parking": "gare", "dev_eui": "70b3d5e75e00a001"},
            InvalidDevice,
            "device 'x', field 'dev_eui': DevEUI already used by 'gare-tps'",
        ),
        (
            {"id": "x", "kind": "rack", "parking": "gare", "codec": "bosch-tps110"},
            InvalidDevice,
            "device 'x': codec 'bosch-tps110' serves slot devices, not rack",
        ),
    ],
)
def test_what_cannot_be_adopted_leaves_the_file_unchanged(
    small: Path, entry: dict[str, object], error: type[Exception], message: str
) -> None:
    adopt_device(
        small,
        device_from_entry(
            {
                "id": "gare-tps",
                "kind": "slot",
                "parking": "gare",
                "format": "ttn",
                "codec": "bosch-tps110",
                "dev_eui": "70B3D5E75E00A001",
            }
        ),
    )
    before = small.read_bytes()
    with pytest.raises(error) as raised:
        adopt_device(small, device_from_entry(entry))
    assert str(raised.value) == message
    assert small.read_bytes() == before


def test_a_bad_entry_names_its_field() -> None:
    with pytest.raises(InvalidDevice, match=r"^device entry, field 'kind': Input should be 'rack', 'slot' or"):
        device_from_entry({"id": "x", "kind": "bench", "parking": "p"})
    with pytest.raises(InvalidDevice, match=r"field 'dev_eui': String should match pattern"):
        device_from_entry({"id": "x", "kind": "slot", "parking": "p", "dev_eui": "not-hex"})


def test_removing_a_device(hannut: Path) -> None:
    before = hannut.read_text()
    registry = remove_device(hannut, "gp-slot-04")
    after = hannut.read_text()
    assert "gp-slot-04" not in after and "gp-slot-04" not in registry.device_by_id
    assert len(before.splitlines()) - len(after.splitlines()) == 1
    assert after.startswith(before.split("\nparkings:")[0])  # the header comments stay
    with pytest.raises(DeviceMissing, match="no device with id 'gp-slot-04'"):
        remove_device(hannut, "gp-slot-04")


def test_concurrent_writers_never_lose_an_edit(small: Path) -> None:
    """Eight writers adopting five devices each at once: every one of the 40 is in the file afterwards."""
    errors: list[BaseException] = []
    before = len(load_registry(small).devices)

    def writer(number: int) -> None:
        try:
            for index in range(5):
                adopt_device(
                    small,
                    device_from_entry({"id": f"c-{number}-{index}", "kind": "counter", "counter": "centre-north"}),
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = {d.id for d in load_registry(small).devices}
    assert {f"c-{n}-{i}" for n in range(8) for i in range(5)} <= ids
    assert len(ids) == before + 40


def test_an_edit_waits_on_while_other_edits_complete(
    small: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A queue of edits may hold the lock far longer than LOCK_TIMEOUT_S in all (40 edits of a 1,000-device registry
    take a minute): the edit at its end waits on as long as the others complete, and is made."""
    monkeypatch.setattr(registry_edit, "LOCK_TIMEOUT_S", 2.0)
    caplog.set_level("INFO", logger=registry_edit.__name__)
    rounds_waited = 2
    text = small.read_text()
    edit_returned = threading.Event()

    def waited_rounds() -> int:
        return caplog.text.count("waiting on")

    def queue_of_edits() -> None:
        """Holds the lock through ``rounds_waited`` timeouts of the waiting edit, completing an edit (a new file
        replacing the old, as every edit does) every few milliseconds."""
        with FileLock(lock_path(small)):
            while waited_rounds() < rounds_waited and not edit_returned.is_set():
                replacement = small.with_name("replacement.yaml")
                replacement.write_text(text)
                replacement.replace(small)
                time.sleep(0.01)

    holder = threading.Thread(target=queue_of_edits)
    holder.start()
    wait_until(lambda: lock_is_held(small), timeout_s=30, what="the queue of edits to hold the lock")
    try:
        adopt_device(small, device_from_entry({"id": "late", "kind": "counter", "counter": "centre-north"}))
    finally:
        edit_returned.set()
        holder.join()
    assert waited_rounds() >= rounds_waited
    assert "late" in load_registry(small).device_by_id


def lock_is_held(path: Path) -> bool:
    """Whether someone holds the registry's lock now (else it is taken and released at once)."""
    lock = FileLock(lock_path(path), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        return True
    lock.release()
    return False


def test_a_held_lock_makes_the_edit_wait_then_give_up(small: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry_edit, "LOCK_TIMEOUT_S", 0.2)
    before = small.read_bytes()
    with FileLock(lock_path(small)), pytest.raises(RegistryFileError, match="another edit of the registry"):
        adopt_device(small, device_from_entry({"id": "z", "kind": "rack", "parking": "gare"}))
    assert small.read_bytes() == before


def test_the_packaged_sample_is_never_edited() -> None:
    before = sample_registry_path().read_bytes()
    with pytest.raises(RegistryFileError, match="sample registry shipped with ridebuy"):
        adopt_device(sample_registry_path(), device_from_entry({"id": "z", "kind": "rack", "parking": "eglise"}))
    assert sample_registry_path().read_bytes() == before


def test_a_broken_file_is_not_edited(small: Path) -> None:
    small.write_text(small.read_text().replace("capacity: 4", "capacity: -4"))
    before = small.read_bytes()
    with pytest.raises(RegistryFileError, match="the registry file is not valid; fix it first"):
        adopt_device(small, device_from_entry({"id": "z", "kind": "rack", "parking": "gare"}))
    assert small.read_bytes() == before


def test_an_edit_that_would_read_back_differently_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    # "on" is a string to the YAML 1.2 round trip but true to the registry's YAML 1.1 reader: the guard must
    # notice if the writer ever changes its quoting.
    path.write_text("parkings:\n  - {id: p, name: 'on', lat: 50, lon: 5, capacity: 2}\ndevices: []\n")
    adopt_device(path, device_from_entry({"id": "p-1", "kind": "rack", "parking": "p"}))
    assert load_registry(path).parking_by_id["p"].name == "on"


def test_the_command_line_adopts_and_removes(small: Path, processes: Processes) -> None:
    def ridebuy(*args: str) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RIDEBUY_")}
        return processes.ridebuy("devices", *args, "--registry", str(small), env=env)

    done = ridebuy(
        "adopt",
        "--id",
        "gp-tps-07",
        "--kind",
        "slot",
        "--parking",
        "grand-place",
        "--format",
        "ttn",
        "--codec",
        "bosch-tps110",
        "--dev-eui",
        "70b3d5e75e00a007",
    )
    assert done.returncode == 0, done.stderr
    assert "adopted 'gp-tps-07'" in done.stdout
    device = load_registry(small).device_by_id["gp-tps-07"]
    assert (device.format.value, device.codec, device.dev_eui) == ("ttn", "bosch-tps110", "70B3D5E75E00A007")

    again = ridebuy("adopt", "--id", "gp-tps-07", "--kind", "slot", "--parking", "grand-place")
    assert again.returncode == 2
    assert "ridebuy devices adopt: a device with id 'gp-tps-07' is already in the registry" in again.stderr
    bad = ridebuy("adopt", "--id", "x", "--kind", "slot", "--parking", "nowhere")
    assert (bad.returncode, bad.stderr.strip().splitlines()[-1]) == (
        2,
        "ridebuy devices adopt: device 'x', field 'parking': unknown parking 'nowhere'",
    )
    both = ridebuy("adopt", "--id", "x", "--kind", "slot", "--parking", "gare", "--counter", "centre-north")
    assert both.returncode == 2 and "not allowed with argument" in both.stderr

    removed = ridebuy("remove", "--id", "gp-tps-07")
    assert removed.returncode == 0, removed.stderr
    assert "gp-tps-07" not in load_registry(small).device_by_id
