"""Reading a YAML document of config sections, key by key, each checked by its field's rule.

Shared by config.yaml (kiosk.core.config) and the fleet file's roles and boxes (kiosk.core.fleet), so that
both read settings the same way and neither imports the other.
"""

from __future__ import annotations

import difflib
from typing import Any

from kiosk.core import safeyaml
from kiosk.core.errors import ConfigError
from kiosk.core.sections import SECTIONS, keys

# A config file is a page of settings; anything near this size is a mistake or an attack.
MAX_CONFIG_BYTES = 1024 * 1024


def _unknown(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown key{hint}; known keys: {', '.join(known)}"


def compose_yaml(text: str, source: str, what: str = "config file") -> safeyaml.Node | None:
    """The YAML document as nodes within bounds, or ConfigError naming the line."""
    if len(text) > MAX_CONFIG_BYTES:
        raise ConfigError([f"{source}: {len(text):,} characters is over the limit of {MAX_CONFIG_BYTES:,} "
                           f"for a {what}"])
    try:
        return safeyaml.compose(text)
    except safeyaml.YamlRefused as exc:
        where = f"{source}:{exc.line}" if exc.line is not None else source
        raise ConfigError([f"{where}: {exc.reason}"]) from None


def read_sections(root: safeyaml.Node | None, source: str, problems: list[str],
                  prefix: str = "") -> dict[str, dict[str, Any]]:
    """The sections of a mapping node, each key checked by its rule; problems name the file, line and key.

    `prefix` goes before each dotted key in messages (`roles.tall-case.` in the fleet file).
    """
    sections: dict[str, dict[str, Any]] = {}
    if root is None:
        return sections
    if not isinstance(root, safeyaml.MappingNode):
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
        if isinstance(value_node, safeyaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue  # an empty section means "all defaults"
        if not isinstance(value_node, safeyaml.MappingNode):
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
