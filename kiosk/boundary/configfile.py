"""config.yaml as the box reads it: once per load, bounded, through the one safe opener, with the host name.

The core's `parse_config` is pure; this is where its inputs come from. The
file is read whole at most once per load (kiosk.boundary.fleetfile applies
the fleet file from the same text), never from a FIFO or a device, and never
beyond `MAX_CONFIG_BYTES`. What only the disk can tell, whether the caption
font is a regular file of sensible size and whether the tz database holds
the schedule's zone, is checked here after parsing.
"""

from __future__ import annotations

import dataclasses
import socket
import stat
from pathlib import Path
from typing import Any

from kiosk.boundary.clock import zone_problem
from kiosk.boundary.files import open_regular_file
from kiosk.core.config import MAX_CONFIG_BYTES, SECTIONS, Config, in_a_home, keys, parse_config
from kiosk.core.errors import ConfigError, UnsafeFile
from kiosk.core.catalogue import FLEET_FILE
from kiosk.core.fleet import Fleet, parse_fleet

# Fonts for every script fit easily (Noto CJK is about 20 MB); /dev/zero does not.
MAX_FONT_BYTES = 64 * 1024 * 1024


def host_name() -> str:
    """This machine's host name: the box's name where config.yaml leaves box.name empty."""
    return socket.gethostname()


def read_config_text(path: Path) -> str:
    """config.yaml's UTF-8 text, read once and bounded; ConfigError naming the file if it cannot be used.

    A link is followed (/etc/kiosk/config.yaml may point into a checkout), but what it leads to must be
    a regular file.
    """
    try:
        with open_regular_file(path) as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except UnsafeFile as exc:
        raise ConfigError([f"{path}: cannot be the config file: {exc}"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc.strerror or exc}"]) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{path}: over the limit of {MAX_CONFIG_BYTES:,} bytes for a config file"])
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})"]) from None


def config_from_text(path: Path, text: str, fleet: Fleet | None = None, as_role: str | None = None,
                     as_box: str | None = None, host: str | None = None) -> Config:
    """The Config that config.yaml's `text` makes (with the fleet file's settings over it), or ConfigError.

    `host` is the host name (None: ask the machine). Paths in a home folder (`~/`) are completed, and the
    font is checked on the disk, and the schedule's zone in the tz database.
    """
    config = parse_config(text, path.resolve().parent, source=str(path), fleet=fleet, as_role=as_role,
                          as_box=as_box, host_name=host_name() if host is None else host)
    config = homes_expanded(config, str(path))
    problems = font_problems(config, str(path)) + zone_problems(config, str(path))
    if problems:
        raise ConfigError(problems)
    return config


def load_config(path: Path, fleet: Fleet | None = None, as_role: str | None = None,
                as_box: str | None = None) -> Config:
    """Reads and validates a config file (with the fleet file's settings over it); ConfigError if it is missing."""
    return config_from_text(path, read_config_text(path), fleet, as_role, as_box)


def homes_expanded(config: Config, source: str) -> Config:
    """The config with every path that starts in a home folder (`~/token`, `~kiosk/slides`) made whole."""
    changed: dict[str, Any] = {}
    problems: list[str] = []
    for section in SECTIONS:
        part = getattr(config, section)
        updates: dict[str, Path] = {}
        for name in keys(section):
            value = getattr(part, name)
            if isinstance(value, Path) and in_a_home(value):
                try:
                    updates[name] = value.expanduser()
                except RuntimeError:
                    problems.append(f"{source}: {section}.{name}: no home folder for {value.parts[0][:60]!r}")
        if updates:
            changed[section] = dataclasses.replace(part, **updates)
    if problems:
        raise ConfigError(problems)
    return dataclasses.replace(config, **changed) if changed else config


def zone_problems(config: Config, source: str) -> list[str]:
    """The schedule's zone must be one this box's tz database holds."""
    problem = zone_problem(config.schedule.timezone)
    return [f"{source}: schedule.timezone: {problem}"] if problem else []


def checked_fleet(text: str, source: str = FLEET_FILE) -> Fleet:
    """The fleet file parsed by the core's rules, and every zone a role or box names found in the tz
    database; ConfigError with every problem otherwise."""
    fleet = parse_fleet(text, source)
    layers = [(f"roles.{name}", layer) for name, layer in fleet.roles.items()]
    layers += [(f"boxes.{name}", layer) for name, layer in fleet.boxes.items()]
    problems = [f"{source}: {where}.schedule.timezone: {problem}" for where, layer in layers
                if (problem := zone_problem(str(layer.get("schedule", {}).get("timezone", ""))))]
    if problems:
        raise ConfigError(problems)
    return fleet


def font_problems(config: Config, source: str) -> list[str]:
    """A font must be a regular file of sensible size: a device or FIFO would hang or eat memory."""
    path = config.captions.font
    try:
        info = path.stat()
    except OSError:
        return []  # a missing font falls back to the default at draw time, with a warning
    if not stat.S_ISREG(info.st_mode):
        return [f"{source}: captions.font: must be a font file, but {str(path)[:60]!r} is not a regular file"]
    if info.st_size > MAX_FONT_BYTES:
        return [f"{source}: captions.font: {str(path)[:60]!r} is {info.st_size:,} bytes, over the limit of "
                f"{MAX_FONT_BYTES:,} for a font"]
    return []
