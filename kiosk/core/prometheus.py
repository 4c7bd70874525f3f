"""The Prometheus text format of a status: what kiosk.prom says, for node_exporter's textfile collector.

Pure: a status dict (kiosk.core.showstatus and the loop's additions) in,
text out. monitoring/kiosk-alerts.yml alerts on these metrics.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from kiosk.core.framestats import QUANTILES


def prometheus_text(status: dict[str, Any], written_at: float = 0.0, free_bytes: int | None = None) -> str:
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
    fleet = status.get("fleet") or {}
    metric("kiosk_fleet_refused", "gauge",
           "1 while the newest central fleet.yaml is refused (the last good one applies).",
           [("", 1.0 if fleet.get("refused") else 0.0)])
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
    trust = status["trust"] if isinstance(status.get("trust"), dict) else {}
    metric("kiosk_trust_pinned", "gauge", "1 when the box pins a root key and applies only signed manifests.",
           [("", 1.0 if trust.get("pinned") else 0.0)])
    metric("kiosk_trust_refused", "gauge", "1 while the newest manifest is refused (forged, replayed, expired); "
           "the box shows its last good content.", [("", 1.0 if trust.get("state") == "refused" else 0.0)])
    serial = trust.get("version")
    if isinstance(serial, int) and not isinstance(serial, bool):
        metric("kiosk_manifest_serial", "gauge", "Serial of the last signed manifest the box accepted.",
               [("", float(serial))])
    expires = _unix_time(trust.get("expires"))
    if expires is not None:
        metric("kiosk_manifest_expires_timestamp_seconds", "gauge",
               "Unix time the accepted manifest expires; the publishing machine re-signs well before.",
               [("", expires)])
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
    video = status.get("video_frames") or {}
    metric("kiosk_video_frames_total", "counter",
           "Frames of video slides as they reached the screen: shown, shown late (a later one was due), "
           "skipped (never shown).",
           [(f'{{outcome="{outcome}"}}', float(video.get(outcome, 0))) for outcome in ("shown", "late", "skipped")])
    metric("kiosk_uptime_seconds", "gauge", "Seconds since the kiosk started.",
           [("", float(status.get("uptime_seconds", 0)))])
    return "\n".join(lines) + "\n"


def _unix_time(value: object) -> float | None:
    """An ISO-8601 time with an offset as Unix time; None for anything else."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value[:-1] + "+00:00" if value.endswith("Z") else value)
    except ValueError:
        return None
    return None if moment.tzinfo is None else moment.timestamp()


def _number(value: float) -> str:
    """A sample value in full: `:g` would print a Unix time as 1.79617e+09, six digits of it."""
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _label_value(value: object) -> str:
    return str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
