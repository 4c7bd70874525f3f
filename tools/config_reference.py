"""Writes docs/configuration.md, the configuration reference, from the fields of kiosk/core/sections.py.

    .venv/bin/python tools/config_reference.py          write it
    .venv/bin/python tools/config_reference.py --check  exit 1 if it is out of date (the tests run this)
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kiosk.core.sections import SECTIONS, keys  # noqa: E402 - after the sys.path line above, so a checkout runs it

TARGET = ROOT / "docs" / "configuration.md"


def shown(item: dataclasses.Field) -> str:
    """How the reference shows a key's default."""
    if item.metadata["shown"] is not None:
        return "empty" if item.metadata["shown"] == "empty" else f"`{item.metadata['shown']}`"
    default = item.default
    if isinstance(default, bool):
        return f"`{str(default).lower()}`"
    if isinstance(default, str):
        return f"`{default}`" if default else '`""`'
    if isinstance(default, float) and default.is_integer():
        return f"`{int(default)}`"
    return f"`{default}`"


def reference_markdown() -> str:
    lines = [
        "# Configuration reference",
        "",
        "Generated from `kiosk/core/sections.py` by `.venv/bin/python tools/config_reference.py`; a test checks it is",
        "current. Every key is optional. Durations are seconds and may be fractions; relative paths are",
        "relative to the folder of the config file. Keys marked *restart* are read once at start: a running",
        "kiosk logs that a change waits for the next start. The others apply from the next slide.",
        "",
        "An unknown key, a wrong type or an out-of-range value stops `kiosk run` and `kiosk check` with exit",
        "code 1 and a message naming the file, the line and the key, for example",
        "",
        "```",
        "config.yaml:21: timing.answr_seconds: unknown key (did you mean answer_seconds?); known keys: ...",
        "```",
        "",
        "A running kiosk keeps its last good config when config.yaml is saved with a mistake.",
        "",
        "Keys marked *box only* are set in each box's own config.yaml and never by the plaza's central",
        "`fleet.yaml`: they run a program, name a path on the box, decide where the box sends data or",
        "credentials, or spend the box's own disk, memory or hardware. A fleet file that sets one is refused",
        "whole, by `kiosk publish`, `kiosk check` and every box ([the plaza](plaza.md#what-only-each-box-sets)).",
        "",
    ]
    for section in SECTIONS:
        lines += [f"## `{section}`", "", "| key | default | allowed | meaning |", "|---|---|---|---|"]
        for name, item in keys(section).items():
            marks = [mark for mark, flag in (("restart", "restart"), ("box only", "local_only")) if item.metadata[flag]]
            marked = f" *({', '.join(marks)})*" if marks else ""
            allowed = getattr(item.metadata["rule"], "allowed", "")
            lines.append(f"| `{section}.{name}` | {shown(item)} | {allowed} | {item.metadata['doc']}{marked} |")
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    text = reference_markdown()
    if "--check" in sys.argv[1:]:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print(f"{TARGET.relative_to(ROOT)} is out of date: run tools/config_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
