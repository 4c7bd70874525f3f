"""The package stays untied: no import circle, even under TYPE_CHECKING or inside a function; no module over
400 lines and no class over 250."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import REPO

MODULE_LINES = 400
CLASS_LINES = 250


@dataclass(frozen=True)
class Import:
    """One module importing another, where it does so, and whether only the type checker sees it."""

    source: str
    target: str
    line: int
    type_checking: bool

    def __str__(self) -> str:
        hidden = ", under TYPE_CHECKING" if self.type_checking else ""
        return f"{self.source} -> {self.target} (line {self.line}{hidden})"


def modules(package: Path) -> dict[str, Path]:
    """Every module of the package under `package`, by dotted name (a package by its own name)."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _type_checking_lines(tree: ast.Module) -> set[int]:
    """The lines inside an `if TYPE_CHECKING:` block."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for statement in node.body:
                lines.update(range(statement.lineno, (statement.end_lineno or statement.lineno) + 1))
    return lines


def imports(name: str, path: Path, known: dict[str, Path]) -> list[Import]:
    """What module `name` (at `path`) imports from the package: at the top, inside functions and under
    TYPE_CHECKING alike. `from a.b import c` names module a.b.c where c is a module, a.b otherwise."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    hidden = _type_checking_lines(tree)
    here = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here.split(".")[: len(here.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for target in targets:
            while target and target not in known:  # `import kiosk.core.x.y` names kiosk.core.x's module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.append(Import(name, target, node.lineno, node.lineno in hidden))
    return found


def import_graph(package: Path) -> dict[str, list[Import]]:
    known = modules(package)
    return {name: imports(name, path, known) for name, path in known.items()}


def circles(graph: dict[str, list[Import]]) -> list[list[Import]]:
    """One circle for each knot of modules that import each other (Tarjan's strongly connected components),
    the shortest one through the knot's first module, each step with its line."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    knots: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for step in graph.get(node, []):
            if step.target not in index:
                visit(step.target)
                low[node] = min(low[node], low[step.target])
            elif step.target in on_stack:
                low[node] = min(low[node], index[step.target])
        if low[node] == index[node]:
            knot = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                knot.append(member)
                if member == node:
                    break
            if len(knot) > 1:
                knots.append(sorted(knot))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_shortest_circle(graph, knot) for knot in sorted(knots)]


def _shortest_circle(graph: dict[str, list[Import]], knot: list[str]) -> list[Import]:
    """The shortest way from the knot's first module back to itself, by breadth-first search inside the knot."""
    start, inside = knot[0], set(knot)
    paths: dict[str, list[Import]] = {start: []}
    queue = [start]
    for node in queue:
        for step in graph[node]:
            if step.target == start:
                return [*paths[node], step]
            if step.target in inside and step.target not in paths:
                paths[step.target] = [*paths[node], step]
                queue.append(step.target)
    raise AssertionError(f"no way back to {start} inside {knot}")


def long_modules(package: Path) -> list[str]:
    found = []
    for name, path in modules(package).items():
        count = len(path.read_text(encoding="utf-8").splitlines())
        if count > MODULE_LINES:
            found.append(f"{name}: {count} lines")
    return found


def long_classes(package: Path) -> list[str]:
    found = []
    for name, path in modules(package).items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                first = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
                count = (node.end_lineno or node.lineno) - first + 1
                if count > CLASS_LINES:
                    found.append(f"{name}.{node.name}: {count} lines (line {first})")
    return found


def test_no_import_circle_in_the_package():
    found = circles(import_graph(REPO / "kiosk"))
    if found:
        pytest.fail("import circles, each shown as one way round:\n" + "\n".join(
            "  " + "\n    ".join(str(step) for step in circle) for circle in found), pytrace=False)


def test_the_module_map_in_the_docs_names_every_module_in_its_layer():
    """docs/architecture.md's map lists each module under its folder; a module added must be placed there."""
    import re

    text = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    mapped: set[str] = set()
    layer = None
    for line in text.splitlines():
        heading = re.fullmatch(r"(core|picture|boundary|app)/.*", line)
        if heading:
            layer = heading.group(1)
        elif layer and (entry := re.match(r"\s+(\w+)\.py\s", line + " ")):
            mapped.add(f"{layer}/{entry.group(1)}")
        elif not line.strip() or line.startswith("```"):
            layer = None if line.startswith("```") else layer
    modules = {f"{path.parent.name}/{path.stem}" for path in (REPO / "kiosk").glob("*/*.py")
               if path.stem != "__init__"}
    assert modules - mapped == set(), "modules missing from docs/architecture.md's map"
    assert mapped - modules == set(), "modules in docs/architecture.md's map that do not exist"


def test_no_module_over_400_lines():
    found = long_modules(REPO / "kiosk")
    if found:
        pytest.fail(f"modules over {MODULE_LINES} lines:\n  " + "\n  ".join(found), pytrace=False)


def test_no_class_over_250_lines():
    found = long_classes(REPO / "kiosk")
    if found:
        pytest.fail(f"classes over {CLASS_LINES} lines:\n  " + "\n  ".join(found), pytrace=False)


# The checks themselves, on a small package written for them.

def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / "pkg"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for folder in [package, *(p for p in package.rglob("*") if p.is_dir())]:
        (folder / "__init__.py").touch()
    return package


def test_a_circle_hidden_under_type_checking_or_in_a_function_is_found_and_named(tmp_path):
    package = _package(tmp_path, {
        "low/a.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high import b\n",
        "high/b.py": "def f():\n    from ..low import c\n",
        "low/c.py": "import pkg.low.a\n",
        "low/d.py": "from pkg.low import a, c\n",  # imports into the knot, but nothing imports back
    })
    found = circles(import_graph(package))
    assert [[str(step) for step in circle] for circle in found] == [[
        "pkg.high.b -> pkg.low.c (line 2)",
        "pkg.low.c -> pkg.low.a (line 1)",
        "pkg.low.a -> pkg.high.b (line 3, under TYPE_CHECKING)",
    ]]


def test_a_package_without_circles_passes(tmp_path):
    package = _package(tmp_path, {"a.py": "import os\nfrom . import b\n", "b.py": "from pkg import c\n", "c.py": ""})
    graph = import_graph(package)
    assert circles(graph) == []
    assert [step.target for step in graph["pkg.a"]] == ["pkg.b"]


def test_a_long_module_and_a_long_class_are_named(tmp_path):
    body = "\n".join(f"    x{n} = {n}" for n in range(CLASS_LINES))
    package = _package(tmp_path, {"big.py": "@dataclass\nclass Big:\n" + body + "\n" + "\n" * 200,
                                  "small.py": "class Small:\n" + body[: body.index("\n", 100)] + "\n"})
    assert long_classes(package) == [f"pkg.big.Big: {CLASS_LINES + 2} lines (line 1)"]
    assert long_modules(package) == [f"pkg.big: {CLASS_LINES + 2 + 200} lines"]
