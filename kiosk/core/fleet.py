"""The plaza's one central configuration: fleet.yaml, settings for each role and each box.

    roles:
      tall-case:
        playlist: {kinds: [answer]}
        display: {rotation: 90, fit: cover}
      giant-box:
        playlist: {kinds: [contribute, answer], answers_per_contribute: 1, sync_group: row-1}
    boxes:
      giant-box-3:
        playlist: {sync_offset: 2}

`kiosk publish` sends it with the content; each box applies it over its own
config.yaml: the local file, then its role's settings, then its name's.
Every value follows the same rules, with the same messages, as in
config.yaml. Keys that belong to the box itself (its folders, its server,
its token, its panel size, its name and role) cannot be set centrally. A
file with any problem is refused whole, and the box keeps the last good one.
Pure: text in, a Fleet or ConfigError out.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kiosk.core.catalogue import FLEET_FILE
from kiosk.core.config import compose_yaml, read_sections
from kiosk.core.errors import ConfigError
from kiosk.core.values import excerpt

# Each box's own: where it keeps things, whom it trusts, what it is.
LOCAL_ONLY = frozenset({
    "slides.folder", "state.dir", "sync.url", "sync.token_file", "sync.ca_bundle", "display.size",
    "box.name", "box.role",
    # Which root key the box trusts, and when it judges expiry: a fleet file must never unpin a box.
    "sync.root_key", "sync.trust_unsynchronised_clock",
})
_PARTS = ("roles", "boxes")


@dataclass(frozen=True)
class Fleet:
    """The central settings by role and by box name, already checked."""

    roles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    boxes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    version: str = ""  # a hash of the file's text, for status.json

    def applied_to(self, sections: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The box's own sections with its role's settings, then its name's, over them."""
        import socket

        role = str(sections.get("box", {}).get("role", ""))
        name = str(sections.get("box", {}).get("name") or socket.gethostname())
        merged = {section: dict(values) for section, values in sections.items()}
        for layer in (self.roles.get(role, {}) if role else {}, self.boxes.get(name, {})):
            for section, values in layer.items():
                merged.setdefault(section, {}).update(values)
        return merged


def parse_fleet(text: str, folder: Path, source: str = FLEET_FILE) -> Fleet:
    """Validates fleet.yaml; relative paths in it are relative to `folder` (the slide folder it arrives in)."""
    root = compose_yaml(text, source, what="fleet file")
    problems: list[str] = []
    parts: dict[str, dict[str, dict[str, dict[str, Any]]]] = {part: {} for part in _PARTS}
    if root is not None and not isinstance(root, yaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping with roles: and boxes:"])
    for key_node, value_node in (root.value if root is not None else []):
        part = str(key_node.value)[:60]
        line = key_node.start_mark.line + 1
        if part not in _PARTS:
            problems.append(f"{source}:{line}: {excerpt(part)}: unknown section; a fleet file has roles: and boxes:")
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue
        if not isinstance(value_node, yaml.MappingNode):
            problems.append(f"{source}:{line}: {part}: must be a mapping of names to settings")
            continue
        for name_node, settings_node in value_node.value:
            name = str(name_node.value).strip()[:60]
            where = f"{source}:{name_node.start_mark.line + 1}"
            if not name:
                problems.append(f"{where}: {part}: a name must not be empty")
                continue
            if name in parts[part]:
                problems.append(f"{where}: {part}.{name}: given twice")
                continue
            prefix = f"{part}.{name}."
            sections = read_sections(settings_node, source, problems, prefix=prefix)
            problems += _local_only(settings_node, source, prefix)
            parts[part][name] = {
                section: {key: folder / value if isinstance(value, Path) and not value.is_absolute() else value
                          for key, value in values.items()}
                for section, values in sections.items()
            }
    if problems:
        raise ConfigError(problems)
    return Fleet(parts["roles"], parts["boxes"], hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])


def _local_only(node: yaml.Node, source: str, prefix: str) -> list[str]:
    """The keys of a role or box that only the box itself may set, each named with its line."""
    problems: list[str] = []
    if not isinstance(node, yaml.MappingNode):
        return problems
    for section_node, keys_node in node.value:
        if not isinstance(keys_node, yaml.MappingNode):
            continue
        for key_node, _value in keys_node.value:
            dotted = f"{section_node.value}.{key_node.value}"
            if dotted in LOCAL_ONLY:
                problems.append(f"{source}:{key_node.start_mark.line + 1}: {prefix}{dotted}: belongs to each box "
                                "and is set in its own config.yaml, not centrally")
    return problems
