"""``ridebuy devices ...``: device administration commands.

Each action is one :class:`~ridebuy.shared.commands.Command` in :data:`COMMAND`: its arguments, its handler
``(args, settings)`` like every ``ridebuy`` handler, and its help.
"""

from __future__ import annotations

import argparse
import grp
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from ridebuy.devices.mosquitto_acl import (
    MIN_PASSWORD_CHARS,
    SERVICE_USERNAMES,
    AclError,
    BrokerPaths,
    Role,
    assign_passwords,
    parse_credentials,
    parse_password_file,
    plan_users,
    render_acl,
    render_credentials,
    render_mosquitto_conf,
    render_password_file,
)
from ridebuy.devices.registry import DeviceFormat, DeviceKind, load_registry
from ridebuy.devices.settings import RegistrySettings
from ridebuy.shared.atomic_file import write_atomically
from ridebuy.shared.commands import Command, CommandGroup

log = logging.getLogger(__name__)

PASSWORD_FILE = "passwd"  # noqa: S105 (a file name)
ACL_FILE = "acl"
CREDENTIALS_FILE = "credentials.yaml"
CONF_FILE = "mosquitto.conf"

SECRET_MODE = 0o600
BROKER_FILE_MODE = 0o640
"""passwd and acl: Mosquitto 2.0 reads them after dropping to its own user, so they belong to the broker's group
(``--broker-group``) and are readable by that group, never by everyone (passwd holds hashes)."""
CONF_MODE = 0o644
DEFAULT_BROKER_GROUP = "mosquitto"
"""The group Debian's (and most distributions') mosquitto package creates; used by default when running as root."""


def service_password_env(role: Role) -> str:
    """The environment variable that pins a service user's password, e.g. ``RIDEBUY_MQTT_PASSWORD_INGEST``."""
    return f"RIDEBUY_MQTT_PASSWORD_{role.name}"


def _mosquitto_acl_arguments(parser: argparse.ArgumentParser) -> None:
    files = parser.add_argument_group("output files (default: the names below inside --out)")
    files.add_argument("--out", type=Path, metavar="DIR", help="directory for all files")
    files.add_argument("--password-file", type=Path, help=f"Mosquitto password file [{PASSWORD_FILE}]")
    files.add_argument("--acl-file", type=Path, help=f"Mosquitto ACL file [{ACL_FILE}]")
    files.add_argument("--credentials-file", type=Path, help=f"cleartext credentials, mode 0600 [{CREDENTIALS_FILE}]")
    files.add_argument(
        "--conf-file", type=Path, help=f"mosquitto.conf [{CONF_FILE}]; without it or --out, printed to stdout"
    )
    broker = parser.add_argument_group("paths as the broker sees them (for mosquitto.conf)")
    broker.add_argument(
        "--broker-dir",
        type=PurePosixPath,
        metavar="DIR",
        help="directory where the broker finds passwd and acl, e.g. /mosquitto/config in the eclipse-mosquitto "
        "image (default: where they are written)",
    )
    broker.add_argument(
        "--data-dir",
        type=PurePosixPath,
        default=PurePosixPath("/mosquitto/data"),
        help="persistence location (default: /mosquitto/data)",
    )
    broker.add_argument(
        "--broker-group",
        metavar="GROUP",
        help="group (name or id) given passwd and acl (mode 0640) so that the broker, which drops to its own user, "
        "can read them "
        f"(default: '{DEFAULT_BROKER_GROUP}' when run as root and that group exists, else the caller's group)",
    )
    broker.add_argument(
        "--reload-pid",
        metavar="PID|PIDFILE",
        help="after writing, send SIGHUP to this Mosquitto process (a number, or its pid_file): it re-reads "
        "passwd and acl without a restart, so a device added to the registry may connect at once",
    )
    broker.add_argument("--tls-certfile", help="certificate chain (PEM) for a TLS listener on 8883")
    broker.add_argument("--tls-keyfile", help="private key (PEM) of that certificate")
    users = parser.add_argument_group("users")
    users.add_argument("--rotate", action="store_true", help="new passwords for every user")
    users.add_argument(
        "--rotate-user", action="append", default=[], metavar="USER", help="new password for USER (repeatable)"
    )
    users.add_argument(
        "--no-simulator",
        action="store_true",
        help=f"leave out the '{SERVICE_USERNAMES[Role.SIMULATOR]}' user, who may publish as any device (production)",
    )
    users.add_argument(
        "--ingest-workers",
        type=int,
        default=1,
        metavar="N",
        help="users for N ingest workers sharing the stream: ridebuy-ingest, ridebuy-ingest-2, ... (a client id is "
        "its username, so each process needs its own user) [1]",
    )
    users.add_argument(
        "--api-replicas", type=int, default=1, metavar="N", help="users for N API processes: ridebuy-api, -2, ... [1]"
    )


def _adopt_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", required=True, help="registry id of the device (1-64 of A-Za-z0-9._-)")
    parser.add_argument("--kind", required=True, choices=[k.value for k in DeviceKind], help="what it measures")
    place = parser.add_mutually_exclusive_group(required=True)
    place.add_argument("--parking", help="parking id (rack and slot devices)")
    place.add_argument("--counter", help="counting site id (counter devices)")
    parser.add_argument("--format", choices=[f.value for f in DeviceFormat], help="message format [native]")
    parser.add_argument("--codec", help="vendor codec of a LoRaWAN device, e.g. bosch-tps110")
    parser.add_argument("--dev-eui", help="DevEUI, 16 hex digits (ChirpStack devices need it)")
    parser.add_argument("--spaces", type=int, help="spaces a rack watches (default: a share of the capacity)")
    parser.add_argument("--heartbeat-s", type=int, help="longest expected silence (default: the codec's, else 900)")


def _remove_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--id", required=True, help="registry id of the device")


def _target(explicit: Path | None, out: Path | None, name: str) -> Path | None:
    if explicit is not None:
        return explicit
    return out / name if out is not None else None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
    except OSError as exc:
        raise AclError(f"{path}: cannot read ({exc.strerror})") from None


def _write(path: Path, text: str, mode: int, group_id: int | None = None) -> None:
    try:
        write_atomically(path, text, mode, group_id)
    except OSError as exc:
        raise AclError(f"{path}: cannot write ({exc.strerror})") from None


def _pinned_service_passwords(environ: Mapping[str, str]) -> dict[str, str]:
    pinned = {}
    for role, username in SERVICE_USERNAMES.items():
        value = environ.get(service_password_env(role))
        if value:
            pinned[username] = value
    return pinned


def run_mosquitto_acl(args: argparse.Namespace, settings: RegistrySettings) -> int:
    password_path = _target(args.password_file, args.out, PASSWORD_FILE)
    acl_path = _target(args.acl_file, args.out, ACL_FILE)
    credentials_path = _target(args.credentials_file, args.out, CREDENTIALS_FILE)
    conf_path = _target(args.conf_file, args.out, CONF_FILE)
    if password_path is None or acl_path is None or credentials_path is None:
        print(
            "ridebuy devices mosquitto-acl: give --out DIR (or each of --password-file, --acl-file, "
            "--credentials-file)",
            file=sys.stderr,
        )
        return 2
    if bool(args.tls_certfile) != bool(args.tls_keyfile):
        print("ridebuy devices mosquitto-acl: --tls-certfile and --tls-keyfile go together", file=sys.stderr)
        return 2

    registry = load_registry(settings.registry)
    users = plan_users(
        registry, simulator=not args.no_simulator, ingest_workers=args.ingest_workers, api_replicas=args.api_replicas
    )
    names = {user.name for user in users}
    pinned = {name: pw for name, pw in _pinned_service_passwords(os.environ).items() if name in names}
    kept = parse_credentials(_read(credentials_path), str(credentials_path))
    passwords = assign_passwords(users, kept, pinned, rotate=True if args.rotate else args.rotate_user)
    for name, password in passwords.items():
        if len(password) < MIN_PASSWORD_CHARS:
            log.warning("the password of '%s' is shorter than %d characters", name, MIN_PASSWORD_CHARS)
    dropped = sorted(set(kept) - set(passwords))
    if dropped:
        log.info("users no longer in the registry, removed: %s", ", ".join(dropped))
    previous_hashes = parse_password_file(_read(password_path))

    group_id = _broker_group_id(args.broker_group)
    # Credentials first: if a later write fails, the next run hashes the very same passwords again.
    _write(credentials_path, render_credentials(passwords), SECRET_MODE)
    _write(password_path, render_password_file(users, passwords, previous_hashes), BROKER_FILE_MODE, group_id)
    _write(acl_path, render_acl(users, str(settings.registry)), BROKER_FILE_MODE, group_id)

    broker_dir = args.broker_dir
    paths = BrokerPaths(
        password_file=broker_dir / password_path.name if broker_dir else PurePosixPath(password_path.resolve()),
        acl_file=broker_dir / acl_path.name if broker_dir else PurePosixPath(acl_path.resolve()),
        data_dir=args.data_dir,
    )
    conf = render_mosquitto_conf(paths, args.tls_certfile, args.tls_keyfile)
    if conf_path is None:
        sys.stdout.write(conf)
    else:
        _write(conf_path, conf, CONF_MODE)

    devices = sum(1 for user in users if user.role is Role.DEVICE)
    log.info(
        "%d MQTT users (%d devices, services: %s) -> %s, %s, %s%s",
        len(users),
        devices,
        ", ".join(user.name for user in users if user.role is not Role.DEVICE),
        password_path,
        acl_path,
        credentials_path,
        f", {conf_path}" if conf_path else "",
    )
    if args.reload_pid:
        _reload_broker(args.reload_pid)
    return 0


def _broker_group_id(name: str | None) -> int | None:
    """The group id passwd and acl get, or None to leave the caller's group (see ``--broker-group``)."""
    if name is None:
        if os.geteuid() != 0:
            return None
        try:
            return grp.getgrnam(DEFAULT_BROKER_GROUP).gr_gid
        except KeyError:
            log.warning(
                "no '%s' group on this host: passwd and acl stay readable by root only; give --broker-group "
                "with the group the broker runs as",
                DEFAULT_BROKER_GROUP,
            )
            return None
    if name.isdigit():  # a group id, e.g. 1883 of the eclipse-mosquitto image, unknown to the generator's host
        return int(name)
    try:
        return grp.getgrnam(name).gr_gid
    except KeyError:
        raise AclError(f"--broker-group: no group '{name}' on this host") from None


def _reload_broker(target: str) -> None:
    """SIGHUP the broker: Mosquitto re-reads password_file and acl_file (connected clients stay connected)."""
    text = target
    if not target.isdigit():
        try:
            text = Path(target).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise AclError(f"--reload-pid: cannot read the pid file {target} ({exc.strerror})") from None
    if not text.isdigit() or int(text) <= 1:
        raise AclError(f"--reload-pid: '{text}' is not the process id of a broker")
    try:
        os.kill(int(text), signal.SIGHUP)
    except ProcessLookupError:
        raise AclError(f"--reload-pid: no process {text} (is Mosquitto running?)") from None
    except PermissionError:
        raise AclError(f"--reload-pid: not allowed to signal process {text} (run as its user or root)") from None
    log.info("sent SIGHUP to Mosquitto (pid %s): it reloads passwd and acl", text)


def run_adopt(args: argparse.Namespace, settings: RegistrySettings) -> int:
    from ridebuy.devices.registry.edit import RegistryEditError, adopt_device, device_from_entry

    given = {
        "id": args.id,
        "kind": args.kind,
        "parking": args.parking,
        "counter": args.counter,
        "format": args.format,
        "codec": args.codec,
        "dev_eui": args.dev_eui,
        "spaces": args.spaces,
        "heartbeat_s": args.heartbeat_s,
    }
    try:
        device = device_from_entry({name: value for name, value in given.items() if value is not None})
        registry = adopt_device(Path(settings.registry), device)
    except RegistryEditError as exc:
        print(f"ridebuy devices adopt: {exc}", file=sys.stderr)
        return 2
    print(
        f"adopted '{device.id}' into {settings.registry} ({len(registry.devices)} devices); running services "
        "pick it up within seconds"
    )
    return 0


def run_remove(args: argparse.Namespace, settings: RegistrySettings) -> int:
    from ridebuy.devices.registry.edit import RegistryEditError, remove_device

    try:
        registry = remove_device(Path(settings.registry), args.id)
    except RegistryEditError as exc:
        print(f"ridebuy devices remove: {exc}", file=sys.stderr)
        return 2
    print(f"removed '{args.id}' from {settings.registry} ({len(registry.devices)} devices left)")
    return 0


COMMAND = CommandGroup(
    name="devices",
    help="device administration (MQTT credentials and ACLs, registry edits)",
    actions=(
        Command(
            name="mosquitto-acl",
            help="write Mosquitto password, ACL and config files from the registry (one user per device)",
            description="Write a Mosquitto password file, an ACL file, a credentials file (username -> password, "
            "mode 0600, to hand to devices and services) and a mosquitto.conf. Passwords of the previous run are "
            "kept unless rotated. Service passwords may be pinned with "
            + ", ".join(service_password_env(role) for role in SERVICE_USERNAMES)
            + ".",
            settings=RegistrySettings,
            run=run_mosquitto_acl,
            add_arguments=_mosquitto_acl_arguments,
        ),
        Command(
            name="adopt",
            help="add a device to the registry file (e.g. one listed by /v1/admin/unknown-devices)",
            description="Add one device entry to the registry file, keeping the rest of the file as it is. The "
            "entry is checked like at start-up (its parking or counter must exist, capacity, DevEUI, codec). A "
            "running ingest and API notice the edited file within seconds: no restart. Exit status 2 with a "
            "sentence when the entry cannot be added.",
            settings=RegistrySettings,
            run=run_adopt,
            add_arguments=_adopt_arguments,
        ),
        Command(
            name="remove",
            help="take a device out of the registry file",
            description="Remove one device entry from the registry file, keeping the rest of the file as it is. "
            "Its next messages are dead-lettered as unknown_device (running services notice within seconds).",
            settings=RegistrySettings,
            run=run_remove,
            add_arguments=_remove_arguments,
        ),
    ),
)
