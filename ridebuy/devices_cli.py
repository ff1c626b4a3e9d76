"""``ridebuy devices ...``: device administration commands.

Each action is one ``_add_<action>`` function listed in :data:`ACTIONS`; adding an action is one function and one
line there. Handlers take ``(args, settings)`` like every ``ridebuy`` handler.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path, PurePosixPath

from devices.registry import load_registry
from ridebuy.mosquitto_acl import (
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
from ridebuy.settings import Settings

log = logging.getLogger(__name__)

AddSettingFlags = Callable[[argparse.ArgumentParser], None]

PASSWORD_FILE = "passwd"  # noqa: S105 (a file name)
ACL_FILE = "acl"
CREDENTIALS_FILE = "credentials.yaml"
CONF_FILE = "mosquitto.conf"

SECRET_MODE = 0o600
BROKER_FILE_MODE = 0o640
"""Mosquitto 2.0 reads the password and ACL files after dropping to its own user: make that user the owner."""
CONF_MODE = 0o644


def service_password_env(role: Role) -> str:
    """The environment variable that pins a service user's password, e.g. ``RIDEBUY_MQTT_PASSWORD_INGEST``."""
    return f"RIDEBUY_MQTT_PASSWORD_{role.name}"


def _add_mosquitto_acl(actions: argparse._SubParsersAction[argparse.ArgumentParser], flags: AddSettingFlags) -> None:
    parser = actions.add_parser(
        "mosquitto-acl",
        help="write Mosquitto password, ACL and config files from the registry (one user per device)",
        description="Write a Mosquitto password file, an ACL file, a credentials file (username -> password, "
        "mode 0600, to hand to devices and services) and a mosquitto.conf. Passwords of the previous run are "
        "kept unless rotated. Service passwords may be pinned with "
        + ", ".join(service_password_env(role) for role in SERVICE_USERNAMES)
        + ".",
    )
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
    flags(parser)
    parser.set_defaults(handler=run_mosquitto_acl)


ACTIONS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser], AddSettingFlags], None]] = [
    _add_mosquitto_acl,
]


def add_arguments(parser: argparse.ArgumentParser, add_setting_flags: AddSettingFlags) -> None:
    """Add every action of :data:`ACTIONS` to the ``devices`` parser; ``add_setting_flags`` adds --registry etc."""
    actions = parser.add_subparsers(dest="devices_action", required=True, metavar="ACTION")
    for add_action in ACTIONS:
        add_action(actions, add_setting_flags)


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


def write_atomically(path: Path, text: str, mode: int) -> None:
    """Replace ``path`` by ``text`` all at once: readers see the old or the new file, never a part.

    The temporary file is created 0600 (``mkstemp``), so a secret is never readable by others, even briefly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
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


def _write(path: Path, text: str, mode: int) -> None:
    try:
        write_atomically(path, text, mode)
    except OSError as exc:
        raise AclError(f"{path}: cannot write ({exc.strerror})") from None


def _pinned_service_passwords(environ: Mapping[str, str]) -> dict[str, str]:
    pinned = {}
    for role, username in SERVICE_USERNAMES.items():
        value = environ.get(service_password_env(role))
        if value:
            pinned[username] = value
    return pinned


def run_mosquitto_acl(args: argparse.Namespace, settings: Settings) -> int:
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
    users = plan_users(registry, simulator=not args.no_simulator)
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

    # Credentials first: if a later write fails, the next run hashes the very same passwords again.
    _write(credentials_path, render_credentials(passwords), SECRET_MODE)
    _write(password_path, render_password_file(users, passwords, previous_hashes), BROKER_FILE_MODE)
    _write(acl_path, render_acl(users, str(settings.registry)), BROKER_FILE_MODE)

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
    return 0
