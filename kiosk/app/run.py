"""`kiosk run`: one kiosk per state folder, its threads started after the signal handlers, stopped within a bound."""

from __future__ import annotations

import argparse
import os
import queue
import signal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Callable

from kiosk.app.common import (
    EXIT_FAILURE, EXIT_OK, load_box_or_log, log, report_catalogue, runtime_folder, seed_of, sync_settings,
)
from kiosk.boundary.state import BackgroundRecorder, RotationStore, SlideRecorder
from kiosk.core.config import Config
from kiosk.core.errors import DisplayError
from kiosk.core.frames import FrameKey

if TYPE_CHECKING:
    from kiosk.boundary.sound import Output
    from kiosk.boundary.sync import SyncThread


def _lock_state(folder: Path) -> IO[str] | None:
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
        holder = handle.read(64).strip()[:20]  # a pid; never more, whatever the file is
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
    loaded = load_box_or_log(args.config)
    if loaded is None:
        return EXIT_FAILURE
    config, fleet = loaded
    try:
        lock = _lock_state(config.state.dir)
    except OSError as exc:
        log.error("cannot use the state folder %s: %s", config.state.dir, exc.strerror or exc)
        return EXIT_FAILURE
    if lock is None:
        return EXIT_FAILURE
    from kiosk.boundary.background import stop_all
    from kiosk.boundary.memory import keep_big_buffers_mapped

    keep_big_buffers_mapped()
    from kiosk.boundary.clock import clock_synchronised, zone_named
    from kiosk.boundary.screens import ChosenScreen  # needs SDL: imported only here
    from kiosk.boundary.inflight import InFlightFile, left_in_flight
    from kiosk.boundary.notify import SystemdNotifier
    from kiosk.boundary.playlog import PlayLog
    from kiosk.boundary.power import DisplayPower
    from kiosk.app.show import Show
    from kiosk.app.sinks import Sinks
    from kiosk.core.director import Director
    from kiosk.boundary.status import StatusWriter
    from kiosk.boundary.configwatch import ConfigWatcher
    from kiosk.boundary.folderwatch import FolderWatcher
    from kiosk.boundary.worker import DecodeWorker

    # Before anything starts a thread (the watchers' observers, the listing of a large
    # folder): a stop asked for during start-up is never lost, and never kills the kiosk.
    stopping: list[int] = []
    running: dict[str, Any] = {}  # the show and the config watcher once made: what a signal reaches

    def on_signal(signum: int, _frame: object) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stopping.append(signum)
        if "show" in running:
            running["show"].stop()

    def on_hangup(_signum: int, _frame: object) -> None:
        # systemctl reload: read config.yaml again now, as an edit would.
        log.info("received SIGHUP; reading %s again", args.config)
        if "config_watcher" in running:
            running["config_watcher"].wake()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGHUP, on_hangup)

    from kiosk.core.catalogue import FLEET_FILE

    inbox: queue.Queue[object] = queue.Queue()
    config_watcher = ConfigWatcher(args.config, inbox, fleet_path=config.slides.folder / FLEET_FILE)
    folder_watcher = FolderWatcher(
        config.slides.folder, inbox, mode=config.slides.watch,
        settle_seconds=config.slides.settle_seconds, rescan_seconds=config.slides.rescan_seconds,
        on_fleet_file=config_watcher.reload,  # the role's settings before the content they select
    )
    catalogue = folder_watcher.accept_initial()
    if not config.slides.folder.is_dir():
        log.warning("slide folder %s does not exist; showing the fallback slide until it does", config.slides.folder)
    report_catalogue(catalogue)
    runtime = runtime_folder(config)
    crashed_on = left_in_flight(runtime)
    worker = DecodeWorker(
        inbox, config.slides.folder, config.captions.font, config.decoding.max_pixels,
        in_flight=InFlightFile(runtime),
    )
    screen = ChosenScreen(
        config.display.renderer, args.size or config.display.size, args.windowed,
        f"kiosk · {config.box.name}", config.captions.font,
    )
    store = RotationStore(config.state.dir)
    play_log = PlayLog(config.state.dir, config.state.play_log_max_megabytes * 1024 * 1024, config.state.play_log_keep)
    slide_recorder = SlideRecorder(store, play_log, lines_per_write=config.state.play_log_lines_per_write)
    slide_recorder.recover()  # lines a kill or a power cut took while they were held
    recorder = BackgroundRecorder(slide_recorder)
    sync_thread = _sync_thread(config, inbox)
    director = Director(
        config, catalogue, store.load(seed_of(config)), config.slides.folder, zone_named, fleet=fleet.status(),
        # Before the first sync: what sync.json holds.
        trust=sync_thread.client.trust_status() if sync_thread is not None else None,
    )
    if crashed_on is not None:
        path, version = crashed_on
        director.content.mark_unusable(
            path, version, "the kiosk stopped while preparing it (killed or crashed); skipped until the file changes")

    heartbeat, uploader = None, None
    if config.heartbeat.url:  # requests is imported only by a box that talks to a server
        from kiosk.boundary.fetch import new_client
        from kiosk.boundary.heartbeat import Heartbeat
        from kiosk.boundary.upload import Uploader, is_folder_url

        client = new_client(sync_settings(config))
        if is_folder_url(config.heartbeat.url):
            uploader = Uploader(
                config.heartbeat.url, config.box.name, config.state.dir, client, config.heartbeat.interval_seconds,
                config.sync.min_kilobytes_per_second * 1024, runtime_dir=runtime,
            )
        else:
            heartbeat = Heartbeat(config.heartbeat.url, client, config.heartbeat.interval_seconds)
    status_writer = StatusWriter(runtime, heartbeat, disk=config.state.dir)
    from kiosk.boundary.screenshot import ScreenshotWriter

    screenshots = ScreenshotWriter(runtime, config.display.size or (1920, 1080), config.display.rotation)
    threads = [worker, folder_watcher, config_watcher, recorder, status_writer, screenshots] + (
        [sync_thread] if sync_thread else []) + ([uploader] if uploader else [])
    sinks = Sinks(
        recorder=recorder, notifier=SystemdNotifier(), power=DisplayPower(), status_writer=status_writer,
        screenshots=screenshots, threads=lambda: {thread.thread_name: thread.health() for thread in threads},
        writers=(store, play_log, status_writer, screenshots),
    )
    from kiosk.boundary.videoplayer import VideoPlayer

    def video_player(key: FrameKey, slide_folder: Path, font: Path) -> VideoPlayer:
        return VideoPlayer(key, slide_folder, font, inbox)

    from kiosk.boundary.sound import Speaker

    def sound_output(fill: Callable[[memoryview], None]) -> Output:
        from kiosk.boundary.speakerdevice import SdlOutput  # SDL's audio only once a slot with sound comes

        return SdlOutput(fill)

    show = Show(director, screen, worker, inbox, sinks, clock_synchronised=clock_synchronised, players=video_player,
                speaker=Speaker(sound_output))
    running.update(show=show, config_watcher=config_watcher)
    if stopping:
        show.stop()  # a signal came during start-up
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


def _sync_thread(config: Config, inbox: "queue.Queue[object]") -> SyncThread | None:
    if not config.sync.url:
        return None
    from kiosk.boundary.sync import SyncClient, SyncThread

    client = SyncClient(sync_settings(config), config.slides.folder, config.state.dir)
    return SyncThread(client, inbox, config.sync.interval_seconds, config.sync.jitter_seconds)
