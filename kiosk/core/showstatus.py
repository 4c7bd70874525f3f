"""What the show says about itself: the helpers' health it tracks, status.json's content and the info overlay.

Pure: built from a snapshot of the director's state (`ShowState`, which the
director makes) and the times passed in; nothing here knows the director.
The loop adds what only it knows (frame timings, threads, files it could
not write).
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from kiosk import __version__
from kiosk.core.admission import Retry, Unusable
from kiosk.core.catalogue import Catalogue
from kiosk.core.effects import Effect, PublishStatus
from kiosk.core.messages import SyncDone
from kiosk.core.playlist import Entry
from kiosk.core.sections import Config
from kiosk.core.trust import trust_status

log = logging.getLogger(__name__)

STUCK_WORKER_SECONDS = 60.0  # one picture longer than this: the worker is stuck, and systemd is told by silence
STATUS_LIST_LIMIT = 100  # files named in status.json per list; the counts say how many in all
STATUS_TEXT_LIMIT = 300  # characters of one path or reason in a list: what a person reads, never a whole traceback


@dataclass(frozen=True)
class HealthState:
    """The helpers' health at one moment, as status.json says it."""

    worker_stuck: bool
    worker_stuck_on: str | None
    fleet: dict[str, Any] | None
    sync: dict[str, Any]
    trust: dict[str, Any]
    paused_since: str | None


@dataclass(frozen=True)
class ShowState:
    """A snapshot of the director's state for the status and the overlay, made by `Director.snapshot()`.

    Read at once, in the render loop: the collections of files (thousands
    at a time) are the director's own, seen and not copied.
    """

    box: str
    role: str
    zone: dt.tzinfo | None  # the schedule's zone, or the box's own
    screen_on: bool
    paused: bool
    shown: Entry | None  # the slide on screen
    shown_since: dt.datetime | None
    catalogue: Catalogue  # the admitted slides
    arriving: int  # new or changed files waiting for their first decode
    unusable_now: AbstractSet[str]  # listed files known not to decode in their present version
    unusable: Mapping[str, Unusable]
    retrying: Mapping[str, Retry]
    problems: tuple[str, ...]  # what the listing refused
    slides_shown: int
    by_kind: dict[str, int]
    last_fade_fps: float
    health: HealthState


class Health:
    """The decode worker and the sync client, as the show knows them."""

    def __init__(self, config: Config, fleet: dict[str, Any] | None = None,
                 trust: dict[str, Any] | None = None) -> None:
        self.worker_stuck = False
        self.worker_stuck_on: str | None = None  # the picture it is stuck on
        self.fleet = fleet  # the central fleet file in force, and a refusal (kiosk.boundary.fleetfile)
        # `failures` counts since start (kiosk.prom's counter); `consecutive_failures` since the last success,
        # and `last_success` None means never: the office tells "failing for an hour" from "never worked".
        self.sync: dict[str, Any] = {"configured": bool(config.sync.url), "failures": 0, "consecutive_failures": 0,
                           "last_success_unix": 0, "last_success": None}
        self.paused_since: str | None = None  # when the show was last paused (meaningful only while paused)
        # Whether the synced content is signed and accepted (kiosk.core.trust.trust_status); until the
        # sync client says more, what it last saved (kiosk run passes it in), or else what the config alone tells.
        self.trust: dict[str, Any] = trust if trust is not None else trust_status(
            bool(config.sync.root_key), None, None, None, syncing=bool(config.sync.url))

    def state(self) -> HealthState:
        return HealthState(self.worker_stuck, self.worker_stuck_on, self.fleet, dict(self.sync), dict(self.trust),
                           self.paused_since)

    def check_worker(self, busy: tuple[str, float] | None) -> list[Effect]:
        """Notices a worker stuck on one picture: logged once, in the status, and the watchdog goes quiet."""
        stuck = busy is not None and busy[1] > STUCK_WORKER_SECONDS
        effects: list[Effect] = []
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

    def sync_done(self, done: SyncDone, wall: dt.datetime) -> list[Effect]:
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

    def fleet_changed(self, fleet: dict[str, Any] | None) -> None:
        """The fleet file in force and a refusal, as the config watcher last said (None: it did not say)."""
        if fleet is not None:
            self.fleet = fleet

    def pause_changed(self, paused: bool, wall: dt.datetime) -> None:
        """Notes when a pause began, for the status (the office sees how long a screen has stood still)."""
        self.paused_since = wall.isoformat(timespec="seconds") if paused else None


def show_status(show: ShowState, uptime: float, wall: dt.datetime) -> dict[str, Any]:
    """Everything status.json says about the show, as plain data."""
    health, shown, fleet = show.health, show.shown, show.health.fleet
    return {
        "box": show.box,
        "version": __version__,
        "time": wall.astimezone(show.zone).isoformat(timespec="seconds"),
        "uptime_seconds": round(uptime, 1),
        "screen": "on" if show.screen_on else "off (schedule)",
        "paused": show.paused,
        "paused_since": health.paused_since if show.paused else None,
        "on_screen": None if shown is None or show.shown_since is None else {
            "path": shown.path, "kind": shown.kind, "seconds": shown.seconds,
            "since": show.shown_since.isoformat(timespec="seconds"),
        },
        "content": {
            "contribute": show.catalogue.count("contribute"),
            "answer": show.catalogue.count("answer"),
            "arriving": show.arriving,
        },
        "slides_shown": dict(show.by_kind),
        "sync": dict(health.sync),
        "trust": dict(health.trust),
        "errors": {
            # The first STATUS_LIST_LIMIT by name, and how many in all: thousands of broken
            # files must not make every status write (every slide start) a megabyte.
            "unusable_count": len(show.unusable_now),
            "unusable_files": {_clip(path): _clip(show.unusable[path].reason)
                               for path in heapq.nsmallest(STATUS_LIST_LIMIT, show.unusable_now)},
            "retrying": {_clip(path): _clip(show.retrying[path].reason)
                         for path in heapq.nsmallest(STATUS_LIST_LIMIT, show.retrying)},
            "retrying_count": len(show.retrying),
            "content_problems": [_clip(problem) for problem in show.problems[:STATUS_LIST_LIMIT]],
            "content_problem_count": len(show.problems),
        },
        "worker_stuck": health.worker_stuck,
        "worker_stuck_on": health.worker_stuck_on,
        "role": show.role,
        "fleet": None if fleet is None else {
            **fleet, "refused": [_clip(reason) for reason in fleet.get("refused", ())[:STATUS_LIST_LIMIT]]},
        "overriding": [_clip(slide.path) for slide in show.catalogue.overrides[:STATUS_LIST_LIMIT]],
    }


def _clip(text: str) -> str:
    return text if len(text) <= STATUS_TEXT_LIMIT else text[:STATUS_TEXT_LIMIT - 1] + "…"


def overlay_lines(show: ShowState, uptime: float) -> list[str]:
    """The info overlay's lines (the `i` key): counts and states only.

    The screen faces the public: no URL, host, token or error text ever
    reaches it (those are in the log and status.json, for the office).
    """
    shown, catalogue = show.shown, show.catalogue
    seconds = int(uptime)
    return [
        f"kiosk {__version__} · box {show.box}",
        f"on screen: {shown.path} ({shown.kind}, {shown.seconds:g} s)" if shown else "on screen: nothing",
        f"content: {catalogue.count('contribute')} contribute, {catalogue.count('answer')} answers,"
        f" {show.arriving} arriving, {len(show.unusable_now)} unusable",
        "sync: " + _sync_state(show.health.sync),
        f"fade: {show.last_fade_fps:.0f} fps · slides shown {show.slides_shown}"
        f" · up {seconds // 3600}h{seconds % 3600 // 60:02d}m"
        + (" · PAUSED" if show.paused else ""),
    ]


def _sync_state(sync: dict[str, Any]) -> str:
    """The sync as the overlay says it: a state and a count, never the server's address or its error."""
    if not sync.get("configured"):
        return "not configured"
    if "ok" not in sync:
        return "not yet"
    failures = sync.get("failures", 0)
    failures = failures if isinstance(failures, int) else 0
    return ("ok" if sync["ok"] else "failing") + f" · {failures} failures since start"
