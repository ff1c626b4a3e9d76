"""Mosquitto users, passwords and ACLs derived from the registry (pure: text in, text out, no files).

One MQTT user per native device (username = device id) that may publish only to its own native topics, and a few
service users (ingest, api, simulator, LoRaWAN network server). Facts about Mosquitto 2.0 that shape the output,
read in its source (``src/security_default.c``, ``src/subs.c``, ``src/handle_publish.c`` of v2.0.11):

* The ACL file's ``read`` is checked when the broker *delivers* a message, against the message's topic, not the
  subscription filter. So one ``topic read ridebuy/v1/devices/+/+`` covers a plain subscription and a shared one
  (``$share/<group>/ridebuy/v1/devices/+/+``) alike; a ``$share/...`` line in the ACL file would match nothing.
* The ACL file does not check SUBSCRIBE at all: a device may subscribe to anything and gets a granted SUBACK, but
  nothing is ever delivered to it, since it has no ``read`` line.
* A PUBLISH without ``write`` access is dropped: an MQTT 3.1.1 client still gets its PUBACK (no way to say no),
  an MQTT 5 client gets PUBACK reason code 0x87 (not authorized).
* A client id is not tied to a user: any authenticated client may connect with the ingest's id, take over its
  session and, with a clean session, wipe the messages queued for it. The listener option
  ``use_username_as_clientid true`` (``src/handle_connect.c``) replaces every client id by the username, so each
  device is only ever its own client and only the ingest's user holds the ingest's persistent session. The price:
  one connection per user at a time (a second one takes the session over), so each service process needs its
  own user.
* The password file holds ``user:$7$<iterations>$<base64 salt>$<base64 hash>`` with a 12-byte salt and a 64-byte
  PBKDF2-HMAC-SHA512 hash, which :func:`hash_password` makes exactly like ``mosquitto_passwd`` (101 iterations).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import PurePosixPath

import yaml

from ridebuy.devices.panels import PANEL_TREE, panel_topic
from ridebuy.devices.registry import Device, DeviceFormat, Registry
from ridebuy.devices.topics import SUBSCRIPTION, MessageKind, device_topic

PBKDF2_ITERATIONS = 101
"""``mosquitto_passwd``'s default (PW_DEFAULT_ITERATIONS in 2.0). Generated passwords carry 192 random bits, so
the hash's cost is not what protects them; a higher count would only slow down every CONNECT."""
SALT_BYTES = 12
HASH_BYTES = 64
MIN_PASSWORD_CHARS = 16

TTN_TREE = "v3/#"
"""The Things Stack publishes ``v3/{application id}[@{tenant}]/devices/{device id}/up`` and friends."""
CHIRPSTACK_TREE = "application/#"
"""ChirpStack v4 publishes ``application/{application id}/device/{dev eui}/event/{up|status|...}``."""


class Role(StrEnum):
    DEVICE = "device"
    INGEST = "ingest"
    API = "api"
    SIMULATOR = "simulator"
    NETWORK_SERVER = "network-server"
    PANEL = "panel"
    """A display panel's controller (LED sign): reads its panel's state, which the API publishes; writes nothing."""


SERVICE_USERNAMES: Mapping[Role, str] = {
    Role.INGEST: "ridebuy-ingest",
    Role.API: "ridebuy-api",
    Role.SIMULATOR: "ridebuy-simulator",
    Role.NETWORK_SERVER: "network-server",
}
PANEL_USER_PREFIX = "ridebuy-panel-"
"""A display panel's sign controller is the user ``ridebuy-panel-<panel id>``: one per panel, since each user may
hold one connection at a time, and each reads its own panel's topic only."""


class AclError(ValueError):
    """The registry or an existing file cannot give consistent Mosquitto files; the message says why."""


@dataclass(frozen=True, slots=True)
class MqttUser:
    name: str
    role: Role
    read: tuple[str, ...] = ()
    write: tuple[str, ...] = ()


def instance_username(role: Role, number: int) -> str:
    """The user of the ``number``-th process of a service: ``ridebuy-ingest``, ``ridebuy-ingest-2``, ...

    Each process needs its own user because the client id is the username (see :data:`LISTENER_OPTIONS`).
    """
    return SERVICE_USERNAMES[role] if number == 1 else f"{SERVICE_USERNAMES[role]}-{number}"


def plan_users(
    registry: Registry, *, simulator: bool = True, ingest_workers: int = 1, api_replicas: int = 1
) -> list[MqttUser]:
    """The users the broker must know: services first, then one per native device in registry order.

    LoRaWAN devices (format ttn/chirpstack) get no user of their own: their network server publishes for them,
    so the ``network-server`` user (and the ingest's and api's read access to its trees) appears only when the
    registry has such devices. ``ingest_workers`` and ``api_replicas`` give those services one user per process.
    """
    if ingest_workers < 1 or api_replicas < 1:
        raise AclError("ingest workers and API replicas are at least 1 each")
    lorawan_trees = sorted(
        {TTN_TREE if d.format is DeviceFormat.TTN else CHIRPSTACK_TREE for d in registry.devices if _is_lorawan(d)}
    )
    readable = (SUBSCRIPTION, *lorawan_trees)
    workers = range(1, ingest_workers + 1)
    users = [MqttUser(instance_username(Role.INGEST, n), Role.INGEST, read=readable) for n in workers]
    # Only the API writes the panels' retained state (docs/panel.md); each sign controller reads its own panel.
    users += [
        MqttUser(instance_username(Role.API, n), Role.API, read=readable, write=(PANEL_TREE,))
        for n in range(1, api_replicas + 1)
    ]
    users += [MqttUser(PANEL_USER_PREFIX + p.id, Role.PANEL, read=(panel_topic(p.id),)) for p in registry.panels]
    if simulator:
        users.append(MqttUser(SERVICE_USERNAMES[Role.SIMULATOR], Role.SIMULATOR, write=(SUBSCRIPTION,)))
    if lorawan_trees:
        users.append(MqttUser(SERVICE_USERNAMES[Role.NETWORK_SERVER], Role.NETWORK_SERVER, write=tuple(lorawan_trees)))
    service_names = {user.name for user in users} | set(SERVICE_USERNAMES.values())
    for device in registry.devices:
        if _is_lorawan(device):
            continue
        if device.id in service_names:
            raise AclError(f"device id '{device.id}' is the name of a service user; rename the device")
        # All three kinds, even those this device kind never sends: a wrong kind then reaches the ingest and is
        # dead-lettered with a reason (wrong_kind), where a broker refusal would be silent.
        users.append(
            MqttUser(device.id, Role.DEVICE, write=tuple(device_topic(device.id, kind) for kind in MessageKind))
        )
    return users


def _is_lorawan(device: Device) -> bool:
    return device.format is not DeviceFormat.NATIVE


# Passwords ---------------------------------------------------------------------------------------------------


def new_password() -> str:
    """192 random bits, URL-safe (so the password may sit in an ``mqtt://user:pass@host`` URL unquoted)."""
    return secrets.token_urlsafe(24)


def check_password(username: str, password: str) -> None:
    if not password or any(ord(c) < 32 or ord(c) == 127 for c in password):
        raise AclError(f"the password of '{username}' is empty or holds control characters")


def assign_passwords(
    users: Sequence[MqttUser],
    kept: Mapping[str, str],
    provided: Mapping[str, str] | None = None,
    rotate: bool | Collection[str] = False,
    generate: Callable[[], str] = new_password,
) -> dict[str, str]:
    """A password per user: ``provided`` wins, then ``kept`` (from the last run) unless rotated, else a new one.

    ``rotate`` is True for everyone or the user names to rotate. Names in ``provided``/``rotate`` that are not
    users are an error (a typo must not pass silently).
    """
    provided = provided or {}
    names = {user.name for user in users}
    rotated = names if rotate is True else set(rotate or ())
    unknown = (set(provided) | rotated) - names
    if unknown:
        raise AclError(f"no such MQTT user: {', '.join(sorted(unknown))} (users: devices of the registry and services)")
    passwords: dict[str, str] = {}
    for user in users:
        if user.name in provided:
            password = provided[user.name]
        elif user.name in kept and user.name not in rotated:
            password = kept[user.name]
        else:
            password = generate()
        check_password(user.name, password)
        passwords[user.name] = password
    return passwords


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = PBKDF2_ITERATIONS) -> str:
    """The ``$7$`` hash ``mosquitto_passwd`` writes (Mosquitto >= 2.0): PBKDF2-HMAC-SHA512, 12-byte salt."""
    salt = secrets.token_bytes(SALT_BYTES) if salt is None else salt
    if len(salt) != SALT_BYTES:
        raise ValueError(f"Mosquitto needs a {SALT_BYTES}-byte salt")
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    return f"$7${iterations}${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def verify_password(password: str, hashed: str) -> bool:
    """Whether ``hashed`` (a ``$7$`` entry of a Mosquitto password file) is the hash of ``password``."""
    parts = hashed.split("$")
    if len(parts) != 5 or parts[0] or parts[1] != "7" or not parts[2].isdigit():
        return False
    try:
        salt = base64.b64decode(parts[3], validate=True)
        expected = base64.b64decode(parts[4], validate=True)
    except (binascii.Error, ValueError):
        return False
    iterations = int(parts[2])
    if len(salt) != SALT_BYTES or len(expected) != HASH_BYTES or iterations < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, HASH_BYTES)
    return hmac.compare_digest(digest, expected)


# Files -------------------------------------------------------------------------------------------------------


def parse_password_file(text: str) -> dict[str, str]:
    """``user -> hash`` of a Mosquitto password file (comments and malformed lines skipped, as Mosquitto does)."""
    hashes: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("#") or ":" not in line:
            continue
        username, hashed = line.split(":", 1)
        hashes[username.strip()] = hashed.strip()
    return hashes


def render_password_file(users: Iterable[MqttUser], passwords: Mapping[str, str], previous: Mapping[str, str]) -> str:
    """The password file; a user whose password did not change keeps its previous hash, so reruns change nothing."""
    lines = []
    for user in users:
        password = passwords[user.name]
        old = previous.get(user.name)
        lines.append(f"{user.name}:{old if old and verify_password(password, old) else hash_password(password)}")
    return "\n".join(lines) + "\n"


def render_acl(users: Iterable[MqttUser], source: str) -> str:
    lines = [
        f"# Mosquitto ACL generated by `ridebuy devices mosquitto-acl` from {source}. Regenerate, do not edit.",
        "# Anything not listed is denied. 'read' is checked on delivery against the message topic, so it also",
        "# covers shared subscriptions ($share/<group>/...); Mosquitto 2.0's acl_file does not check SUBSCRIBE.",
    ]
    for user in users:
        lines += ["", f"# {user.role.value}", f"user {user.name}"]
        lines += [f"topic read {topic}" for topic in user.read]
        lines += [f"topic write {topic}" for topic in user.write]
    return "\n".join(lines) + "\n"


CREDENTIALS_HEADER = """\
# MQTT credentials generated by `ridebuy devices mosquitto-acl`: username -> password. SECRET: keep mode 0600.
# Hand each device its own line; a password set here by hand is kept on the next run (unless rotated).
"""


def render_credentials(passwords: Mapping[str, str]) -> str:
    body = yaml.safe_dump(dict(passwords), sort_keys=False, default_flow_style=False, allow_unicode=True)
    return CREDENTIALS_HEADER + body


def parse_credentials(text: str, source: str) -> dict[str, str]:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise AclError(f"{source}: not valid YAML ({exc})") from None
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise AclError(f"{source}: expected a mapping of username -> password (both strings)")
    return dict(data)


@dataclass(frozen=True, slots=True)
class BrokerPaths:
    """Where the broker (not this command) finds the files: they differ when it runs in a container."""

    password_file: PurePosixPath
    acl_file: PurePosixPath
    data_dir: PurePosixPath


LISTENER_OPTIONS = ("use_username_as_clientid true",)
"""Written under every listener (they are listener options in Mosquitto 2.0): the client id is the username."""


def render_mosquitto_conf(paths: BrokerPaths, tls_certfile: str | None = None, tls_keyfile: str | None = None) -> str:
    """A whole mosquitto.conf: authenticated listeners, persistence, queues large enough for an ingest outage."""
    off = "" if tls_certfile else "#"
    tls = [
        "# TLS listener for devices and anything outside the host (port 8883):",
        f"{off}listener 8883",
        *(f"{off}{option}" for option in LISTENER_OPTIONS),
        f"{off}certfile {tls_certfile or '/mosquitto/certs/fullchain.pem'}",
        f"{off}keyfile {tls_keyfile or '/mosquitto/certs/privkey.pem'}",
        "#tls_version tlsv1.2",
    ]
    return "\n".join(
        [
            "# mosquitto.conf generated by `ridebuy devices mosquitto-acl`.",
            "per_listener_settings false",
            "allow_anonymous false",
            f"password_file {paths.password_file}",
            f"acl_file {paths.acl_file}",
            "",
            "# Plain MQTT: keep it on a private network (the ingest and api containers); devices use TLS.",
            "listener 1883",
            "# A client's id is its username: no one can take over the ingest's (or a device's) session.",
            *LISTENER_OPTIONS,
            *tls,
            "",
            "# Persistence keeps sessions and queued QoS 1 messages across a broker restart.",
            "persistence true",
            f"persistence_location {str(paths.data_dir).rstrip('/')}/",
            "autosave_interval 30",
            "# The default of 1000 silently drops QoS 1 messages queued for an absent ingest: keep a day or more.",
            "# Not 0 (no limit): Debian's 2.0.11, patched for CVE-2023-28366, would then disconnect every client",
            "# whose PUBLISH the ACL refuses.",
            "max_queued_messages 1000000",
            "max_queued_bytes 0",
            "",
        ]
    )
