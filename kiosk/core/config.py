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
from typing import Any

import yaml

from kiosk.core import safeyaml
from kiosk.core.errors import ConfigError
from kiosk.core.sections import NEEDS_RESTART, SECTIONS, Config, keys

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


def parse_config(text: str, base_dir: Path, source: str = "config.yaml") -> Config:
    """Validates config text and returns the frozen Config, or raises ConfigError."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{source}: {len(text):,} characters is over the limit of {MAX_CONFIG_BYTES:,} for a config file"])
    try:
        root = safeyaml.compose(text)
    except safeyaml.YamlRefused as exc:
        where = f"{source}:{exc.line}" if exc.line is not None else source
        raise ConfigError([f"{where}: {exc.reason}"]) from None
    if root is None:
        return _with_paths_resolved(Config(source=Path(source)), base_dir)
    if not isinstance(root, yaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping of sections"])

    problems: list[str] = []
    sections: dict[str, dict[str, Any]] = {}
    for key_node, value_node in root.value:
        section = str(key_node.value)[:60]
        line = key_node.start_mark.line + 1
        if section not in SECTIONS:
            problems.append(f"{source}:{line}: {section}: {_unknown(section, list(SECTIONS))}")
            continue
        if section in sections:
            problems.append(f"{source}:{line}: {section}: section given twice")
            continue
        sections[section] = {}
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # an empty section means "all defaults"
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(f"{source}:{line}: {section}: must be a mapping of keys")
            continue
        known = keys(section)
        for item_key, item_value in value_node.value:
            name = str(item_key.value)[:60]
            item_line = item_key.start_mark.line + 1
            dotted = f"{section}.{name}"
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

    if problems:
        raise ConfigError(problems)
    config = Config(source=Path(source), **{name: SECTIONS[name](**values) for name, values in sections.items()})
    config = _with_paths_resolved(config, base_dir)
    problems = _cross_checks(config, source) + _font_problems(config, sections, source)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_checks(config: Config, source: str) -> list[str]:
    """Rules between keys: settings each valid alone that together break the screen."""
    size, lines = config.captions.size, config.captions.max_lines
    # Each caption line takes about 1.3 times the letter size, plus the band's padding.
    share = size * (lines * 1.3 + 1.0)
    if share > MAX_CAPTION_SHARE:
        return [
            f"{source}: captions.size {size:g} with captions.max_lines {lines} would take {share:.0%} of the screen's "
            f"height; together they may take at most {MAX_CAPTION_SHARE:.0%} (lower one of them)"
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


def _with_paths_resolved(config: Config, base_dir: Path) -> Config:
    """Every relative path made absolute against the config file's folder."""
    changes = {}
    for section in SECTIONS:
        part = getattr(config, section)
        moved = {
            name: base_dir / value for name in keys(section)
            if isinstance(value := getattr(part, name), Path) and not value.is_absolute()
        }
        if moved:
            changes[section] = dataclasses.replace(part, **moved)
    return dataclasses.replace(config, **changes)


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


def load_config(path: Path) -> Config:
    """Reads and validates a config file; a missing file is a ConfigError too."""
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
    return parse_config(text, path.resolve().parent, source=str(path))
