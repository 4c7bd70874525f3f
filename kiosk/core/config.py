"""config.yaml's text to typed, frozen configuration, validated once, with every problem named.

`parse_config(text, ...)` validates once and returns a `Config`; every
problem is reported with its dotted key and, where YAML knows it, the line.
Relative paths resolve against the folder of the config file, so a box can
keep its config in /etc/kiosk and the demo in the repository. The fleet
file's settings for the box's role and name go over the file's. Pure: the
boundary (kiosk.boundary.configfile) reads the files and the host name and
passes them in. The keys themselves, with their rules, defaults and docs,
are in kiosk.core.sections, and the YAML reader in kiosk.core.sectionreader.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from kiosk.core import safeyaml
from kiosk.core.catalogue import FLEET_FILE
from kiosk.core.errors import ConfigError
from kiosk.core.fleet import Fleet
from kiosk.core.sectionreader import MAX_CONFIG_BYTES, compose_yaml, read_sections
from kiosk.core.sections import NEEDS_RESTART, SECTIONS, Config, keys

__all__ = ["MAX_CONFIG_BYTES", "NEEDS_RESTART", "SECTIONS", "Config", "ConfigError", "config_changes", "keys",
           "parse_config"]

# A caption line, and the band's padding above and below it, in letter sizes (kiosk.picture.compose).
LINE_PITCH = 1.35
BAND_PADDING = 1.2


def parse_config(text: str, base_dir: Path, source: str = "config.yaml", fleet: Fleet | None = None,
                 as_role: str | None = None, as_box: str | None = None, host_name: str | None = None) -> Config:
    """Validates config text and returns the frozen Config, or raises ConfigError.

    `base_dir` is the config file's folder, for relative paths. With `fleet`
    (the central fleet.yaml), its settings for this box's role, then for its
    name, go over the file's, in that order. `as_role` and `as_box` stand in
    for the file's box.role and box.name (to see what another box will
    show). `host_name` is the box's name where the file leaves box.name
    empty; None leaves the field's default.
    """
    root = compose_yaml(text, source)
    if root is not None and not isinstance(root, safeyaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping of sections"])
    problems: list[str] = []
    sections = read_sections(root, source, problems)
    if problems:
        raise ConfigError(problems)
    sections = _with_relative_paths_resolved(sections, base_dir)
    for key, value in (("role", as_role), ("name", as_box)):
        if value is not None:
            sections.setdefault("box", {})[key] = value
    if host_name is not None:
        sections.setdefault("box", {}).setdefault("name", host_name)
    setters = fleet.setters(sections) if fleet is not None else {}
    if fleet is not None:
        sections = fleet.applied_to(sections)
    # SECTIONS is built from Config's own fields, so each value is of its field's type; mypy cannot follow a
    # section's name to its field, and sees only a Section.
    built: dict[str, Any] = {name: SECTIONS[name](**values) for name, values in sections.items()}
    config = Config(source=Path(source), **built)
    problems = _cross_checks(config, source, setters)
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

    captions = config.captions
    problems = []
    # One line at the smallest size (never above the size), with the band's padding (from the size), must fit
    # the band on a landscape screen, where the letter size is a share of the height itself.
    smallest = min(captions.min_size, captions.size)
    needs = smallest * LINE_PITCH + captions.size * BAND_PADDING
    for share_key in ("captions.max_share", "captions.portrait_max_share"):
        share = getattr(captions, share_key.split(".")[1])
        if needs > share:
            involved = ("captions.size", "captions.min_size", share_key)
            where = FLEET_FILE if any(key in setters for key in involved) else source
            problems.append(f"{where}: {named('captions.size')} {captions.size:g} and {named('captions.min_size')} "
                            f"{captions.min_size:g} need {needs:.0%} of the screen's height for one line and the "
                            f"band's padding, more than {named(share_key)} {share:g} allows (lower the sizes or "
                            "raise the share)")
    return problems


def in_a_home(path: Path) -> bool:
    """True for `~/...` or `~user/...`: a path only the machine can complete (kiosk.boundary.configfile does)."""
    return bool(path.parts) and path.parts[0].startswith("~")


def _with_relative_paths_resolved(sections: dict[str, dict[str, Any]], base_dir: Path) -> dict[str, dict[str, Any]]:
    """Every relative path given made absolute against `base_dir`, and every default path too."""
    resolved: dict[str, dict[str, Any]] = {}
    for section in SECTIONS:
        values = dict(sections.get(section, {}))
        for name, item in keys(section).items():
            value = values.get(name, item.default if item.default is not dataclasses.MISSING else None)
            if isinstance(value, Path) and not value.is_absolute() and not in_a_home(value):
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
