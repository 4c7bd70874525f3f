"""YAML from outside, within bounds: config.yaml and sidecars.

PyYAML's safe loader refuses Python objects, but it builds nested values by
recursion (a 3 KB sidecar of `[[[[...` raises RecursionError) and expands
aliases without limit (a 300-byte "billion laughs" document stands for
hundreds of megabytes once anything turns it into text). So every document
is first walked as a stream of parser events, which PyYAML produces without
recursion, and refused when it is nested too deeply, when its aliases would
expand beyond a bound, or when it carries a tag other than the plain ones.
Only then is it composed or loaded, and every refusal names the line.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml import MappingNode, Node, ScalarNode  # the composed document's nodes, for the readers of config files

__all__ = ["MAX_DEPTH", "MAX_NODES", "MappingNode", "Node", "ScalarNode", "YamlRefused", "check_document", "compose",
           "construct", "load"]

# Deeper nesting than any config or sidecar needs, far below Python's recursion limit.
MAX_DEPTH = 24
# Nodes a document may stand for once its aliases are expanded.
MAX_NODES = 20_000

_PLAIN_TAGS = {
    None, "!",
    *(f"tag:yaml.org,2002:{name}" for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")),
}


class YamlRefused(ValueError):
    """A YAML document that is malformed or beyond the bounds; `line` is 1-based or None."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        self.reason = reason
        self.line = line
        super().__init__(f"line {line}: {reason}" if line is not None else reason)


def check_document(text: str, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Raises YamlRefused unless `text` is one well-formed YAML document within the bounds."""
    # Each open collection: [nodes inside so far, its anchor]; sizes of finished anchors.
    open_nodes: list[list[Any]] = [[0, None]]
    anchored: dict[str, int] = {}
    documents = 0
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            line = event.start_mark.line + 1 if event.start_mark is not None else None
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise YamlRefused("more than one YAML document (a second ---)", line)
            tag = event.tag if isinstance(event, (yaml.ScalarEvent, yaml.CollectionStartEvent)) else None
            if tag is not None and tag not in _PLAIN_TAGS:
                raise YamlRefused(f"the tag {tag[:60]!r} is not allowed here; write plain values", line)
            if isinstance(event, yaml.CollectionStartEvent):
                if len(open_nodes) > max_depth:
                    raise YamlRefused(f"nested more than {max_depth} levels deep", line)
                open_nodes.append([1, event.anchor])
                continue
            if isinstance(event, yaml.ScalarEvent):
                size, anchor = 1, event.anchor
            elif isinstance(event, yaml.AliasEvent):
                alias = event.anchor or ""  # the parser gives every alias its name
                if alias not in anchored:
                    raise YamlRefused(f"alias *{alias[:60]} names no finished anchor", line)
                size, anchor = anchored[alias], None
            elif isinstance(event, yaml.CollectionEndEvent):
                size, anchor = open_nodes.pop()
            else:
                continue
            if anchor is not None:
                anchored[anchor] = size
            open_nodes[-1][0] += size
            if open_nodes[-1][0] > max_nodes or size > max_nodes:
                raise YamlRefused(f"stands for more than {max_nodes:,} values once its aliases are expanded", line)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc)
        raise YamlRefused(f"YAML syntax error: {str(reason)[:200]}",
                          mark.line + 1 if mark is not None else None) from None


def compose(text: str) -> yaml.Node | None:
    """The checked document's node tree (nodes keep their line numbers), or None if empty."""
    check_document(text)
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:  # pragma: no cover - the event walk saw the same parser
        raise YamlRefused(f"YAML syntax error: {str(exc)[:200]}") from None


def construct(node: yaml.Node) -> Any:
    """The Python value of one node of a checked document, with the safe constructor."""
    loader = yaml.SafeLoader("")
    try:
        return loader.construct_object(node, deep=True)
    except (yaml.YAMLError, ValueError, OverflowError) as exc:
        # A timestamp like 2026-13-45 raises ValueError inside PyYAML.
        raise YamlRefused(f"cannot read the value: {str(exc)[:200]}", node.start_mark.line + 1) from None
    finally:
        loader.dispose()


def load(text: str) -> Any:
    """The checked document as Python values (None if empty)."""
    node = compose(text)
    return None if node is None else construct(node)
