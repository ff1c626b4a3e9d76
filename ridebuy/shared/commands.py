"""How a feature offers a ``ridebuy`` sub-command: one :class:`Command` in its ``cli.py``.

Every setting of the command's settings class becomes a flag (``RIDEBUY_MQTT_URL`` is ``--mqtt-url``) that wins over
the environment, except the settings marked :data:`~ridebuy.shared.settings.NOT_A_FLAG` (secrets). The composition
root (:mod:`ridebuy.cli`) registers the commands; nothing else wires flags.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic

from ridebuy.shared.settings import S, SettingsBase, load_settings

Parser = argparse.ArgumentParser
Subparsers = argparse._SubParsersAction


def _no_arguments(parser: Parser) -> None:
    return None


@dataclass(frozen=True)
class Command(Generic[S]):
    """A sub-command: its settings class, its own arguments and what it runs."""

    name: str
    help: str
    settings: type[S]
    run: Callable[[argparse.Namespace, S], int]
    add_arguments: Callable[[Parser], None] = _no_arguments
    description: str | None = None


@dataclass(frozen=True)
class CommandGroup:
    """A sub-command with actions of its own (``ridebuy devices adopt``)."""

    name: str
    help: str
    actions: tuple[Command[Any], ...] = field(default_factory=tuple)


def register(commands: Subparsers[Parser], command: Command[Any] | CommandGroup) -> None:
    """Add ``command`` (and, for a group, its actions) to the ``commands`` of a parser."""
    parser = commands.add_parser(
        command.name,
        help=command.help,
        description=getattr(command, "description", None) or command.help,
    )
    if isinstance(command, CommandGroup):
        actions = parser.add_subparsers(dest=f"{command.name}_action", required=True, metavar="ACTION")
        for action in command.actions:
            register(actions, action)
        return
    _add_setting_flags(parser, command.settings)
    command.add_arguments(parser)
    parser.set_defaults(ridebuy_command=command)


def setting_flag_names(settings_class: type[SettingsBase]) -> list[str]:
    """The settings of ``settings_class`` that are also flags."""
    return [
        name
        for name, info in settings_class.model_fields.items()
        if not (isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("flag") is False)
    ]


def _add_setting_flags(parser: Parser, settings_class: type[SettingsBase]) -> None:
    group = parser.add_argument_group("settings (each also an environment variable RIDEBUY_<NAME>)")
    for name in setting_flag_names(settings_class):
        info = settings_class.model_fields[name]
        default = info.default if info.default_factory is None else "(packaged Hannut sample)"
        group.add_argument(
            f"--{name.replace('_', '-')}",
            dest=f"setting_{name}",
            default=None,
            metavar=name.upper(),
            help=f"{info.description} [RIDEBUY_{name.upper()}, default: {default}]",
        )


def settings_from(args: argparse.Namespace, settings_class: type[S]) -> S:
    """The command's settings: its flags over the environment over the defaults."""
    overrides = {key.removeprefix("setting_"): value for key, value in vars(args).items() if key.startswith("setting_")}
    return load_settings(settings_class, **overrides)
