"""The layers hold: the pure core and the render loop's decisions import no outside library,
and the commands that need no screen never load SDL."""

import ast
import json
import subprocess
import sys

import pytest

from .conftest import REPO, write_config

KIOSK = REPO / "kiosk"
CORE = sorted(f"kiosk.core.{path.stem}" for path in (KIOSK / "core").glob("*.py") if path.stem != "__init__")
# Which layer may import which: each only from those below it.
MAY_IMPORT = {
    "core": {"core"},
    "picture": {"core", "picture"},
    "boundary": {"core", "picture", "boundary"},
    "app": {"core", "picture", "boundary", "app"},
}
# The decoder opens picture files only through the one safe opener (no FIFOs, no devices, bounded).
ALSO_ALLOWED = {"picture": {"kiosk.boundary.files"}}
OUTSIDE = ["pygame", "PIL", "requests", "watchdog"]


def loaded_after(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(__import__('json').dumps([m for m in {OUTSIDE!r} if m in sys.modules]))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("module", CORE)
def test_the_core_imports_no_outside_library(module):
    assert loaded_after(f"import {module}") == []


def test_the_render_loop_imports_no_outside_library():
    # The screen, the worker and the watchers come in through its constructor.
    assert loaded_after("import kiosk.app.show") == []


@pytest.mark.parametrize("command", [["check", "--json"], ["plan", "--count", "3"], ["report"]])
def test_commands_without_a_screen_never_load_sdl(tmp_path, slide_folder, command):
    config = write_config(tmp_path, slides=slide_folder)
    code = (
        "import contextlib, io\nfrom kiosk.app.cli import main\n"
        f"with contextlib.redirect_stdout(io.StringIO()):\n    assert main({[*command, '--config', str(config)]!r}) == 0"
    )
    assert "pygame" not in loaded_after(code)


def kiosk_imports(path) -> set[str]:
    """The kiosk modules a file imports, at the top or inside functions."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("kiosk"):
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names if alias.name.startswith("kiosk"))
    return names


@pytest.mark.parametrize("layer", sorted(MAY_IMPORT))
def test_each_layer_imports_only_from_the_layers_below(layer):
    wrong = []
    for path in sorted((KIOSK / layer).glob("*.py")):
        for name in kiosk_imports(path):
            parts = name.split(".")
            if name in ALSO_ALLOWED.get(layer, ()):
                continue
            if len(parts) > 1 and parts[1] in MAY_IMPORT and parts[1] not in MAY_IMPORT[layer]:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert wrong == []


def test_every_module_sits_in_a_layer():
    assert sorted(path.name for path in KIOSK.glob("*.py")) == ["__init__.py", "__main__.py"]
