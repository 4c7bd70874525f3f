"""Proof of play: what the public saw, from the play logs.

Pure aggregation (`build_report`) plus a Pillow chart: plays and seconds per
slide, per kind and per day, and how fairly the answers were exposed (the
fewest and most plays of any answer).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from kiosk.core.values import MAX_SECONDS, number_problem, printable_name

KIND_COLOURS = {"contribute": (46, 110, 190), "answer": (220, 120, 40), "fallback": (150, 150, 150)}


def parse_record(record: object) -> tuple[dt.datetime, str, str, float] | None:
    """(start, path, kind, seconds) of one play record, or None if any part is unusable.

    The start must carry its offset (the kiosk always writes one): times with
    and without a zone cannot be ordered together. Seconds must be a finite
    number in (0, a day].
    """
    if not isinstance(record, dict):
        return None
    time_text, path, kind, seconds = record.get("time"), record.get("path"), record.get("kind"), record.get("seconds")
    if not isinstance(time_text, str) or len(time_text) > 64 or not isinstance(path, str) or not isinstance(kind, str):
        return None
    if number_problem(seconds, 0, MAX_SECONDS, low_open=True) is not None:
        return None
    try:
        moment = dt.datetime.fromisoformat(time_text)
    except ValueError:
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment, printable_name(path[:4096]), kind[:40], float(seconds)


def build_report(records: list[dict], since: dt.date | None = None, skipped: int = 0) -> dict:
    """Aggregates play records (from load_play_logs) into the report's numbers.

    Records that are not usable are counted in `skipped_records` with the
    `skipped` lines the reader could not parse, never fatal.
    """
    per_slide: dict[str, dict] = {}
    per_kind: dict[str, dict] = defaultdict(lambda: {"plays": 0, "seconds": 0.0})
    per_day: dict[str, dict] = defaultdict(lambda: defaultdict(lambda: {"plays": 0, "seconds": 0.0}))
    first = last = None
    for record in records:
        parsed = parse_record(record)
        if parsed is None:
            skipped += 1
            continue
        moment, path, kind, seconds = parsed
        day = moment.date()
        if since is not None and day < since:
            continue
        first = moment if first is None or moment < first else first
        last = moment if last is None or moment > last else last
        slide = per_slide.setdefault(path, {"path": path, "kind": kind, "plays": 0, "seconds": 0.0})
        slide["plays"] += 1
        slide["seconds"] += seconds
        per_kind[kind]["plays"] += 1
        per_kind[kind]["seconds"] += seconds
        per_day[day.isoformat()][kind]["plays"] += 1
        per_day[day.isoformat()][kind]["seconds"] += seconds
    answers = [s["plays"] for s in per_slide.values() if s["kind"] == "answer"]
    return {
        "from": first.isoformat(timespec="seconds") if first else None,
        "to": last.isoformat(timespec="seconds") if last else None,
        "plays": sum(k["plays"] for k in per_kind.values()),
        "skipped_records": skipped,
        "per_kind": {kind: {"plays": v["plays"], "seconds": round(v["seconds"], 1)} for kind, v in sorted(per_kind.items())},
        "per_day": {
            day: {kind: {"plays": v["plays"], "seconds": round(v["seconds"], 1)} for kind, v in sorted(kinds.items())}
            for day, kinds in sorted(per_day.items())
        },
        "per_slide": sorted(
            ({**s, "seconds": round(s["seconds"], 1)} for s in per_slide.values()),
            key=lambda s: (s["kind"], s["path"]),
        ),
        "answer_fairness": {
            "answers": len(answers),
            "fewest_plays": min(answers) if answers else 0,
            "most_plays": max(answers) if answers else 0,
        },
    }


def report_text(report: dict) -> str:
    lines = [f"proof of play {report['from'] or '-'} to {report['to'] or '-'}: {report['plays']} plays"]
    if report.get("skipped_records"):
        lines.append(f"  {report['skipped_records']} unreadable play-log lines skipped")
    for kind, totals in report["per_kind"].items():
        lines.append(f"  {kind:<10} {totals['plays']:>7} plays {totals['seconds'] / 3600:>8.1f} h")
    fairness = report["answer_fairness"]
    lines.append(
        f"  answers: {fairness['answers']}, each shown {fairness['fewest_plays']} to {fairness['most_plays']} times"
    )
    lines.append("per day:")
    for day, kinds in report["per_day"].items():
        parts = ", ".join(f"{kind} {v['plays']} ({v['seconds'] / 60:.0f} min)" for kind, v in kinds.items())
        lines.append(f"  {day}  {parts}")
    lines.append("per slide:")
    for slide in report["per_slide"]:
        lines.append(f"  {slide['plays']:>6}  {slide['seconds'] / 60:>7.1f} min  {slide['path']}")
    return "\n".join(lines)


def draw_chart(report: dict, path: Path, font: Path, size: tuple[int, int] = (1200, 600)) -> None:
    """A bar chart of screen time per day, stacked by kind, written as PNG."""
    width, height = size
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
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

def build_fleet_report(boxes: dict[str, tuple[list[dict], int]], since: dt.date | None = None) -> dict:
    """The report of each box and of the whole plaza, and how fairly the answers were exposed across it.

    `boxes` maps a box's name to its records and the lines its logs could not parse.
    """
    per_box = {name: build_report(records, since, skipped) for name, (records, skipped) in sorted(boxes.items())}
    plaza = build_report([r for records, _ in boxes.values() for r in records], since,
                         sum(skipped for _, skipped in boxes.values()))
    screens: dict[str, set[str]] = defaultdict(set)
    for name, report in per_box.items():
        for slide in report["per_slide"]:
            if slide["kind"] == "answer":
                screens[slide["path"]].add(name)
    answers = [s for s in plaza["per_slide"] if s["kind"] == "answer"]
    seconds = [s["seconds"] for s in answers]
    return {
        "boxes": per_box,
        "plaza": plaza,
        "fleet_fairness": {
            "answers": len(answers),
            "fewest_seconds": min(seconds) if seconds else 0,
            "most_seconds": max(seconds) if seconds else 0,
            "fewest_screens": min((len(screens[s["path"]]) for s in answers), default=0),
            "most_screens": max((len(screens[s["path"]]) for s in answers), default=0),
        },
    }


def fleet_text(report: dict) -> str:
    fairness = report["fleet_fairness"]
    count = len(report["boxes"])
    lines = [f"the plaza, {count} box{'es' if count != 1 else ''}:", report_text(report["plaza"]), "",
             f"fairness across the plaza: {fairness['answers']} answers, each on screen "
             f"{fairness['fewest_seconds'] / 60:.1f} to {fairness['most_seconds'] / 60:.1f} min in all, "
             f"on {fairness['fewest_screens']} to {fairness['most_screens']} screens"]
    for name, box in report["boxes"].items():
        lines += ["", f"box {name}:", report_text(box)]
    return "\n".join(lines)


def write_csv(report: dict, path: Path) -> None:
    """One row per box and slide, and the plaza's totals per slide (box `plaza`): for the campaign's report."""
    import csv

    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["box", "path", "kind", "plays", "seconds"])
        for name, box in [*report["boxes"].items(), ("plaza", report["plaza"])]:
            for slide in box["per_slide"]:
                writer.writerow([name, slide["path"], slide["kind"], slide["plays"], slide["seconds"]])
