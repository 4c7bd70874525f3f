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
config.yaml. The fleet file configures, it never commands: a key marked
`local_only` in kiosk.core.sections (one that runs a program, names a path
on the box, decides where the box sends data or credentials, or spends the
box's own disk, memory or hardware) cannot be set centrally. A file with
any problem, a local-only key included, is refused whole, and the box keeps
the last good one. Pure: text in, a Fleet or ConfigError out.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from typing import Any, Iterable

from kiosk.core import safeyaml
from kiosk.core.catalogue import FLEET_FILE, Slide, kind_of
from kiosk.core.errors import ConfigError
from kiosk.core.playlist import playlist_settings
from kiosk.core.plaza import selection
from kiosk.core.sectionreader import compose_yaml, read_sections
from kiosk.core.sections import LOCAL_ONLY, Config, keys
from kiosk.core.values import excerpt

_PARTS = ("roles", "boxes")


@dataclass(frozen=True)
class Fleet:
    """The central settings by role and by box name, already checked."""

    roles: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    boxes: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    version: str = ""  # a hash of the file's text, for status.json

    def __post_init__(self) -> None:
        # However a Fleet is made, it never carries a key that only the box may set.
        layers = [(f"roles.{name}", layer) for name, layer in self.roles.items()]
        layers += [(f"boxes.{name}", layer) for name, layer in self.boxes.items()]
        problems = [f"{FLEET_FILE}: {where}.{section}.{key}: {_BOX_ONLY}" for where, layer in layers
                    for section, values in layer.items() for key in values if f"{section}.{key}" in LOCAL_ONLY]
        if problems:
            raise ConfigError(problems)

    def layers_for(self, sections: dict[str, dict[str, Any]]) -> list[tuple[str, dict[str, dict[str, Any]]]]:
        """The parts that apply to a box of these sections, in order: its role's, then its name's.

        The box's name is box.name as given (kiosk.core.config puts the host name there when the file
        leaves it empty), else the field's default.
        """
        role = str(sections.get("box", {}).get("role", ""))
        name = str(sections.get("box", {}).get("name") or keys("box")["name"].default)
        return [(f"roles.{role}", self.roles.get(role, {}) if role else {}),
                (f"boxes.{name}", self.boxes.get(name, {}))]

    def applied_to(self, sections: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """The box's own sections with its role's settings, then its name's, over them."""
        merged = {section: dict(values) for section, values in sections.items()}
        for _where, layer in self.layers_for(sections):
            for section, values in layer.items():
                merged.setdefault(section, {}).update(values)
        return merged

    def setters(self, sections: dict[str, dict[str, Any]]) -> dict[str, str]:
        """For each dotted key the fleet file sets on this box, the part that set it last (`roles.tall-case`)."""
        return {f"{section}.{key}": where for where, layer in self.layers_for(sections)
                for section, values in layer.items() for key in values}


_BOX_ONLY = "belongs to each box and is set in its own config.yaml, never by the fleet file (docs/plaza.md)"


def parse_fleet(text: str, source: str = FLEET_FILE) -> Fleet:
    """Validates fleet.yaml: every value by its key's rule, and no key that only the box may set."""
    root = compose_yaml(text, source, what="fleet file")
    problems: list[str] = []
    parts: dict[str, dict[str, dict[str, dict[str, Any]]]] = {part: {} for part in _PARTS}
    if root is not None and not isinstance(root, safeyaml.MappingNode):
        raise ConfigError([f"{source}:{root.start_mark.line + 1}: the file must be a mapping with roles: and boxes:"])
    for key_node, value_node in (root.value if root is not None else []):
        part = str(key_node.value)[:60]
        line = key_node.start_mark.line + 1
        if part not in _PARTS:
            problems.append(f"{source}:{line}: {excerpt(part)}: unknown section; a fleet file has roles: and boxes:")
            continue
        if isinstance(value_node, safeyaml.ScalarNode) and value_node.tag.endswith(":null"):
            continue
        if not isinstance(value_node, safeyaml.MappingNode):
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
            parts[part][name] = sections
    if problems:
        raise ConfigError(problems)
    return Fleet(parts["roles"], parts["boxes"], hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])


def _local_only(node: safeyaml.Node, source: str, prefix: str) -> list[str]:
    """The keys of a role or box that only the box itself may set, each named with its line."""
    problems: list[str] = []
    if not isinstance(node, safeyaml.MappingNode):
        return problems
    for section_node, keys_node in node.value:
        if not isinstance(keys_node, safeyaml.MappingNode):
            continue
        for key_node, _value in keys_node.value:
            dotted = f"{section_node.value}.{key_node.value}"
            if dotted in LOCAL_ONLY:
                problems.append(f"{source}:{key_node.start_mark.line + 1}: {prefix}{dotted}: {_BOX_ONLY}")
    return problems


_SELECTION_KEYS = ("kinds", "include", "exclude")
DEFAULT_SETTINGS = playlist_settings(Config())  # a role's selection over the config's defaults


def empty_selections(fleet: Fleet, paths: Iterable[str]) -> list[str]:
    """Each role (or box) of the fleet file whose selection leaves it none of these slides, said once each.

    A part is judged by its own `playlist.kinds`, `include` and `exclude`
    over the defaults, as the publishing side cannot know each box's own
    file. Nothing is said when there are no slides at all.
    """
    slides = [Slide(path, kind, 0, 0) for path in paths if (kind := kind_of(path)) in ("contribute", "answer")]
    if not slides:
        return []
    problems = []
    parts = [(f"roles.{name}", name, layer) for name, layer in fleet.roles.items()]
    parts += [(f"boxes.{name}", "", layer) for name, layer in fleet.boxes.items()]
    for where, role, layer in parts:
        chosen = {key: value for key, value in layer.get("playlist", {}).items() if key in _SELECTION_KEYS}
        if not chosen:
            continue
        settings = dataclasses.replace(DEFAULT_SETTINGS, role=role, **chosen)
        of_kinds = [slide for slide in slides if slide.kind in settings.kinds]
        if not of_kinds:
            problems.append(f"{FLEET_FILE}: {where}: shows no slide: none of the {len(slides)} slides is of its "
                            f"playlist.kinds ({', '.join(settings.kinds)}); its boxes show the fallback card")
        elif not any(map(selection(settings), of_kinds)):
            patterns = [f"playlist.{key}" for key in ("include", "exclude") if key in chosen]
            problems.append(f"{FLEET_FILE}: {where}: shows no slide: its {' and '.join(patterns)} "
                            f"{'leave' if len(patterns) > 1 else 'leaves'} none of the "
                            f"{len(of_kinds)} slides of its kinds; its boxes show the fallback card")
    return problems
