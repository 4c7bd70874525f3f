"""Where a benchmark's figures go: bench/results/NAME.json, with what they were measured on.

Every script in bench/ ends with `write_result(__file__, result)` (`from record import write_result`:
Python puts the script's own folder first on sys.path). The file holds

    {"script": "bench/NAME.py", "command": "bench/NAME.py --runs 9", "date": "2026-12-05T07:40:12Z",
     "commit": "<the checkout's HEAD>", "dirty": false, "machine": {...}, "result": {...}}

`dirty` is true when tracked files differ from the commit (bench/results/ itself aside), so a figure
measured on uncommitted code says so. A script measured in several variants (bench/perf.py's
renderers and its run on one core, bench/watch_latency.py's watchers, bench/sync_group.py's panels,
bench/disk_writes.py's file systems) passes `variant=`, and the file then holds
{"script": ..., "variants": {"software": {"command": ..., ..., "result": ...}, ...}}, each variant with
its own commit, machine and date, so that measuring one variant keeps the others.

BENCH_RESULTS names another folder for the files: bench/scale.py sets it for the benchmarks it runs
as parts of its own, so that those parts never overwrite the figures of a whole run.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"


def results_folder() -> Path:
    return Path(os.environ.get("BENCH_RESULTS") or RESULTS)


def _git(*argv: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(ROOT), *argv], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def checkout() -> dict[str, Any]:
    """The commit measured, and whether tracked files differed from it (bench/results/ aside)."""
    head = _git("rev-parse", "HEAD")
    changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)bench/results")
    return {"commit": head.strip() if head else None, "dirty": None if changes is None else bool(changes.strip())}


def _first(path: str, keys: tuple[str, ...]) -> str | None:
    """The value of the first of `keys` in a `key : value` file such as /proc/cpuinfo."""
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    for key in keys:
        for line in text.splitlines():
            name, colon, value = line.partition(":")
            if colon and name.strip() == key and value.strip():
                return value.strip()
    return None


def machine() -> dict[str, Any]:
    """The CPU, its cores, the memory, the kernel and the Python the figures were measured with."""
    memory = _first("/proc/meminfo", ("MemTotal",))
    try:
        board = Path("/proc/device-tree/model").read_text(encoding="utf-8", errors="replace").strip("\0\n ")
    except OSError:
        board = None
    return {
        "cpu": _first("/proc/cpuinfo", ("model name", "Model", "Hardware")) or platform.processor() or None,
        "board": board,
        "architecture": platform.machine(),
        "cores": os.cpu_count(),
        "ram_mb": round(int(memory.split()[0]) / 1024) if memory and memory.split()[0].isdigit() else None,
        "kernel": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "cores_allowed": len(os.sched_getaffinity(0)),  # fewer than cores under taskset
        # glibc's malloc tuning changes the memory and decode figures (docs/performance.md)
        "malloc_environment": {name: value for name, value in os.environ.items() if name.startswith("MALLOC_")},
    }


def provenance() -> dict[str, Any]:
    """How to run the measurement again, and on what it ran."""
    script = Path(sys.argv[0]).resolve()
    shown = script.relative_to(ROOT) if script.is_relative_to(ROOT) else Path(script.name)
    return {
        "command": " ".join([str(shown), *sys.argv[1:]]),
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **checkout(),
        "machine": machine(),
    }


def write_result(script: str, result: Any, variant: str | None = None, command: str | None = None) -> Path:
    """Write `result` to bench/results/NAME.json (NAME from the script's file name) with its provenance.

    `command`: a kind of run of the script whose figures stand on their own (`soak.py --videos 4`):
    written to NAME-COMMAND.json."""
    name = Path(script).stem
    out = results_folder() / (f"{name}.json" if command is None else f"{name}-{command}.json")
    record = {**provenance(), "result": result}
    if variant is None:
        document: dict[str, Any] = {"script": f"bench/{name}.py", **record}
    else:
        try:
            document = json.loads(out.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            document = {}
        if not isinstance(document.get("variants"), dict):
            document = {"script": f"bench/{name}.py", "variants": {}}
        document["variants"][variant] = record
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return out
