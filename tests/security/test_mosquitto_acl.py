"""The pure generation logic: users and their topics, passwords, hashes, file texts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ridebuy.devices.mosquitto_acl import (
    CHIRPSTACK_TREE,
    TTN_TREE,
    AclError,
    MqttUser,
    Role,
    assign_passwords,
    hash_password,
    parse_credentials,
    parse_password_file,
    plan_users,
    render_acl,
    render_credentials,
    render_password_file,
    verify_password,
)
from ridebuy.devices.registry import parse_registry
from ridebuy.devices.topics import SUBSCRIPTION, MessageKind, device_topic
from tests.security.conftest import REGISTRY
from tests.support.processes import Processes
from tests.support.registries import Entry


def _users(registry: dict[str, list[Entry]] = REGISTRY, **kwargs: Any) -> dict[str, MqttUser]:
    return {user.name: user for user in plan_users(parse_registry(registry, "test.yaml"), **kwargs)}


def _acl_entries(text: str) -> dict[str, set[tuple[str, str]]]:
    """Read an ACL file back the way Mosquitto does: ``user`` lines open a section of ``topic`` lines."""
    entries: dict[str, set[tuple[str, str]]] = {}
    user = None
    for line in text.splitlines():
        if line.startswith("user "):
            user = line.removeprefix("user ")
            entries[user] = set()
        elif line.startswith("topic "):
            assert user is not None, "topic line before any user: it would apply to anonymous clients"
            _, access, topic = line.split(" ", 2)
            entries[user].add((access, topic))
    return entries


def test_each_native_device_may_write_only_its_own_three_topics() -> None:
    users = _users()
    for device in ("gp-rack-1", "gp-slot-01", "cn-count-1"):
        assert users[device].role is Role.DEVICE
        assert users[device].read == ()
        assert set(users[device].write) == {device_topic(device, kind) for kind in MessageKind}


def test_services_read_or_write_the_device_trees() -> None:
    users = _users()
    assert set(users["ridebuy-ingest"].read) == {SUBSCRIPTION, TTN_TREE, CHIRPSTACK_TREE}
    assert users["ridebuy-ingest"].write == ()
    assert users["ridebuy-api"].read == users["ridebuy-ingest"].read
    assert users["ridebuy-simulator"].write == (SUBSCRIPTION,)
    assert users["ridebuy-simulator"].read == ()
    assert set(users["network-server"].write) == {TTN_TREE, CHIRPSTACK_TREE}


def test_lorawan_devices_get_no_user_and_native_only_registries_no_network_server() -> None:
    users = _users()
    assert "gp-slot-02" not in users
    assert "gp-slot-03" not in users
    native_only = {**REGISTRY, "devices": [d for d in REGISTRY["devices"] if "format" not in d]}
    plain = _users(native_only)
    assert "network-server" not in plain
    assert plain["ridebuy-ingest"].read == (SUBSCRIPTION,)


def test_the_simulator_can_be_left_out() -> None:
    assert "ridebuy-simulator" not in _users(simulator=False)


def test_a_device_named_like_a_service_is_refused() -> None:
    registry = {**REGISTRY, "devices": [{"id": "ridebuy-ingest", "kind": "rack", "parking": "grand-place"}]}
    with pytest.raises(AclError, match="ridebuy-ingest"):
        _users(registry)


def test_the_acl_file_lists_exactly_the_planned_access() -> None:
    users = list(_users().values())
    entries = _acl_entries(render_acl(users, "test.yaml"))
    assert entries == {
        user.name: {("read", t) for t in user.read} | {("write", t) for t in user.write} for user in users
    }


def test_passwords_are_kept_rotated_or_provided() -> None:
    users = list(_users().values())
    first = assign_passwords(users, kept={})
    assert len(set(first.values())) == len(users)
    assert all(len(password) >= 32 for password in first.values())
    assert assign_passwords(users, kept=first) == first
    one = assign_passwords(users, kept=first, rotate=["gp-rack-1"])
    assert {name for name in first if one[name] != first[name]} == {"gp-rack-1"}
    everyone = assign_passwords(users, kept=first, rotate=True)
    assert all(everyone[name] != first[name] for name in first)
    pinned = assign_passwords(users, kept=first, provided={"ridebuy-ingest": "pinned-by-the-operator"}, rotate=True)
    assert pinned["ridebuy-ingest"] == "pinned-by-the-operator"


@pytest.mark.parametrize("bad", [{"rotate": ["no-such-user"]}, {"provided": {"typo": "x" * 20}}])
def test_unknown_users_in_rotate_or_provided_are_errors(bad: dict[str, object]) -> None:
    with pytest.raises(AclError, match="no such MQTT user"):
        assign_passwords(list(_users().values()), kept={}, **bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("password", ["", "line\nbreak", "nul\x00"])
def test_unusable_passwords_are_refused(password: str) -> None:
    with pytest.raises(AclError, match="gp-rack-1"):
        assign_passwords(list(_users().values()), kept={"gp-rack-1": password})


def test_our_hash_verifies_and_refuses() -> None:
    hashed = hash_password("s3cret-password")
    assert hashed.startswith("$7$101$")
    assert verify_password("s3cret-password", hashed)
    assert not verify_password("other-password", hashed)
    for broken in ("", "$6$abc$def", "$7$x$y$z", "$7$101$c2FsdA==$aGFzaA==", "$7$101$!!!$???"):
        assert not verify_password("s3cret-password", broken)


def test_a_hash_made_by_mosquitto_passwd_verifies_with_ours(tmp_path: Path, processes: Processes) -> None:
    """Same algorithm as the real tool: its hash checks out in our code (the broker tests check the other way)."""
    path = tmp_path / "passwd"
    processes.run(["mosquitto_passwd", "-c", "-b", str(path), "alice", "correct horse"], timeout_s=30, check=True)
    hashed = parse_password_file(path.read_text())["alice"]
    assert hashed.startswith("$7$")
    assert verify_password("correct horse", hashed)
    assert not verify_password("correct horsE", hashed)


def test_an_unchanged_password_keeps_its_hash_and_a_changed_one_gets_a_new_one() -> None:
    users = list(_users().values())
    passwords = assign_passwords(users, kept={})
    first = parse_password_file(render_password_file(users, passwords, previous={}))
    assert parse_password_file(render_password_file(users, passwords, previous=first)) == first
    rotated = assign_passwords(users, kept=passwords, rotate=["cn-count-1"])
    second = parse_password_file(render_password_file(users, rotated, previous=first))
    assert {name for name in first if second[name] != first[name]} == {"cn-count-1"}
    assert verify_password(rotated["cn-count-1"], second["cn-count-1"])


def test_credentials_round_trip_and_bad_files_are_named() -> None:
    passwords = {"ridebuy-ingest": "a:b #c 'd\"", "gp-rack-1": "plain"}
    assert parse_credentials(render_credentials(passwords), "c.yaml") == passwords
    assert parse_credentials("", "c.yaml") == {}
    with pytest.raises(AclError, match=r"c\.yaml"):
        parse_credentials("- a list", "c.yaml")
    with pytest.raises(AclError, match=r"c\.yaml"):
        parse_credentials("a: [unclosed", "c.yaml")


def test_each_ingest_worker_and_api_replica_gets_its_own_user() -> None:
    """A client id is its username in the generated conf, so two processes must never share a user."""
    users = _users(ingest_workers=3, api_replicas=2)
    assert {"ridebuy-ingest", "ridebuy-ingest-2", "ridebuy-ingest-3", "ridebuy-api", "ridebuy-api-2"} <= set(users)
    assert users["ridebuy-ingest-3"].read == users["ridebuy-ingest"].read
    assert users["ridebuy-api-2"].write == ("ridebuy/v1/panels/#",)  # each replica publishes the display panels
    with pytest.raises(AclError, match="at least 1"):
        _users(ingest_workers=0)
