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
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main({[*command, '--config', str(config)]!r}) == 0"
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


# --- the core performs no I/O ------------------------------------------------------
# Files, sockets, the host name, the environment, the clock and the process belong to the boundary,
# which passes what it read to the core. Checked on the source, so that no path through the code,
# however rare, escapes.

# The one library from outside the standard library the core may use, and where: PyYAML, for its event
# parser and its nodes, in kiosk.core.safeyaml alone (it bounds every document before anything is built).
OUTSIDE_ALLOWED_IN_CORE = {"yaml": "kiosk/core/safeyaml.py"}
# Standard modules whose use is I/O (or waiting, or the process): never imported by the core, except for
# a type under TYPE_CHECKING, which never runs.
IO_MODULES = {
    "os", "io", "socket", "ssl", "select", "selectors", "shutil", "subprocess", "tempfile", "glob", "mmap",
    "signal", "fcntl", "termios", "pty", "tty", "resource", "platform", "getpass", "pwd", "grp", "ctypes",
    "urllib", "http", "ftplib", "smtplib", "poplib", "imaplib", "socketserver", "webbrowser", "sqlite3", "dbm",
    "shelve", "pickle", "marshal", "multiprocessing", "concurrent", "threading", "asyncio", "time", "fileinput",
    "filecmp", "linecache", "tarfile", "zipfile", "gzip", "bz2", "lzma", "csv", "configparser", "netrc",
    "mailbox", "wave", "importlib", "pkgutil", "site", "sysconfig", "secrets", "uuid", "atexit", "faulthandler",
    "tracemalloc", "gc", "inspect", "runpy", "code", "pdb", "logging.handlers",
}
# Calls that are I/O whatever they are called on: Path's file methods, the builtins that read or write.
IO_METHODS = {
    "open", "read_text", "read_bytes", "write_text", "write_bytes", "stat", "lstat", "exists", "is_dir",
    "is_file", "is_symlink", "is_mount", "is_fifo", "is_socket", "is_block_device", "is_char_device", "iterdir",
    "glob", "rglob", "walk", "mkdir", "rmdir", "unlink", "touch", "chmod", "lchmod", "readlink", "symlink_to",
    "hardlink_to", "samefile", "resolve", "absolute", "expanduser", "home", "cwd",
    "gethostname", "getfqdn", "now", "today", "utcnow", "fromtimestamp", "utcfromtimestamp",
}
IO_BUILTINS = {"open", "input", "print", "breakpoint", "exec", "eval", "__import__"}
# Attributes of allowed modules that are I/O or read the process's state.
IO_ATTRIBUTES = {"sys.stdin", "sys.stdout", "sys.stderr", "sys.argv", "sys.exit", "sys.path", "sys.modules",
                 "random.random", "random.seed", "random.shuffle", "random.choice", "random.choices",
                 "random.sample", "random.randint", "random.randrange", "random.uniform", "random.getrandbits",
                 "random.SystemRandom", "hashlib.file_digest"}
# Known and kept, each for its reason:
# - logging: the core says what it decided through the logging module; the handlers, which write, are
#   the boundary's (kiosk.app.cli sets them up).
KEPT = {"logging"}


def _type_checking_only(tree: ast.Module) -> set[ast.AST]:
    """The nodes inside `if TYPE_CHECKING:` blocks."""
    inside: set[ast.AST] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for child in node.body:
                inside.update(ast.walk(child))
    return inside


def _dotted(node: ast.AST, aliases: dict[str, str]) -> str | None:
    """`dt.datetime.now` as `datetime.datetime.now`, for a name bound by an import; None otherwise."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name) or node.id not in aliases:
        return None
    return ".".join([aliases[node.id], *reversed(parts)])


def io_in(source: str, name: str) -> list[str]:
    """Every import, call or attribute of a module's source that is I/O, as `name:line: what`."""
    tree = ast.parse(source)
    types_only = _type_checking_only(tree)
    aliases: dict[str, str] = {}
    found: list[str] = []

    def say(node: ast.AST, what: str) -> None:
        found.append(f"{name}:{node.lineno}: {what}")  # type: ignore[attr-defined]  # ast.AST lacks it; these have it

    for node in ast.walk(tree):
        imported: list[str] = []  # modules, or module.name for `from module import name`
        if isinstance(node, ast.Import):
            for alias in node.names:
                imported.append(alias.name)
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top  # `import a.b` binds a
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                imported.append(f"{node.module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        for module in imported:
            top = module.split(".")[0]
            if top in ("kiosk", "__future__") or top in KEPT:
                continue
            if top not in sys.stdlib_module_names and OUTSIDE_ALLOWED_IN_CORE.get(top) != name:
                say(node, f"imports {module}, from outside the standard library")
            elif node in types_only:
                continue
            elif top in IO_MODULES or ".".join(module.split(".")[:2]) in IO_MODULES:
                say(node, f"imports {module}")
            elif module in IO_ATTRIBUTES:
                say(node, f"uses {module}")
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in IO_BUILTINS:
                say(node, f"calls {node.func.id}()")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in IO_METHODS:
                say(node, f"calls .{node.func.attr}()")
        if isinstance(node, (ast.Attribute, ast.Name)):
            dotted = _dotted(node, aliases) if isinstance(node, ast.Attribute) else aliases.get(node.id)
            if dotted in IO_ATTRIBUTES:
                say(node, f"uses {dotted}")
    return found


def test_the_core_performs_no_io():
    found = [problem for path in sorted((KIOSK / "core").glob("*.py"))
             for problem in io_in(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == []


@pytest.mark.parametrize("code, expected", [
    ("import socket", "imports socket"),
    ("import requests", "imports requests, from outside the standard library"),
    ("import yaml", "imports yaml, from outside the standard library"),  # anywhere but in kiosk.core.safeyaml
    ("from os import stat", "imports os.stat"),
    ("from os.path import exists", "imports os.path.exists"),
    ("import urllib.request", "imports urllib.request"),
    ("data = open('x').read()", "calls open()"),
    ("from pathlib import Path\nPath('x').read_text()", "calls .read_text()"),
    ("from pathlib import Path\nPath('x').exists()", "calls .exists()"),
    ("from pathlib import Path\nPath('~').expanduser()", "calls .expanduser()"),
    ("import datetime as dt\ndt.datetime.now()", "calls .now()"),
    ("import sys\nsys.stdout.write('x')", "uses sys.stdout"),
    ("import random\nrandom.shuffle([])", "uses random.shuffle"),
    ("from random import shuffle", "uses random.shuffle"),
    ("print('x')", "calls print()"),
])
def test_the_no_io_check_finds_each_kind_of_io(code, expected):
    assert io_in(code, "probe.py") == [f"probe.py:{code.count(chr(10)) + 1}: {expected}"]


def test_the_no_io_check_passes_pure_code_and_types():
    pure = ("import random\nimport datetime as dt\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    import mmap\nrandom.Random(1).shuffle([])\ndt.datetime(2026, 1, 1).isoformat()\n")
    assert io_in(pure, "probe.py") == []
