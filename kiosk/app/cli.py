"""The command line: parse arguments, call the core, choose the exit code.

pygame is imported only by the commands that need a screen (`run`,
`snapshot`), so `check` and `plan` start fast and work on machines without
SDL.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
from pathlib import Path
from typing import Sequence

from kiosk import __version__
from kiosk.core.rules import size as parse_size



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


def _positive_seconds(text: str) -> float:
    try:
        seconds = float(text)
    except ValueError:
        seconds = float("nan")
    if not 0 < seconds <= 86_400:
        raise argparse.ArgumentTypeError(f"not a number of seconds from 0 to 86400: {text!r}")
    return seconds


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
    _box_arguments(plan_cmd)

    publish_cmd = command("publish", "turn a slide folder into a static site for the boxes to sync from")
    publish_cmd.add_argument("source", type=Path, metavar="SRC_DIR", help="a folder with contribute/ and answers/")
    publish_cmd.add_argument("--out", type=Path, required=True, metavar="SITE_DIR",
                             help="the folder a web server serves")
    publish_cmd.add_argument("--watch", action="store_true", help="publish again whenever SRC_DIR changes")
    publish_cmd.add_argument("--grace-hours", type=float, default=24.0,
                             help="keep objects no manifest names for this long (default 24)")
    publish_cmd.add_argument("--max-size", metavar="WxH", default="1920x1080",
                             help="the fleet's largest panel; pictures are published at the size that covers it "
                                  "(and its quarter turn, if a role in fleet.yaml rotates by 90 or 270) "
                                  "(default 1920x1080)")
    publish_cmd.add_argument("--originals", action="store_true",
                             help="send the pictures' original files, metadata and all, instead of renditions")
    publish_cmd.add_argument("--key", type=Path, metavar="KEY_FILE",
                             help="sign the manifest with this publish key (from `kiosk keys`); keys.json is "
                                  "read from beside it unless --keys names it (docs/trust.md)")
    publish_cmd.add_argument("--keys", type=Path, metavar="KEYS_JSON", help="the root-signed key list")
    publish_cmd.add_argument("--valid-days", type=float, default=7.0,
                             help="a signed manifest expires after this many days; it is signed again when less "
                                  "than half is left (default 7)")
    publish_cmd.add_argument("--resign", action="store_true",
                             help="sign the manifest again with a new serial and expiry even if nothing changed")

    keys = commands.add_parser("keys", help="make and rotate the keys that sign what is published (docs/trust.md)",
                               description="make and rotate the keys that sign what is published (docs/trust.md)")
    keys.add_argument("-v", "--verbose", action="store_true", help="log debug messages")
    actions = keys.add_subparsers(dest="action", required=True, metavar="ACTION")

    def key_action(name: str, help_text: str, root: bool = True) -> argparse.ArgumentParser:
        sub = actions.add_parser(name, help=help_text, description=help_text)
        sub.add_argument("folder", type=Path, metavar="KEYS_DIR", help="the folder of keys.json and the publish keys")
        if root:
            sub.add_argument("--root-key", type=Path, metavar="FILE",
                             help="the offline root private key (default KEYS_DIR/root.key)")
        sub.add_argument("--valid-days", type=float, default=365.0,
                         help="the key list expires after this many days (default 365)")
        return sub

    key_action("init", "make a root key, a first publish key and keys.json signed by the root", root=False)
    key_action("add-publish", "make another publish key and sign a new keys.json that lists it")
    revoke = key_action("revoke", "sign a new keys.json without this publish key (lost or leaked)")
    revoke.add_argument("keyid", metavar="KEYID", help="the key's id, or its first 8 or more hex digits")
    key_action("rotate", "make a new publish key and sign a new keys.json that lists only it")
    key_action("renew", "sign keys.json again, with the same keys, a higher version and a new expiry")
    show = actions.add_parser("show", help="print keys.json's version, expiry and publish keys")
    show.add_argument("folder", type=Path, metavar="KEYS_DIR")

    sync_cmd = command("sync", "make the slide folder match the central server (sync.url)")
    sync_cmd.add_argument("--once", action="store_true", help="one sync; exit 0 when the folder matches")

    report = command("report", "proof of play from the play logs: this box's, or the uploaded ones of every box")
    report.add_argument("folders", nargs="*", metavar="FOLDER_OR_URL",
                        help="boxes' folders of uploaded play logs, the folder holding them (/var/www/kiosk/fleet) "
                             "or its URL (https://kiosk.example.org/fleet/); default: this box's state folder")
    report.add_argument("--csv", type=Path, help="also write one row per box and slide to this CSV file")
    report.add_argument("--since", type=dt.date.fromisoformat, help="first day, YYYY-MM-DD")
    report.add_argument("--json", action="store_true", help="print JSON")
    report.add_argument("--png", type=Path, help="also draw a chart to this PNG file")
    report.add_argument("--deadline", type=_positive_seconds, default=600.0, metavar="SECONDS",
                        help="the most reading a fleet URL may take in all; boxes not read by then are named "
                             "and left out, exit 3 (default 600)")

    snapshot = command("snapshot", "render slides as the screen shows them to PNG files")
    snapshot.add_argument("--out", type=Path, required=True, help="folder for 0001.png, 0002.png, ...")
    snapshot.add_argument("--count", type=int, default=10, help="how many slides in plan order (default 10)")
    snapshot.add_argument("--size", type=_size_argument, help="panel size WxH (default: config, else 1920x1080)")
    snapshot.add_argument("--slide", help="render only this slide (path relative to the slide folder)")
    snapshot.add_argument("--at", type=_moment_argument, help="plan start time, ISO-8601 (default: now)")
    _box_arguments(snapshot)
    return parser


def _box_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--role", help="as a box of this role would (fleet.yaml's settings for it apply)")
    parser.add_argument("--box", help="as the box of this name would (fleet.yaml's settings for it apply)")


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
        force=True,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    # Each command's module is imported only when it runs: `check` and `plan` never load SDL.
    if args.command == "run":
        from kiosk.app.run import cmd_run as handler
    elif args.command == "check":
        from kiosk.app.check import cmd_check as handler
    elif args.command == "keys":
        from kiosk.app.keys_commands import cmd_keys as handler
    elif args.command in ("publish", "sync"):
        from kiosk.app import server_commands

        handler = getattr(server_commands, f"cmd_{args.command}")
    else:
        from kiosk.app import content_commands

        handler = getattr(content_commands, f"cmd_{args.command}")
    return handler(args)
