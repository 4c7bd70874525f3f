"""`kiosk plan`, `snapshot` and `report`: what the box will show, and what it showed (`check`: kiosk.app.check).

None of them needs a screen except `snapshot`, which draws off screen; only
it imports pygame.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path, PurePosixPath
from typing import Any

from kiosk.app.common import (
    EXIT_FAILURE, EXIT_INCOMPLETE, EXIT_OK, EXIT_USAGE, load_or_log, log, report_catalogue, seed_of,
)
from kiosk.boundary.folder import scan
from kiosk.boundary.state import RotationStore
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import Config
from kiosk.core.errors import ContentError, DisplayError
from kiosk.core.playlist import Entry, plan, playlist_settings
from kiosk.core.plaza import choose, selected
from kiosk.core.values import printable_name


def _planned(config: Config, catalogue: Catalogue, start: dt.datetime, count: int) -> list[tuple[dt.datetime, Entry]]:
    catalogue = selected(catalogue, playlist_settings(config))  # this box's role
    saved = RotationStore(config.state.dir).load(seed_of(config))
    skip = {
        path for path, version in saved.unusable.items()
        if (slide := catalogue.get(path)) is not None and slide.version == version
    }
    from kiosk.boundary.clock import zone_named

    # A time without an offset is read in the schedule's zone, else the box's own (with its DST rules);
    # one with an offset is kept as given unless the schedule names a zone.
    if start.tzinfo is None:
        start = start.replace(tzinfo=zone_named(config.schedule.timezone))
    elif config.schedule.timezone:
        start = start.astimezone(zone_named(config.schedule.timezone))
    entries, _rotation = plan(
        saved.rotation, catalogue, playlist_settings(config), start, count, skip, config.schedule.timetable,
        chooser=choose,
    )
    return [(p.start, p.entry) for p in entries]


def cmd_plan(args: argparse.Namespace) -> int:
    config = load_or_log(args.config, args.role, args.box)
    if config is None:
        return EXIT_FAILURE
    if args.count < 1:
        log.error("--count must be at least 1")
        return EXIT_USAGE
    catalogue = scan(config.slides.folder)
    start = args.at or dt.datetime.now(dt.timezone.utc)
    planned = _planned(config, catalogue, start, args.count)
    if args.json:
        rows = [
            {"start": when.isoformat(timespec="milliseconds"), "path": e.path, "kind": e.kind, "seconds": e.seconds}
            for when, e in planned
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return EXIT_OK
    for when, entry in planned:
        print(f"{when.isoformat(timespec='seconds')}  {entry.seconds:6.1f}s  {entry.kind:<10}  {entry.path}")
    return EXIT_OK


def cmd_snapshot(args: argparse.Namespace) -> int:
    config = load_or_log(args.config, args.role, args.box)
    if config is None:
        return EXIT_FAILURE
    # A snapshot never needs a real window: render offscreen unless told otherwise.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from kiosk.core.layout import Layout
    from kiosk.picture.fonts import FontBook
    from kiosk.boundary.display import Screen
    from kiosk.core.frames import frame_key
    from kiosk.picture.prepare import prepare_frame

    catalogue = scan(config.slides.folder)
    report_catalogue(catalogue)
    if args.slide:
        wanted = PurePosixPath(args.slide.replace("\\", "/"))
        if wanted.parts[:1] == (".",):
            wanted = PurePosixPath(*wanted.parts[1:])
        slide = catalogue.get(str(wanted))
        if slide is None:
            log.error("%s is not a slide in %s", args.slide, config.slides.folder)
            return EXIT_FAILURE
        from kiosk.core.playlist import entry_for

        entries = [entry_for(slide, playlist_settings(config))]
    else:
        start = args.at or dt.datetime.now().astimezone()
        entries = [entry for _when, entry in _planned(config, catalogue, start, max(1, args.count))]
    screen = Screen(args.size or config.display.size or (1920, 1080), windowed=True)
    try:
        panel = screen.open()
    except DisplayError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    layout = Layout.from_config(config, panel, screen.pixel_format)
    fonts = FontBook(config.captions.font)
    args.out.mkdir(parents=True, exist_ok=True)
    failures = 0
    try:
        for number, entry in enumerate(entries, start=1):
            target = args.out / f"{number:04d}.png"
            try:
                frame = prepare_frame(frame_key(entry, layout), config.slides.folder, fonts, config.decoding.max_pixels)
            except ContentError as exc:
                log.warning("skipping %s: %s", entry.path, exc)
                failures += 1
                continue
            screen.show(screen.surface_for(frame))
            screen.save(str(target))
            print(f"{target}  {entry.kind:<10}  {entry.path}")
    finally:
        screen.close()
    return EXIT_FAILURE if failures and failures == len(entries) else EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    """Proof of play, read box by box and line by line: a box that cannot be read is named and left out
    (exit 3, the report of the rest printed); no box at all, or an unreadable fleet listing, is exit 1."""
    import sys

    from kiosk.app.report import build_fleet_report, draw_chart, fleet_lines, report_lines, write_csv
    from kiosk.boundary.fleetlogs import BoxUnreadable, FleetUnreadable
    from kiosk.core.proof import Tally, TooManyCounters

    config = load_or_log(args.config) if not args.folders or args.config.exists() else None
    if not args.folders and config is None:
        return EXIT_FAILURE
    font = config.captions.font if config is not None else None
    unread: dict[str, str] = {}
    if args.folders:
        try:
            sources = _report_sources(args.folders, args.since, args.deadline)
        except FleetUnreadable as exc:
            log.error("cannot read the boxes' play logs: %s", exc)
            return EXIT_FAILURE
        boxes: dict[str, Tally] = {}
        for name, logs in sources:
            tally = Tally(args.since)
            try:
                for lines in logs:
                    for raw in lines:
                        tally.add_line(raw)
                tally.finish()
            except (BoxUnreadable, TooManyCounters) as exc:
                unread[name] = str(exc)
                log.warning("box %s left out of the report: %s", name, exc)
                continue
            boxes[name] = tally
        if not boxes:
            log.error("no play logs in %s", ", ".join(printable_name(f) for f in args.folders))
            return EXIT_FAILURE
        fleet = build_fleet_report(boxes, unread)
        report, lines, chart = fleet, fleet_lines(fleet), fleet["plaza"]
    else:
        from kiosk.boundary.fleetlogs import folder_logs

        assert config is not None  # without folders to read, the config was loaded or the command ended above
        tally = Tally(args.since)
        try:
            for lines in folder_logs(config.state.dir):
                for raw in lines:
                    tally.add_line(raw)
            tally.finish()
        except (BoxUnreadable, TooManyCounters) as exc:
            log.error("cannot read this box's play log: %s", exc)
            return EXIT_FAILURE
        report = chart = tally.result()
        lines = report_lines(report)
        fleet = None
    if args.png:
        from kiosk.core.assets import DEFAULT_FONT

        draw_chart(chart, args.png, font or DEFAULT_FONT)
    if args.csv:
        write_csv(fleet or {"boxes": {}, "plaza": report}, args.csv)
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        for line in lines:
            sys.stdout.write(line + "\n")
    return EXIT_INCOMPLETE if unread else EXIT_OK


def _report_sources(places: list[str], since: dt.date | None, deadline_seconds: float) -> list[tuple[str, Any]]:
    """(box name, its logs' lines, read lazily) for each folder or fleet URL given."""
    from kiosk.boundary import http
    from kiosk.boundary.fleetlogs import WAITS, FleetReader, folder_boxes, folder_logs

    sources: list[tuple[str, Any]] = []
    deadline = http.Deadline(deadline_seconds)
    for place in places:
        if place.startswith(("http://", "https://")):
            reader = FleetReader(place, http.Client(WAITS), deadline)
            sources += [(printable_name(box), reader.logs(box, since)) for box in reader.boxes()]
        else:
            sources += [(name, folder_logs(folder, since)) for name, folder in folder_boxes([Path(place)])]
    return _named_once(sources)


def _named_once(sources: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The sources with a box name met again (the same box in two places given, two names the same once
    escaped, or a box named like the CSV's plaza totals) made unique as `name (2)`, and said: one never
    silently replaces, or passes for, another's plays."""
    from kiosk.app.report import PLAZA_ROW

    taken: set[str] = {PLAZA_ROW}
    named = []
    for name, logs in sources:
        unique, count = name, 1
        while unique in taken:
            count += 1
            unique = f"{name} ({count})"
        if unique != name:
            log.warning("the box name %s is taken (by a box in another place given, or by the plaza's totals): "
                        "this box is counted as %s", name, unique)
        taken.add(unique)
        named.append((unique, logs))
    return named
