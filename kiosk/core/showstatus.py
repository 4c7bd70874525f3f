"""What the show says about itself: the helpers' health it tracks, status.json's content and the info overlay.

Pure: built from the director's state and the times passed in. The loop
adds what only it knows (frame timings, threads, files it could not write).
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from typing import TYPE_CHECKING, Any

from kiosk import __version__
from kiosk.core.config import Config
from kiosk.core.effects import PublishStatus
from kiosk.core.messages import SyncDone
from kiosk.core.trust import trust_status

if TYPE_CHECKING:
    from kiosk.core.director import Director

log = logging.getLogger(__name__)

STUCK_WORKER_SECONDS = 60.0  # one picture longer than this: the worker is stuck, and systemd is told by silence
STATUS_LIST_LIMIT = 100  # files named in status.json per list; the counts say how many in all
STATUS_TEXT_LIMIT = 300  # characters of one path or reason in a list: what a person reads, never a whole traceback


class Health:
    """The decode worker and the sync client, as the show knows them."""

    def __init__(self, config: Config) -> None:
        self.worker_stuck = False
        self.worker_stuck_on: str | None = None  # the picture it is stuck on
        self.fleet: dict | None = None  # the central fleet file in force, and a refusal (kiosk.boundary.fleetfile)
        # `failures` counts since start (kiosk.prom's counter); `consecutive_failures` since the last success,
        # and `last_success` None means never: the office tells "failing for an hour" from "never worked".
        self.sync: dict = {"configured": bool(config.sync.url), "failures": 0, "consecutive_failures": 0,
                           "last_success_unix": 0, "last_success": None}
        self.paused_since: str | None = None  # when the show was last paused (meaningful only while paused)
        # Whether the synced content is signed and accepted (kiosk.core.trust.trust_status); until the
        # sync client says more, what the config alone tells.
        self.trust: dict = trust_status(bool(config.sync.root_key), None, None, None, syncing=bool(config.sync.url))

    def check_worker(self, busy: tuple[str, float] | None) -> list[Any]:
        """Notices a worker stuck on one picture: logged once, in the status, and the watchdog goes quiet."""
        stuck = busy is not None and busy[1] > STUCK_WORKER_SECONDS
        effects: list[Any] = []
        if stuck and not self.worker_stuck:
            assert busy is not None
            log.error(
                "the decode worker has been preparing %s for %.0f s; no longer telling systemd the kiosk is alive,"
                " so that it restarts it (that file will then be skipped)", busy[0], busy[1],
            )
            effects.append(PublishStatus())
        elif not stuck and self.worker_stuck:
            log.info("the decode worker is working again")
        self.worker_stuck = stuck
        self.worker_stuck_on = busy[0] if stuck and busy is not None else None
        return effects

    def sync_done(self, done: SyncDone, wall: dt.datetime) -> list[Any]:
        result = done.result
        self.sync.update(last_time=result.finished, last_result=result.line(), ok=result.ok)
        if result.ok:
            self.sync.update(last_success_unix=int(wall.timestamp()), manifest_version=result.version,
                             last_success=wall.isoformat(timespec="seconds"), consecutive_failures=0)
        else:
            self.sync["failures"] += 1
            self.sync["consecutive_failures"] += 1
        if result.trust is not None:
            self.trust = result.trust
        return [PublishStatus()]

    def pause_changed(self, paused: bool, wall: dt.datetime) -> None:
        """Notes when a pause began, for the status (the office sees how long a screen has stood still)."""
        self.paused_since = wall.isoformat(timespec="seconds") if paused else None


def show_status(director: Director, uptime: float, wall: dt.datetime) -> dict:
    """Everything status.json says about the show, as plain data."""
    shown = director.on_screen
    content = director.content
    unusable = content.unusable_now()
    paused = director.paused_remaining is not None
    fleet = director.health.fleet
    return {
        "box": director.config.box.name,
        "version": __version__,
        "time": director.local(wall).isoformat(timespec="seconds"),
        "uptime_seconds": round(uptime, 1),
        "screen": "on" if director.screen_on else "off (schedule)",
        "paused": paused,
        "paused_since": director.health.paused_since if paused else None,
        "on_screen": None if shown is None else {
            "path": shown.entry.path, "kind": shown.entry.kind, "seconds": shown.entry.seconds,
            "since": shown.started_wall.isoformat(timespec="seconds"),
        },
        "content": {
            "contribute": content.catalogue.count("contribute"),
            "answer": content.catalogue.count("answer"),
            "arriving": len(content.awaiting),
        },
        "slides_shown": dict(director.counts.by_kind),
        "sync": dict(director.health.sync),
        "trust": dict(director.health.trust),
        "errors": {
            # The first STATUS_LIST_LIMIT by name, and how many in all: thousands of broken
            # files must not make every status write (every slide start) a megabyte.
            "unusable_count": len(unusable),
            "unusable_files": {_clip(path): _clip(content.unusable[path].reason)
                               for path in heapq.nsmallest(STATUS_LIST_LIMIT, unusable)},
            "retrying": {_clip(path): _clip(content.retry[path].reason)
                         for path in heapq.nsmallest(STATUS_LIST_LIMIT, content.retry)},
            "retrying_count": len(content.retry),
            "content_problems": [_clip(problem) for problem in content.listed.problems[:STATUS_LIST_LIMIT]],
            "content_problem_count": len(content.listed.problems),
        },
        "worker_stuck": director.health.worker_stuck,
        "worker_stuck_on": director.health.worker_stuck_on,
        "role": director.config.box.role,
        "fleet": None if fleet is None else {
            **fleet, "refused": [_clip(reason) for reason in fleet.get("refused", ())[:STATUS_LIST_LIMIT]]},
        "overriding": [_clip(slide.path) for slide in content.catalogue.overrides[:STATUS_LIST_LIMIT]],
    }


def _clip(text: str) -> str:
    return text if len(text) <= STATUS_TEXT_LIMIT else text[:STATUS_TEXT_LIMIT - 1] + "…"


def overlay_lines(director: Director, uptime: float) -> list[str]:
    """The info overlay's lines (the `i` key): counts and states only.

    The screen faces the public: no URL, host, token or error text ever
    reaches it (those are in the log and status.json, for the office).
    """
    shown = director.on_screen.entry if director.on_screen is not None else None
    catalogue, sync, counts = director.catalogue, director.health.sync, director.counts
    seconds = int(uptime)
    return [
        f"kiosk {__version__} · box {director.config.box.name}",
        f"on screen: {shown.path} ({shown.kind}, {shown.seconds:g} s)" if shown else "on screen: nothing",
        f"content: {catalogue.count('contribute')} contribute, {catalogue.count('answer')} answers,"
        f" {len(director.content.awaiting)} arriving, {len(director.content.unusable_now())} unusable",
        "sync: " + _sync_state(sync),
        f"fade: {counts.last_fade_fps:.0f} fps · slides shown {counts.slides_shown}"
        f" · up {seconds // 3600}h{seconds % 3600 // 60:02d}m"
        + (" · PAUSED" if director.paused_remaining is not None else ""),
    ]


def _sync_state(sync: dict) -> str:
    """The sync as the overlay says it: a state and a count, never the server's address or its error."""
    if not sync.get("configured"):
        return "not configured"
    if "ok" not in sync:
        return "not yet"
    failures = sync.get("failures", 0)
    failures = failures if isinstance(failures, int) else 0
    return ("ok" if sync["ok"] else "failing") + f" · {failures} failures since start"
