"""How well the screen keeps up: gaps between frames in fades and how late each slide began.

Pure: the render loop reports each presented frame and each slide start
with the monotonic time; `summary()` is plain data for status.json, the
Prometheus file and the log.
"""

from __future__ import annotations

import collections
from typing import Any

QUANTILES = (0.5, 0.9, 0.99)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation; 0 for no values."""
    return _quantile_of_sorted(sorted(values), q)


def quantiles(values: list[float], qs: tuple[float, ...] = QUANTILES) -> dict[str, float]:
    """Several quantiles from one sort, keyed by the quantile as text."""
    ordered = sorted(values)
    return {str(q): round(_quantile_of_sorted(ordered, q), 4) for q in qs}


def _quantile_of_sorted(ordered: list[float], q: float) -> float:
    if not ordered:
        return 0.0
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


class FrameStats:
    """Gaps between frames presented during fades, and how late each slide began."""

    def __init__(self, frame_period: float, keep: int = 5000) -> None:
        self.frame_period = frame_period
        self.gaps: collections.deque[float] = collections.deque(maxlen=keep)
        self.slips: collections.deque[float] = collections.deque(maxlen=keep)
        self.presented = 0
        self.late = 0
        self._last: float | None = None

    def frame(self, at: float, in_fade: bool) -> None:
        """Records a presented frame; gaps count only between frames of one fade."""
        self.presented += 1
        if in_fade and self._last is not None:
            gap = at - self._last
            self.gaps.append(gap)
            if gap > 1.5 * self.frame_period:
                self.late += 1
        self._last = at if in_fade else None

    def fade_ended(self) -> None:
        self._last = None

    def slide_started(self, due: float, started: float) -> None:
        self.slips.append(max(0.0, started - due))

    def summary(self) -> dict[str, Any]:
        gaps, slips = list(self.gaps), list(self.slips)
        return {
            "frames_presented": self.presented,
            "late_frames": self.late,
            "fade_gap_seconds": quantiles(gaps),
            "fade_gap_count": len(gaps),
            "fade_gap_sum_seconds": round(sum(gaps), 4),
            "slide_slip_seconds": quantiles(slips),
        }

    def log_line(self) -> str:
        s = self.summary()
        g, sl = s["fade_gap_seconds"], s["slide_slip_seconds"]
        return (
            f"frames: {s['frames_presented']} presented, {s['late_frames']} late; fade gap p50 "
            f"{g['0.5'] * 1000:.1f} ms, p99 {g['0.99'] * 1000:.1f} ms; slide start slip p99 {sl['0.99'] * 1000:.1f} ms"
        )
