"""Reading config.yaml: typed, frozen configuration, validated once, with every problem named.

`parse_config(text)` validates once and returns a `Config`; every problem is
reported with its dotted key and, where YAML knows it, the line. Relative
paths resolve against the folder of the config file, so a box can keep its
config in /etc/kiosk and the demo in the repository. The keys themselves,
with their rules, defaults and docs, are in kiosk.core.sections.
"""

from __future__ import annotations

import dataclasses
import difflib
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from kiosk.core import safeyaml
from kiosk.core.catalogue import FLEET_FILE
from kiosk.core.errors import ConfigError
from kiosk.core.sections import NEEDS_RESTART, SECTIONS, Config, keys

if TYPE_CHECKING:
    from kiosk.core.fleet import Fleet

__all__ = ["NEEDS_RESTART", "SECTIONS", "Config", "ConfigError", "config_changes", "keys", "load_config", "parse_config"]

# A config file is a page of settings; anything near this size is a mistake or an attack.
MAX_CONFIG_BYTES = 1024 * 1024
# Fonts for every script fit easily (Noto CJK is about 20 MB); /dev/zero does not.
MAX_FONT_BYTES = 64 * 1024 * 1024
# The caption band may take this share of the screen's height at most.
MAX_CAPTION_SHARE = 0.6


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}"


def compose_yaml(text: str, source: str, what: str = "config file") -> yaml.Node | None:
    """The YAML document as nodes within bounds, or ConfigError naming the line."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{source}: {len(text):,} characters is over the limit of {MAX_CONFIG_BYTES:,} for a {what}"])
    try:
        return safeyaml.compose(text)
    except safeyaml.YamlRefused as exc:
        where = f"{source}:{exc.line}" if exc.line is not None else source
        raise ConfigError([f"{where}: {exc.reason}"]) from None


def read_sections(root: yaml.Node | None, source: str, problems: list[str], prefix: str = "") -> dict[str, dict[str, Any]]:
    """The sections of a mapping node, each key checked by its rule; problems name the file, line and key.

    `prefix` goes before each dotted key in messages (`roles.tall-case.` in the fleet file).
    """
    sections: dict[str, dict[str, Any]] = {}
    if root is None:
        return sections
    if not isinstance(root, yaml.MappingNode):
        problems.append(f"{source}:{root.start_mark.line + 1}: {prefix or 'the file'}{': ' if prefix else ' '}"
                        "must be a mapping of sections")
        return sections
    for key_node, value_node in root.value:
        section = str(key_node.value)[:60]
        line = key_node.start_mark.line + 1
        if section not in SECTIONS:
            problems.append(f"{source}:{line}: {prefix}{section}: {_unknown(section, list(SECTIONS))}")
            continue
        if section in sections:
            problems.append(f"{source}:{line}: {prefix}{section}: section given twice")
            continue
        sections[section] = {}
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # an empty section means "all defaults"
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(f"{source}:{line}: {prefix}{section}: must be a mapping of keys")
            continue
        known = keys(section)
        for item_key, item_value in value_node.value:
            name = str(item_key.value)[:60]
            item_line = item_key.start_mark.line + 1
            dotted = f"{prefix}{section}.{name}"
            if name not in known:
                problems.append(f"{source}:{item_line}: {dotted}: {_unknown(name, list(known))}")
                continue
            if name in sections[section]:
                problems.append(f"{source}:{item_line}: {dotted}: key given twice")
                continue
            try:
                value = safeyaml.construct(item_value)
                if value is None and known[name].metadata["empty_is_default"]:
                    continue
                sections[section][name] = known[name].metadata["rule"](value)
            except safeyaml.YamlRefused as exc:
                problems.append(f"{source}:{item_line}: {dotted}: {exc.reason}")
            except ValueError as exc:
                problems.append(f"{source}:{item_line}: {dotted}: {exc}")
    return sections


def parse_config(text: str, base_dir: Path, source: str = "config.yaml", fleet: Fleet | None = None,
                 as_role: str | None = None, as_box: str | None = None) -> Config:
    """Validates config text and returns the frozen Config, or raises ConfigError.

    With `fleet` (the central fleet.yaml), its settings for this box's role,
    then for its name, go over the file's, in that order. `as_role` and
    `as_box` stand in for the file's box.role and box.name (to see what
    another box will show).
    """
    root = compose_yaml(text, source)
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping of sections"])
    problems: list[str] = []
    sections = read_sections(root, source, problems)
    if problems:
        raise ConfigError(problems)
    sections = _with_relative_paths_resolved(sections, base_dir)
    for key, value in (("role", as_role), ("name", as_box)):
        if value is not None:
            sections.setdefault("box", {})[key] = value
    setters = fleet.setters(sections) if fleet is not None else {}
    if fleet is not None:
        sections = fleet.applied_to(sections)
    config = Config(source=Path(source), **{name: SECTIONS[name](**values) for name, values in sections.items()})
    problems = _cross_checks(config, source, setters) + _font_problems(config, sections, source)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_checks(config: Config, source: str, setters: dict[str, str]) -> list[str]:
    """Rules between keys: settings each valid alone that together break the screen.

    `setters` names the part of the fleet file that set a key (`roles.tall-case`): a problem with
    such a key names fleet.yaml and that part, since the fix is there, not in config.yaml.
    """
    def named(key: str) -> str:
        return f"{setters[key]}.{key}" if key in setters else key

    size, lines = config.captions.size, config.captions.max_lines
    # Each caption line takes about 1.3 times the letter size, plus the band's padding.
    share = size * (lines * 1.3 + 1.0)
    if share > MAX_CAPTION_SHARE:
        involved = ("captions.size", "captions.max_lines")
        where = FLEET_FILE if any(key in setters for key in involved) else source
        return [
            f"{where}: {named('captions.size')} {size:g} with {named('captions.max_lines')} {lines} would take "
            f"{share:.0%} of the screen's height; together they may take at most {MAX_CAPTION_SHARE:.0%} "
            "(lower one of them)"
        ]
    return []


def _font_problems(config: Config, given: dict[str, dict[str, Any]], source: str) -> list[str]:
    """A font must be a regular file of sensible size: a device or FIFO would hang or eat memory."""
    if "font" not in given.get("captions", {}):
        return []
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


def _with_relative_paths_resolved(sections: dict[str, dict[str, Any]], base_dir: Path) -> dict[str, dict[str, Any]]:
    """Every relative path given made absolute against `base_dir`, and every default path too."""
    resolved: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        values = dict(sections.get(section, {}))
        for name, item in keys(section).items():
            value = values.get(name, item.default if item.default is not dataclasses.MISSING else None)
            if isinstance(value, Path) and not value.is_absolute():
                values[name] = base_dir / value
        if values or section in sections:
            resolved[section] = values
    return resolved


def config_changes(old: Config, new: Config) -> list[tuple[str, object, object]]:
    """Every key whose value differs, as (dotted key, old value, new value)."""
    changes = []
    for section in SECTIONS:
        old_part, new_part = getattr(old, section), getattr(new, section)
        for key in keys(section):
            before, after = getattr(old_part, key), getattr(new_part, key)
            if before != after:
                changes.append((f"{section}.{key}", before, after))
    return changes


def load_config(path: Path, fleet: Fleet | None = None, as_role: str | None = None,
                as_box: str | None = None) -> Config:
    """Reads and validates a config file (with the fleet file's settings over it); a missing file is a ConfigError too."""
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_CONFIG_BYTES + 1)
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError([f"{path}: config file not found"]) from None
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read config file: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})"]) from None
    return parse_config(text, path.resolve().parent, source=str(path), fleet=fleet, as_role=as_role, as_box=as_box)
