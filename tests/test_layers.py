"""The layers hold: the pure core and the render loop's decisions import no outside library,
and the commands that need no screen never load SDL."""

import json
import subprocess
import sys

import pytest

from .conftest import write_config

CORE = [
    "kiosk.core.config", "kiosk.core.rules", "kiosk.core.schedule", "kiosk.core.sidecar", "kiosk.core.catalogue", "kiosk.core.playlist",
    "kiosk.core.settling", "kiosk.core.manifest", "kiosk.core.messages", "kiosk.core.errors", "kiosk.core.values", "kiosk.core.safeyaml",
    "kiosk.core.frames", "kiosk.core.layout", "kiosk.core.framestats", "kiosk.core.priority",
]
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
