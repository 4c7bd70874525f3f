"""The long run of the property tests: 100,000 hostile documents for every parser of outside input.

    .venv/bin/python bench/fuzz_parsers.py [--examples 100000] [--only manifest,sidecar]

Each property (config.yaml, sidecars, YAML bounds, manifest.json, the saved
rotation, play logs, JSON numbers, file names) runs in its own pytest process
with Hypothesis's `long` profile; the suite runs the same tests with 150
examples each. Prints examples, failures and time per parser, and writes
bench/results/fuzz_parsers.json.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

from record import write_result

REPO = Path(__file__).resolve().parent.parent

PROPERTIES = {
    "config.yaml": "tests/test_config.py::test_any_config_gives_a_config_or_short_errors_naming_where",
    "sidecars": "tests/test_sidecar.py::test_any_sidecar_gives_meta_or_a_short_error",
    "YAML bounds": "tests/test_safeyaml.py::test_any_document_loads_or_is_refused_shortly",
    "YAML text": "tests/test_safeyaml.py::test_any_text_loads_or_is_refused",
    "manifest.json": "tests/test_manifest.py::test_any_manifest_parses_or_is_refused_with_a_short_reason",
    "rotation.json": "tests/test_state.py::test_any_rotation_file_loads_or_starts_fresh",
    "play logs": "tests/test_playlog.py::test_any_play_log_reports_finite_numbers",
    "JSON numbers": "tests/test_values.py::test_json_gives_finite_values_or_a_value_error",
    "file names": "tests/test_folder.py::test_any_file_name_lists_as_utf8_or_a_printable_problem",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=100_000)
    parser.add_argument("--only", help="run only these parsers: names above, separated by commas")
    args = parser.parse_args()
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    results = []
    failed = False
    for name, test in PROPERTIES.items():
        if args.only and name not in args.only.split(","):
            continue
        started = time.monotonic()
        completed = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--hypothesis-profile=long",
             "--hypothesis-show-statistics", f"--hypothesis-seed={len(name)}", test],
            cwd=REPO, env=dict(env, KIOSK_FUZZ_EXAMPLES=str(args.examples)), capture_output=True, text=True,
        )
        seconds = time.monotonic() - started
        # Hypothesis reports each phase (reuse, generate, shrink) on its own line.
        examples = sum(int(n) for n in re.findall(r"(\d+) passing(?: examples)?,", completed.stdout))
        ok = completed.returncode == 0
        failed |= not ok
        results.append({"parser": name, "examples": examples, "ok": ok, "seconds": round(seconds, 1)})
        print(f"{name:<15} {examples:>8,} examples  {'ok' if ok else 'FAILED'}  {seconds:7.1f} s", flush=True)
        if not ok:
            print(completed.stdout[-4000:])
    write_result(__file__, {"examples_asked": args.examples, "parsers": results})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
