"""What a caption costs, and what of it shows, in 43 languages on a landscape panel and a tall case, beside
the code of `--baseline` in the same run.

    .venv/bin/python bench/captions.py [--runs 9] [--baseline 5c206e5]

The captions are the corpus of the caption tests: Article 1 of the UDHR in
43 languages (tests/data/udhr), each followed by the Korean line an
answer's caption carries ("— 세계 이주민의 날"). For each caption, at
1920x1080 and at 1080x1920 (a tall case), on a plain frame:

* `first_ms`: the median time to compose the frame's caption band the first
  time the caption is shown (every cache of the font book emptied: cleaning,
  line breaks, syllables, fonts, shaping, fitting, drawing), less the frame
  without a caption;
* `again_ms`: the same when the caption comes back (what the font book
  remembers is used);
* `korean_shown`: whether the last paragraph, the Korean line, is on screen
  whole; `shrunk` and `cut`: whether the caption was drawn smaller than its
  size, or cut short.

`--baseline` is measured the same way from a git worktree of that commit
(5c206e5 is main before issue 26). For this code, `icu_ms` is what ICU's
line and word breaking cost per caption (median over the corpus). Writes
bench/results/captions.json. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import OrderedDict
from pathlib import Path

from record import write_result

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "data" / "udhr" / "article1.json"
KOREAN = "— 세계 이주민의 날"
PANELS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}


def median_ms(action, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(root: Path, runs: int) -> dict:
    """The figures of the kiosk at `root` (this checkout or the baseline's worktree), in this process."""
    sys.path.insert(0, str(root))
    from PIL import Image

    import kiosk
    from kiosk.core.assets import DEFAULT_FONT
    from kiosk.core.layout import Layout
    from kiosk.picture.compose import compose_frame
    from kiosk.picture.fonts import FontBook

    if not Path(kiosk.__file__).resolve().is_relative_to(root.resolve()):
        raise SystemExit(f"measured {kiosk.__file__}, not the kiosk at {root}")
    languages = json.loads(CORPUS.read_text(encoding="utf-8"))["languages"]
    fonts = FontBook(DEFAULT_FONT)

    def forget() -> None:
        for value in vars(fonts).values():
            if isinstance(value, OrderedDict):
                value.clear()

    import inspect

    with_lang = "lang" in inspect.signature(compose_frame).parameters  # the baseline's has no `lang`

    def compose(plain, caption: str, layout, lang: str) -> None:
        if with_lang:
            compose_frame(plain, caption, "answer", layout, fonts, lang)
        else:
            compose_frame(plain, caption, "answer", layout, fonts)

    def first(plain, caption: str, layout, lang: str) -> None:
        forget()  # laid out and measured from scratch, as the first time a caption is shown
        compose(plain, caption, layout, lang)

    rows = []
    for panel, size in PANELS.items():
        layout = Layout(size=size, font=DEFAULT_FONT, fit="contain", title="", footer="")
        plain = Image.new("RGB", size, (40, 60, 90))
        without = median_ms(lambda: compose(plain, "", layout, ""), runs)  # noqa: B023
        for lang, entry in languages.items():
            caption = f"{entry['text']}\n{KOREAN}"
            compose(plain, caption, layout, lang)  # the fonts loaded, as in a running worker
            first_ms = median_ms(lambda: first(plain, caption, layout, lang), runs) - without  # noqa: B023
            again_ms = median_ms(lambda: compose(plain, caption, layout, lang), runs) - without  # noqa: B023
            rows.append({"panel": panel, "lang": lang, "first_ms": round(first_ms, 2),
                         "again_ms": round(again_ms, 2), **shown(caption, layout, fonts, lang)})
    result: dict = {"rows": rows}
    try:
        from kiosk.picture import icu
    except ImportError:
        return result
    costs = []
    for entry in languages.values():
        for paragraph in (entry["text"], KOREAN):
            costs.append(median_ms(lambda: (icu.line_breaks(paragraph), icu.word_breaks(paragraph)),  # noqa: B023
                                   runs))
    result["icu_ms"] = round(statistics.median(costs) * 2, 3)  # two paragraphs a caption
    result["icu_version"] = icu.version()
    return result


def shown(caption: str, layout, fonts, lang: str) -> dict:
    """What shows of the caption: with this code's fit, or the baseline's lines (its compose's own sums)."""
    try:
        from kiosk.picture.compose import overlay_bands
    except ImportError:
        from kiosk.picture.compose import CAPTION_SHARE
        from kiosk.picture.textlayout import fit_lines

        width, height = layout.size
        base_px = layout.caption_px
        margin = max(8, round(base_px * 0.6))
        room = max(1, int((height * CAPTION_SHARE - 2 * margin) // round(base_px * 1.35)))
        lines, px = fit_lines(caption, fonts, base_px, width - 4 * margin, min(layout.max_lines, room))
        return {"korean_shown": lines[-1].text == KOREAN, "shrunk": px < base_px,
                "cut": any(line.text.endswith("…") for line in lines)}
    (band,) = overlay_bands(caption, "answer", layout, fonts, lang)
    fit = band.fit
    korean = [line.text for line in fit.lines if line.paragraph == 1]
    return {"korean_shown": korean == [KOREAN], "shrunk": fit.shrunk, "cut": not fit.whole}


def summary(result: dict) -> dict:
    out: dict = {}
    for panel in PANELS:
        rows = [row for row in result["rows"] if row["panel"] == panel]
        out[panel] = {
            "captions": len(rows),
            "korean_shown": sum(row["korean_shown"] for row in rows),
            "shrunk": sum(row["shrunk"] for row in rows),
            "cut": sum(row["cut"] for row in rows),
            "first_ms_median": round(statistics.median(row["first_ms"] for row in rows), 2),
            "first_ms_max": round(max(row["first_ms"] for row in rows), 2),
            "again_ms_median": round(statistics.median(row["again_ms"] for row in rows), 2),
            "again_ms_max": round(max(row["again_ms"] for row in rows), 2),
        }
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--baseline", default="5c206e5")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the child: measure this checkout
    args = parser.parse_args()
    if args.measure is not None:
        print(json.dumps(measure(args.measure, args.runs), ensure_ascii=False))
        return 0
    result: dict = {"runs": args.runs, "baseline_commit": args.baseline, "languages": 0}
    with tempfile.TemporaryDirectory(prefix="kiosk-captions-") as work:
        baseline = Path(work) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", "--detach", str(baseline), args.baseline],
                       check=True)
        try:
            for name, root in (("this", ROOT), ("baseline", baseline)):
                # Each in a process of its own: the two kiosks' modules never meet, and each starts cold.
                env = dict(os.environ, PYTHONPATH=str(root))
                child = subprocess.run([sys.executable, __file__, "--measure", str(root), "--runs", str(args.runs)],
                                       capture_output=True, text=True, env=env, cwd=root, check=True)
                measured = json.loads(child.stdout.strip().splitlines()[-1])
                result[name] = {**{key: value for key, value in measured.items() if key != "rows"},
                                "summary": summary(measured), "rows": measured["rows"]}
                print(f"{name}: " + json.dumps(result[name]["summary"], ensure_ascii=False))
                if "icu_ms" in measured:
                    print(f"{name}: ICU {measured['icu_version']}, {measured['icu_ms']} ms of breaking a caption")
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(baseline)], check=False)
    result["languages"] = len(json.loads(CORPUS.read_text(encoding="utf-8"))["languages"])
    write_result(__file__, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
