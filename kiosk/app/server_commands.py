"""`kiosk sync` and `kiosk publish`: the two ends of the central server, each a loop in the foreground."""

from __future__ import annotations

import argparse
import signal
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.app.common import EXIT_FAILURE, EXIT_OK, load_or_log, log, sync_settings
from kiosk.core.errors import PublishError

if TYPE_CHECKING:
    from kiosk.picture.rendition import RenditionSettings


def cmd_sync(args: argparse.Namespace) -> int:
    config = load_or_log(args.config)
    if config is None:
        return EXIT_FAILURE
    if not config.sync.url:
        print("sync failed: sync.url is not set in the config")
        return EXIT_FAILURE
    from kiosk.boundary.sync import SyncClient

    client = SyncClient(sync_settings(config), config.slides.folder, config.state.dir)
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


def rendition_settings(source: Path, max_size: str) -> RenditionSettings:
    """The panels renditions must cover: `--max-size`, turned as the fleet file's roles turn it."""
    from kiosk.core import rules
    from kiosk.core.catalogue import FLEET_FILE
    from kiosk.core.errors import ConfigError
    from kiosk.core.fleet import parse_fleet
    from kiosk.picture.rendition import RenditionSettings, with_rotations

    try:
        size = rules.size(max_size.strip().lower())
    except ValueError:
        raise ValueError(f"--max-size {max_size!r}: expected WIDTHxHEIGHT, such as 1920x1080") from None
    rotations: set[int] = set()
    try:
        fleet = parse_fleet((source / FLEET_FILE).read_text(encoding="utf-8"))
        for layer in (*fleet.roles.values(), *fleet.boxes.values()):
            if "rotation" in layer.get("display", {}):
                rotations.add(int(layer["display"]["rotation"]) % 360)
    except (OSError, UnicodeDecodeError, ConfigError):
        pass  # no fleet file, or one that publish refuses anyway, with its reasons
    if rotations:
        rotations.add(0)  # boxes without a rotation of their own
    return RenditionSettings(panels=with_rotations(size, rotations))


def cmd_publish(args: argparse.Namespace) -> int:
    from kiosk.boundary.publish import publish
    from kiosk.boundary.publishwatch import PublishWatcher

    if not args.source.is_dir():
        log.error("%s is not a folder", args.source)
        return EXIT_FAILURE
    grace = args.grace_hours * 3600
    try:
        renditions = None if args.originals else rendition_settings(args.source, args.max_size)
    except ValueError as exc:
        log.error("%s", exc)
        return EXIT_FAILURE
    signer = None
    if args.key is not None:
        import datetime as dt

        from kiosk.boundary.signing import Signer
        from kiosk.core.trust import TrustError

        if not 0 < args.valid_days <= 366:
            log.error("--valid-days %g: expected more than 0 and at most 366", args.valid_days)
            return EXIT_FAILURE
        try:
            signer = Signer.from_files(args.key, args.keys, dt.timedelta(days=args.valid_days))
        except TrustError as exc:
            log.error("not published: %s", exc)
            return EXIT_FAILURE
    elif args.keys is not None or args.resign:
        log.error("--keys and --resign need --key: the publish key that signs")
        return EXIT_FAILURE
    if args.watch:
        watcher = PublishWatcher(args.source, args.out, grace, renditions=renditions, signer=signer)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda _signum, _frame: watcher.ask_to_stop())
        watcher.run_here()
        return EXIT_OK
    try:
        result = publish(args.source, args.out, grace, renditions=renditions, signer=signer, resign=args.resign)
    except PublishError as exc:
        for problem in exc.problems:
            log.error("not published: %s", problem)
        log.error("nothing was published: every box would refuse this folder; fix what is named above")
        return EXIT_FAILURE
    except OSError as exc:  # the site, not one slide: the last good version stays published
        log.error("nothing was published: %s cannot be written: %s", args.out, exc.strerror or exc)
        return EXIT_FAILURE
    print(
        f"{'published' if result.changed else 'unchanged'}: version {result.version}"
        f"{f', serial {result.serial} (signed)' if result.serial is not None else ' (unsigned)'}, "
        f"{result.files} files, "
        f"{result.bytes} bytes; {result.objects_added} objects added, {result.objects_removed} removed"
    )
    return EXIT_OK
