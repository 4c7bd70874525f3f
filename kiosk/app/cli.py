"""The command line: parse arguments, call the core, choose the exit code.

pygame is imported only by the commands that need a screen (`run`,
`snapshot`), so `check` and `plan` start fast and work on machines without
SDL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import queue
import signal
import sys
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Sequence

from kiosk import __version__
from kiosk.core.catalogue import Catalogue
from kiosk.core.assets import FALLBACK_FONT
from kiosk.core.config import Config, load_config
from kiosk.core.rules import size as parse_size
from kiosk.core.errors import ConfigError, ContentError, DisplayError, PublishError
from kiosk.boundary.folder import scan
from kiosk.picture.glyphs import missing_characters
from kiosk.core.playlist import Entry, plan
from kiosk.boundary.state import BackgroundRecorder, RotationStore, SlideRecorder, default_seed

if TYPE_CHECKING:
    from kiosk.boundary.sync import SyncSettings

log = logging.getLogger("kiosk")

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _size_argument(text: str) -> tuple[int, int]:
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _moment_argument(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO-8601 date and time: {text!r}") from None
    return moment  # a time without an offset is read in the schedule's zone, once the config is known


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Fullscreen slideshow for plaza display boxes.")
    parser.add_argument("--version", action="version", version=f"kiosk {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("--config", type=Path, default=Path("config.yaml"), help="config file (default ./config.yaml)")
        sub.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
        return sub

    run = command("run", "show the slides fullscreen")
    run.add_argument("--windowed", action="store_true", help="in a window instead of fullscreen")
    run.add_argument("--size", type=_size_argument, help="screen size WxH (default: config, else the screen's own)")
    run.add_argument("--exit-after", type=float, metavar="SECONDS", help="stop cleanly after this many seconds")

    check = command("check", "validate the config and decode every slide")
    check.add_argument("--json", action="store_true", help="print a JSON report")

    plan_cmd = command("plan", "list the next slides as `run` would show them")
    plan_cmd.add_argument("--at", type=_moment_argument, help="start time, ISO-8601 (default: now)")
    plan_cmd.add_argument("--count", type=int, default=20, help="how many entries (default 20)")
    plan_cmd.add_argument("--json", action="store_true", help="print JSON")

    publish_cmd = command("publish", "turn a slide folder into a static site for the boxes to sync from")
    publish_cmd.add_argument("source", type=Path, metavar="SRC_DIR", help="a folder with contribute/ and answers/")
    publish_cmd.add_argument("--out", type=Path, required=True, metavar="SITE_DIR", help="the folder a web server serves")
    publish_cmd.add_argument("--watch", action="store_true", help="publish again whenever SRC_DIR changes")
    publish_cmd.add_argument("--grace-hours", type=float, default=24.0,
                             help="keep objects no manifest names for this long (default 24)")

    sync_cmd = command("sync", "make the slide folder match the central server (sync.url)")
    sync_cmd.add_argument("--once", action="store_true", help="one sync; exit 0 when the folder matches")

    report = command("report", "proof of play from the play logs")
    report.add_argument("--since", type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--png", type=Path, help="also draw a chart to this PNG file")

    snapshot = command("snapshot", "render slides as the screen shows them to PNG files")
    snapshot.add_argument("--out", type=Path, required=True, help="folder for 0001.png, 0002.png, ...")
    snapshot.add_argument("--count", type=int, default=10, help="how many slides in plan order (default 10)")
    snapshot.add_argument("--size", type=_size_argument, help="panel size WxH (default: config, else 1920x1080)")
    snapshot.add_argument("--slide", help="render only this slide (path relative to the slide folder)")
    snapshot.add_argument("--at", type=_moment_argument, help="plan start time, ISO-8601 (default: now)")
    return parser


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def _load(path: Path) -> Config:
    return load_config(path)


def _load_or_log(path: Path) -> Config | None:
    """The config, or None after logging every problem with its key and line."""
    try:
        return load_config(path)
    except ConfigError as exc:
        for problem in exc.problems:
            log.error("%s", problem)
        return None


def _seed(config: Config) -> int:
    return config.playlist.seed if config.playlist.seed is not None else default_seed(config.box.name)


def _report_catalogue(catalogue: Catalogue) -> None:
    for problem in catalogue.problems:
        log.warning("%s", problem)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    handlers = {
        "run": cmd_run, "check": cmd_check, "plan": cmd_plan, "snapshot": cmd_snapshot,
        "publish": cmd_publish, "sync": cmd_sync, "report": cmd_report,
    }
    return handlers[args.command](args)


def _lock_state(folder: Path) -> object | None:
    """Holds `<state.dir>/kiosk.lock` for the life of the process; None if another kiosk holds it.

    Two kiosks on one state folder would both write the play log (every slide
    counted twice) and fight over the rotation.
    """
    import fcntl

    folder.mkdir(parents=True, exist_ok=True)
    handle = open(folder / "kiosk.lock", "a+")  # noqa: SIM115 - held until the process ends
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip()[:20]
        handle.close()
        log.error("another kiosk%s is running with the state folder %s; this one does not start",
                  f" (pid {holder})" if holder else "", folder)
        return None
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def cmd_run(args: argparse.Namespace) -> int:
    config = _load_or_log(args.config)
    if config is None:
        return EXIT_FAILURE
    try:
        lock = _lock_state(config.state.dir)
    except OSError as exc:
        log.error("cannot use the state folder %s: %s", config.state.dir, exc.strerror or exc)
        return EXIT_FAILURE
    if lock is None:
        return EXIT_FAILURE
    from kiosk.boundary.background import stop_all
    from kiosk.boundary.clock import clock_synchronised
    from kiosk.boundary.display import ChosenScreen  # needs SDL: imported only here
    from kiosk.boundary.inflight import InFlightFile, left_in_flight
    from kiosk.boundary.notify import SystemdNotifier
    from kiosk.boundary.playlog import PlayLog
    from kiosk.app.show import Show
    from kiosk.boundary.status import StatusWriter
    from kiosk.boundary.sync import new_session
    from kiosk.boundary.watcher import ConfigWatcher, FolderWatcher
    from kiosk.boundary.worker import DecodeWorker

    # Before anything starts a thread (the watchers' observers, the listing of a large
    # folder): a stop asked for during start-up is never lost, and never kills the kiosk.
    stopping: list[int] = []
    running: dict[str, object] = {}

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stopping.append(signum)
        if "show" in running:
            running["show"].stop()  # type: ignore[attr-defined]

    def on_hangup(_signum: int, _frame: object) -> None:
        # systemctl reload: read config.yaml again now, as an edit would.
        log.info("received SIGHUP; reading %s again", args.config)
        if "config_watcher" in running:
            running["config_watcher"].notify()  # type: ignore[attr-defined]

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_hangup)

    inbox: queue.Queue[object] = queue.Queue()
    folder_watcher = FolderWatcher(
        config.slides.folder, inbox, mode=config.slides.watch,
        settle_seconds=config.slides.settle_seconds, rescan_seconds=config.slides.rescan_seconds,
    )
    catalogue = folder_watcher.accept_initial()
    if not config.slides.folder.is_dir():
        log.warning("slide folder %s does not exist; showing the fallback slide until it does", config.slides.folder)
    _report_catalogue(catalogue)
    config_watcher = ConfigWatcher(args.config, inbox)
    crashed_on = left_in_flight(config.state.dir)
    worker = DecodeWorker(
        inbox, config.slides.folder, config.captions.font, config.decoding.max_pixels,
        in_flight=InFlightFile(config.state.dir),
    )
    screen = ChosenScreen(
        config.display.renderer, args.size or config.display.size, args.windowed,
        f"kiosk · {config.box.name}", config.captions.font,
    )
    store = RotationStore(config.state.dir)
    play_log = PlayLog(config.state.dir, config.state.play_log_max_megabytes * 1024 * 1024, config.state.play_log_keep)
    recorder = BackgroundRecorder(SlideRecorder(store, play_log))
    show = Show(
        config, screen, worker, inbox, catalogue, store, play_log, _seed(config),
        notifier=SystemdNotifier(), recorder=recorder, clock_synchronised=clock_synchronised,
    )

    if crashed_on is not None:
        path, version = crashed_on
        show.mark_unusable(path, version, "the kiosk stopped while preparing it (killed or crashed); skipped until the file changes")

    if stopping:
        show.stop()  # a signal came during start-up
    running.update(show=show, config_watcher=config_watcher)

    sync_thread = _sync_thread(config, inbox)
    status_writer = StatusWriter(
        config.state.dir,
        heartbeat_url=config.heartbeat.url,
        heartbeat_interval=config.heartbeat.interval_seconds,
        session=new_session(_sync_settings(config)) if config.heartbeat.url else None,
        timeout=(config.sync.connect_timeout_seconds, config.sync.read_timeout_seconds),
        verify=str(config.sync.ca_bundle) if config.sync.ca_bundle else True,
    )
    show.status_writer = status_writer
    threads = [worker, folder_watcher, config_watcher, recorder, status_writer] + ([sync_thread] if sync_thread else [])
    show.thread_status = lambda: {thread.thread_name: thread.health() for thread in threads}
    for thread in threads:
        thread.start()
    try:
        show.run(exit_after=args.exit_after)
    except DisplayError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    finally:
        stop_all(threads, seconds=1.0)  # whatever the threads are doing, the stop is bounded
    log.info("stopped after %d slides", show.slides_shown)
    lock.close()
    return EXIT_OK


def _glyph_problems(config: Config, catalogue: Catalogue) -> list[dict]:
    font = config.captions.font
    problems = []
    texts = [("overlays.title", config.overlays.title), ("overlays.footer", config.overlays.footer)]
    texts += [(slide.path, slide.meta.caption) for slide in (*catalogue.contribute, *catalogue.answers)]
    try:
        for where, text in texts:
            missing = missing_characters(text, font, FALLBACK_FONT)
            if missing:
                problems.append({"where": where, "characters": missing})
    except (OSError, ValueError) as exc:
        problems.append({"where": str(font), "characters": [], "error": f"cannot read the font: {exc}"})
    return problems


def cmd_check(args: argparse.Namespace) -> int:
    from kiosk.picture.decoder import decode_picture

    try:
        config = _load(args.config)
    except ConfigError as exc:
        if args.json:
            print(json.dumps({"config_errors": exc.problems, "slides": []}, ensure_ascii=False, indent=2))
        else:
            for problem in exc.problems:
                print(f"config error: {problem}")
        return EXIT_FAILURE
    catalogue = scan(config.slides.folder)
    slides = []
    for slide in (*catalogue.contribute, *catalogue.answers):
        error = None
        try:
            decode_picture(config.slides.folder / slide.path, config.decoding.max_pixels).close()
        except ContentError as exc:
            error = str(exc)
        slides.append({"path": slide.path, "kind": slide.kind, "ok": error is None, "error": error})
    glyphs = _glyph_problems(config, catalogue)
    report = {
        "config_errors": [],
        "slides": slides,
        "content_problems": list(catalogue.problems),
        "missing_glyphs": glyphs,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return EXIT_OK
    bad = [s for s in slides if not s["ok"]]
    print(f"config: ok ({config.source})")
    print(
        f"slides: {catalogue.count('contribute')} contribute, {catalogue.count('answer')} answers, "
        f"{len(bad)} unusable"
    )
    for slide in bad:
        print(f"  unusable: {slide['path']}: {slide['error']}")
    for problem in catalogue.problems:
        print(f"  problem: {problem}")
    for glyph in glyphs:
        chars = " ".join(f"{c!r} U+{ord(c):04X}" for c in glyph["characters"])
        print(f"  font cannot draw in {glyph['where']}: {chars or glyph.get('error')}")
    if not config.slides.folder.is_dir():
        print(f"  slide folder {config.slides.folder} does not exist: the fallback slide will show")
    return EXIT_OK


def _planned(config: Config, catalogue: Catalogue, start: dt.datetime, count: int) -> list[tuple[dt.datetime, Entry]]:
    from kiosk.core.playlist import playlist_settings

    saved = RotationStore(config.state.dir).load(_seed(config))
    skip = {
        path for path, version in saved.unusable.items()
        if (slide := catalogue.get(path)) is not None and slide.version == version
    }
    from kiosk.boundary.clock import system_zone

    zone = config.schedule.zone
    if start.tzinfo is None:
        # A time without an offset is read in the schedule's zone, else the box's own (with its DST rules).
        start = start.replace(tzinfo=zone or system_zone())
    elif zone is not None:
        start = start.astimezone(zone)
    entries, _rotation = plan(
        saved.rotation, catalogue, playlist_settings(config), start, count, skip, config.schedule.timetable,
    )
    return [(p.start, p.entry) for p in entries]


def cmd_plan(args: argparse.Namespace) -> int:
    config = _load_or_log(args.config)
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
    config = _load_or_log(args.config)
    if config is None:
        return EXIT_FAILURE
    # A snapshot never needs a real window: render offscreen unless told otherwise.
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    from kiosk.picture.compose import FontBook, Layout
    from kiosk.boundary.display import Screen
    from kiosk.core.frames import frame_key
    from kiosk.picture.prepare import prepare_frame
    from kiosk.core.playlist import Entry as PlayEntry

    catalogue = scan(config.slides.folder)
    _report_catalogue(catalogue)
    if args.slide:
        wanted = PurePosixPath(args.slide.replace("\\", "/"))
        if wanted.parts[:1] == (".",):
            wanted = PurePosixPath(*wanted.parts[1:])
        slide = catalogue.get(str(wanted))
        if slide is None:
            log.error("%s is not a slide in %s", args.slide, config.slides.folder)
            return EXIT_FAILURE
        seconds = slide.meta.seconds or config.seconds_for(slide.kind)
        entries = [PlayEntry(slide.path, slide.kind, seconds, slide.meta.caption, slide.version)]
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


def _sync_settings(config: Config) -> SyncSettings:
    """The sync settings, with the bearer token read from its file (never logged)."""
    from kiosk.boundary.sync import SyncSettings

    token = ""
    if config.sync.token_file is not None:
        try:
            token = config.sync.token_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            log.warning("cannot read sync.token_file %s: %s; syncing without a token", config.sync.token_file, exc)
    return SyncSettings(
        url=config.sync.url or config.heartbeat.url,
        token=token,
        ca_bundle=str(config.sync.ca_bundle) if config.sync.ca_bundle else None,
        max_file_bytes=config.sync.max_file_bytes,
        max_total_bytes=config.sync.max_total_bytes,
        connect_timeout=config.sync.connect_timeout_seconds,
        read_timeout=config.sync.read_timeout_seconds,
        retries=config.sync.retries,
        min_bytes_per_second=config.sync.min_kilobytes_per_second * 1024,
        reserve_bytes=config.sync.reserve_megabytes * 1024 * 1024,
    )


def _sync_thread(config: Config, inbox: "queue.Queue[object]") -> object | None:
    if not config.sync.url:
        return None
    from kiosk.boundary.sync import SyncClient, SyncThread

    client = SyncClient(_sync_settings(config), config.slides.folder, config.state.dir)
    return SyncThread(client, inbox, config.sync.interval_seconds, config.sync.jitter_seconds)


def cmd_sync(args: argparse.Namespace) -> int:
    config = _load_or_log(args.config)
    if config is None:
        return EXIT_FAILURE
    if not config.sync.url:
        print("sync failed: sync.url is not set in the config")
        return EXIT_FAILURE
    from kiosk.boundary.sync import SyncClient

    client = SyncClient(_sync_settings(config), config.slides.folder, config.state.dir)
    if args.once:
        result = client.sync_once()
        print(result.line())
        return EXIT_OK if result.ok else EXIT_FAILURE
    from kiosk.boundary.sync import SyncThread

    thread = SyncThread(client, None, config.sync.interval_seconds, config.sync.jitter_seconds, start_at_once=True)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda _signum, _frame: thread.ask_to_stop())
    log.info("syncing %s every %g s", config.slides.folder, config.sync.interval_seconds)
    thread.run_here()
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from kiosk.boundary.publish import PublishWatcher, publish

    if not args.source.is_dir():
        log.error("%s is not a folder", args.source)
        return EXIT_FAILURE
    grace = args.grace_hours * 3600
    if args.watch:
        watcher = PublishWatcher(args.source, args.out, grace)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: watcher.ask_to_stop())
        watcher.run_here()
        return EXIT_OK
        return EXIT_OK
    try:
        result = publish(args.source, args.out, grace)
    except PublishError as exc:
        for problem in exc.problems:
            log.error("not published: %s", problem)
        log.error("nothing was published: every box would refuse this folder; rename the files named above")
        return EXIT_FAILURE
    print(
        f"{'published' if result.changed else 'unchanged'}: version {result.version}, {result.files} files, "
        f"{result.bytes} bytes; {result.objects_added} objects added, {result.objects_removed} removed"
    )
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    config = _load_or_log(args.config)
    if config is None:
        return EXIT_FAILURE
    from kiosk.boundary.playlog import load_play_logs
    from kiosk.app.report import build_report, draw_chart, report_text

    records, skipped = load_play_logs(config.state.dir)
    report = build_report(records, args.since, skipped)
    if args.png:
        draw_chart(report, args.png, config.captions.font)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
    else:
        print(report_text(report))
    return EXIT_OK
