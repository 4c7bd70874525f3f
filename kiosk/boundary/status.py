"""How a box is doing: frame statistics, status.json, the Prometheus file and the heartbeat.

The render loop measures (FrameStats) and hands a plain dict to the
StatusWriter thread, which does the file writes and the heartbeat POST, so
no disk or network wait ever lands in the loop.

    <state.dir>/status.json   rewritten atomically
    <state.dir>/kiosk.prom    Prometheus text format, for node_exporter's textfile collector
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from pathlib import Path
from typing import Callable

import requests

from kiosk.boundary import http
from kiosk.boundary.background import BackgroundThread
from kiosk.core.errors import DeadlinePassed
from kiosk.boundary.files import WriteTrouble, write_atomically
from kiosk.core.framestats import QUANTILES, FrameStats, quantile, quantiles  # noqa: F401 - the metrics come from there

log = logging.getLogger(__name__)

STATUS_FILE = "status.json"
PROMETHEUS_FILE = "kiosk.prom"
def prometheus_text(status: dict, written_at: float = 0.0, free_bytes: int | None = None) -> str:
    """The metrics of a status dict in Prometheus' text exposition format.

    `written_at` (Unix time) becomes kiosk_status_timestamp_seconds: a dead
    kiosk stops updating it, which is what the alerts look at; kiosk_up is
    0 in the last status a kiosk writes as it stops.
    """
    lines: list[str] = []

    def metric(name: str, kind: str, help_text: str, samples: list[tuple[str, float]]) -> None:
        lines.append(f"# HELP {name} {help_text}")
        lines.append(f"# TYPE {name} {kind}")
        for labels, value in samples:
            lines.append(f"{name}{labels} {_number(value)}")

    box = _label_value(status.get("box", ""))
    metric("kiosk_up", "gauge", "1 while the kiosk runs; 0 in the status written as it stops.",
           [(f'{{box="{box}"}}', 0 if status.get("running") is False else 1)])
    metric("kiosk_status_timestamp_seconds", "gauge", "Unix time this file was written; stale means a dead kiosk.",
           [("", float(written_at))])
    metric("kiosk_screen_on", "gauge", "1 while the schedule has the screen on.",
           [("", 1.0 if str(status.get("screen", "on")) == "on" else 0.0)])
    threads = status.get("threads", {})
    metric("kiosk_thread_failing", "gauge", "1 while a helper thread's last round of work failed.",
           [(f'{{thread="{_label_value(name)}"}}', 1.0 if health.get("failing") else 0.0)
            for name, health in sorted(threads.items())])
    metric("kiosk_thread_running", "gauge", "1 while a helper thread runs.",
           [(f'{{thread="{_label_value(name)}"}}', 1.0 if health.get("running") else 0.0)
            for name, health in sorted(threads.items())])
    metric("kiosk_worker_stuck", "gauge", "1 while the decode worker is stuck on one picture.",
           [("", 1.0 if status.get("worker_stuck") else 0.0)])
    metric("kiosk_clock_synchronised", "gauge", "1 once NTP has set the clock (0 before; the schedule waits).",
           [("", 0.0 if status.get("clock_synchronised") is False else 1.0)])
    metric("kiosk_state_problems", "gauge", "Writes to the state folder failing now (full or read-only disk).",
           [("", float(len(status.get("state_problems", []))))])
    if free_bytes is not None:
        metric("kiosk_state_free_bytes", "gauge", "Bytes free on the state folder's filesystem.",
               [("", float(free_bytes))])
    shown = status.get("slides_shown", {})
    metric("kiosk_slides_shown_total", "counter", "Slides shown since start, by kind.",
           [(f'{{kind="{kind}"}}', float(shown.get(kind, 0))) for kind in ("contribute", "answer", "fallback")])
    content = status.get("content", {})
    metric("kiosk_content_files", "gauge", "Slides in the rotation, by kind.",
           [(f'{{kind="{kind}"}}', float(content.get(kind, 0))) for kind in ("contribute", "answer")])
    metric("kiosk_unusable_files", "gauge", "Slide files that cannot be decoded.",
           [("", float(status.get("errors", {}).get("unusable_count",
                                                     len(status.get("errors", {}).get("unusable_files", {})))))])
    sync = status.get("sync", {})
    metric("kiosk_last_sync_success_timestamp_seconds", "gauge", "Unix time of the last successful sync (0 = never).",
           [("", float(sync.get("last_success_unix", 0)))])
    metric("kiosk_sync_configured", "gauge", "1 when the box syncs from a central server (sync.url).",
           [("", 1.0 if sync.get("configured") else 0.0)])
    metric("kiosk_sync_failures_total", "counter", "Failed syncs since start.", [("", float(sync.get("failures", 0)))])
    frames = status.get("frames", {})
    gap = frames.get("fade_gap_seconds", {})
    lines.append("# HELP kiosk_frame_seconds Time between frames presented during fades.")
    lines.append("# TYPE kiosk_frame_seconds summary")
    for q in QUANTILES:
        lines.append(f'kiosk_frame_seconds{{quantile="{q}"}} {_number(float(gap.get(str(q), 0)))}')
    lines.append(f"kiosk_frame_seconds_sum {_number(float(frames.get('fade_gap_sum_seconds', 0)))}")
    lines.append(f"kiosk_frame_seconds_count {int(frames.get('fade_gap_count', 0))}")
    metric("kiosk_late_frames_total", "counter", "Fade frames later than 1.5 frame periods.",
           [("", float(frames.get("late_frames", 0)))])
    metric("kiosk_uptime_seconds", "gauge", "Seconds since the kiosk started.", [("", float(status.get("uptime_seconds", 0)))])
    return "\n".join(lines) + "\n"


def _number(value: float) -> str:
    """A sample value in full: `:g` would print a Unix time as 1.79617e+09, six digits of it."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _free(folder: Path) -> int | None:
    try:
        usage = os.statvfs(folder)
    except OSError:
        return None
    return usage.f_bavail * usage.f_frsize


def _label_value(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class StatusWriter(BackgroundThread):
    """Writes status.json and kiosk.prom, and POSTs the heartbeat, on its own thread.

    `update()` hands over the newest status (latest wins); `poll_once()` does
    one round of writing for tests without the thread.
    """

    thread_name = "status"

    def __init__(
        self,
        folder: Path,
        min_interval: float = 2.0,
        heartbeat_url: str = "",
        heartbeat_interval: float = 60.0,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = (10.0, 30.0),
        verify: bool | str = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.folder = folder
        self.min_interval = min_interval
        self.heartbeat_url = heartbeat_url
        self.heartbeat_interval = heartbeat_interval
        self.session = session
        self.timeout = timeout
        self.verify = verify
        self.clock = clock
        self._latest: dict | None = None
        self._written: dict | None = None
        self._lock = threading.Lock()
        self._next_write_at = clock()
        self._next_heartbeat = clock()
        self._heartbeat_failing = False
        self.trouble = WriteTrouble(log)

    @property
    def problem(self) -> str | None:
        """Why the status files cannot be written, until they can."""
        return self.trouble.problem

    def update(self, status: dict) -> None:
        with self._lock:
            self._latest = status
        self.wake()

    def poll_once(self, heartbeat: bool = True) -> None:
        with self._lock:
            status = self._latest
        if status is None:
            return
        if status is not self._written:
            self._write_files(status)
            self._written = status
        if heartbeat and self.heartbeat_url and self.session is not None and self.clock() >= self._next_heartbeat:
            self._next_heartbeat = self.clock() + self.heartbeat_interval
            self._post_heartbeat(status)

    def _write_files(self, status: dict) -> None:
        try:
            write_atomically(self.folder / STATUS_FILE, json.dumps(status, ensure_ascii=False, indent=1))
            write_atomically(self.folder / PROMETHEUS_FILE, prometheus_text(status, time.time(), _free(self.folder)))
        except OSError as exc:
            # Every few seconds on a full disk: said once, and again only once it works.
            self.trouble.failed(f"cannot write status files in {self.folder}: {exc.strerror or exc}")
            return
        self.trouble.worked(f"status files are written again in {self.folder}")

    def _post_heartbeat(self, status: dict) -> None:
        seconds = self.timeout[0] + self.timeout[1]
        try:
            with http.held_to(self.session, self.heartbeat_url, seconds) as deadline:
                response = self.session.post(self.heartbeat_url, json=status, timeout=self.timeout, verify=self.verify)
                ok = response.status_code < 400
                reason = f"HTTP {response.status_code}"
                response.close()
                deadline.check()
        except (requests.RequestException, OSError, DeadlinePassed) as exc:
            ok, reason = False, type(exc).__name__
        if not ok and not self._heartbeat_failing:
            log.warning("heartbeat to %s failed: %s", self.heartbeat_url, reason)
        elif ok and self._heartbeat_failing:
            log.info("heartbeat to %s works again", self.heartbeat_url)
        self._heartbeat_failing = not ok

    def _round(self, woken: bool) -> None:
        # Bursts are coalesced: one write per min_interval at most (a status comes at every slide start).
        if self.clock() >= self._next_write_at or self._latest is self._written:
            self.poll_once()
            self._next_write_at = self.clock() + self.min_interval

    def _seconds_to_next_round(self) -> float | None:
        moments = []
        if self._latest is not self._written:
            moments.append(self._next_write_at)
        if self.heartbeat_url and self.session is not None:
            moments.append(self._next_heartbeat)
        return None if not moments else max(0.0, min(moments) - self.clock())

    def _after_stop(self) -> None:
        # The last word: the final status on disk, never waiting for a heartbeat server.
        self._survive(lambda: self.poll_once(heartbeat=False))
