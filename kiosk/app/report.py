"""Proof of play: what the public saw, from the play logs.

The counting is kiosk.core.proof's (memory grows with slides, not lines);
here are the report's shapes: text for a terminal, JSON, CSV for a
spreadsheet, and a Pillow chart. Every text that came from a box is escaped
(kiosk.core.values.printable_name) before it reaches a terminal, and every
CSV cell a spreadsheet would run as a formula is neutralised.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Iterable, Iterator

from PIL import Image, ImageDraw, ImageFont

from kiosk.core.proof import Tally, parse_play
from kiosk.core.values import printable_name

KIND_COLOURS = {"contribute": (46, 110, 190), "answer": (220, 120, 40), "fallback": (150, 150, 150)}


def build_report(records: Iterable[object], since: dt.date | None = None, skipped: int = 0) -> dict:
    """The report's numbers from one box's decoded play records, in the order they were written.

    Records that are not usable are counted in `skipped_records` with the
    `skipped` lines the reader could not parse, never fatal.
    """
    tally = Tally(since)
    tally.skipped = skipped
    for record in records:
        play = parse_play(record)
        if play is None:
            tally.skipped += 1
        else:
            tally.add(play)
    tally.finish()
    return tally.result()


def report_text(report: dict) -> str:
    return "\n".join(report_lines(report))


def report_lines(report: dict) -> Iterator[str]:
    """The text report, a line at a time; names are escaped for the terminal."""
    yield f"proof of play {report['from'] or '-'} to {report['to'] or '-'}: {report['plays']} plays"
    if report.get("skipped_records"):
        yield f"  {report['skipped_records']} unreadable play-log lines skipped"
    for kind, totals in report["per_kind"].items():
        yield f"  {printable_name(kind):<10} {totals['plays']:>7} plays {totals['seconds'] / 3600:>8.1f} h"
    fairness = report["answer_fairness"]
    yield f"  answers: {fairness['answers']}, each shown {fairness['fewest_plays']} to {fairness['most_plays']} times"
    yield "per day:"
    for day, kinds in report["per_day"].items():
        parts = ", ".join(f"{printable_name(kind)} {v['plays']} ({v['seconds'] / 60:.0f} min)"
                          for kind, v in kinds.items())
        yield f"  {day}  {parts}"
    yield "per slide:"
    for slide in report["per_slide"]:
        yield f"  {slide['plays']:>6}  {slide['seconds'] / 60:>7.1f} min  {printable_name(slide['path'])}"


def draw_chart(report: dict, path: Path, font: Path, size: tuple[int, int] = (1200, 600)) -> None:
    """A bar chart of screen time per day, stacked by kind, written as PNG."""
    width, height = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    title_font: ImageFont.FreeTypeFont | ImageFont.ImageFont
    small: ImageFont.FreeTypeFont | ImageFont.ImageFont
    try:
        title_font, small = ImageFont.truetype(str(font), 26), ImageFont.truetype(str(font), 16)
    except OSError:
        title_font = small = ImageFont.load_default()
    draw.text((30, 20), "Screen time per day (minutes) · #MigrationMeans", font=title_font, fill=(30, 30, 30))
    days = list(report["per_day"].items())
    left, right, top, bottom = 80, width - 30, 80, height - 70
    peak = max((sum(v["seconds"] for v in kinds.values()) for _d, kinds in days), default=0) / 60 or 1
    draw.line((left, bottom, right, bottom), fill=(0, 0, 0), width=2)
    for tick in range(5):
        value = peak * tick / 4
        y = bottom - (bottom - top) * tick / 4
        label = f"{value:.1f}" if peak < 10 else f"{value:.0f}"
        draw.text((left - 10, y), label, font=small, fill=(80, 80, 80), anchor="rm")
        draw.line((left, y, right, y), fill=(225, 225, 225))
    slot = (right - left) / max(1, len(days))
    for index, (day, kinds) in enumerate(days):
        x0 = left + index * slot + slot * 0.15
        x1 = left + (index + 1) * slot - slot * 0.15
        y = bottom
        for kind in ("contribute", "answer", "fallback"):
            minutes = kinds.get(kind, {}).get("seconds", 0) / 60
            bar = (bottom - top) * minutes / peak
            if bar > 0:
                draw.rectangle((x0, y - bar, x1, y), fill=KIND_COLOURS[kind])
                y -= bar
        draw.text(((x0 + x1) / 2, bottom + 10), day[5:], font=small, fill=(60, 60, 60), anchor="ma")
    legend_x = left
    for kind, colour in KIND_COLOURS.items():
        draw.rectangle((legend_x, height - 35, legend_x + 16, height - 19), fill=colour)
        draw.text((legend_x + 22, height - 36), kind, font=small, fill=(40, 40, 40))
        legend_x += 150
    fairness = report["answer_fairness"]
    draw.text(
        (right, height - 36),
        f"{fairness['answers']} answers, each shown {fairness['fewest_plays']}–{fairness['most_plays']} times",
        font=small, fill=(40, 40, 40), anchor="ra",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format="PNG")


# --- the fleet: every box's uploaded play logs ----------------------------------------------

def build_fleet_report(boxes: dict[str, Tally], unread: dict[str, str] | None = None) -> dict:
    """The report of each box and of the whole plaza, how fairly the answers were exposed across it,
    and which boxes could not be read (`unread`: box name -> why)."""
    plaza = Tally()
    per_box = {}
    screens: dict[str, int] = defaultdict(int)
    for name, tally in sorted(boxes.items()):
        plaza.merge(tally)
        per_box[name] = tally.result()
        for path, (kind, _plays, _seconds) in tally.slides.items():
            if kind == "answer":
                screens[path] += 1
    report = plaza.result()
    answers = [s for s in report["per_slide"] if s["kind"] == "answer"]
    seconds = [s["seconds"] for s in answers]
    return {
        "boxes": per_box,
        "plaza": report,
        "unread_boxes": dict(sorted((unread or {}).items())),
        "fleet_fairness": {
            "answers": len(answers),
            "fewest_seconds": min(seconds) if seconds else 0,
            "most_seconds": max(seconds) if seconds else 0,
            "fewest_screens": min((screens[s["path"]] for s in answers), default=0),
            "most_screens": max((screens[s["path"]] for s in answers), default=0),
        },
    }


def fleet_lines(report: dict) -> Iterator[str]:
    """The text of the fleet's report, a line at a time; names are escaped for the terminal."""
    fairness = report["fleet_fairness"]
    count = len(report["boxes"])
    yield f"the plaza, {count} box{'es' if count != 1 else ''}:"
    unread = report.get("unread_boxes") or {}
    if unread:
        yield f"  NOT COUNTED: {len(unread)} box{'es' if len(unread) != 1 else ''} could not be read:"
        for name, reason in unread.items():
            yield f"    {printable_name(name)}: {printable_name(reason)}"
    yield from report_lines(report["plaza"])
    yield ""
    yield (f"fairness across the plaza: {fairness['answers']} answers, each on screen "
           f"{fairness['fewest_seconds'] / 60:.1f} to {fairness['most_seconds'] / 60:.1f} min in all, "
           f"on {fairness['fewest_screens']} to {fairness['most_screens']} screens")
    for name, box in report["boxes"].items():
        yield ""
        yield f"box {printable_name(name)}:"
        yield from report_lines(box)


def fleet_text(report: dict) -> str:
    return "\n".join(fleet_lines(report))


PLAZA_ROW = "plaza"  # the CSV's box column for the plaza's totals: no box is counted under this name

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell a spreadsheet shows as text: one beginning with = + - @ tab or CR gets a leading ' (OWASP's
    advice on CSV injection); numbers stay numbers. Control characters are escaped like on a terminal."""
    if not isinstance(value, str):
        return value
    text = printable_name(value)
    return "'" + text if value.startswith(_FORMULA_STARTS) or text.startswith(_FORMULA_STARTS) else text


def write_csv(report: dict, path: Path) -> None:
    """One row per box and slide, and the plaza's totals per slide (box `plaza`): for the campaign's report."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["box", "path", "kind", "plays", "seconds"])
        for name, box in [*report["boxes"].items(), (PLAZA_ROW, report["plaza"])]:
            for slide in box["per_slide"]:
                writer.writerow([csv_cell(name), csv_cell(slide["path"]), csv_cell(slide["kind"]), slide["plays"],
                                 slide["seconds"]])
