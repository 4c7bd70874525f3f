"""Frame statistics: gaps inside fades only, quantiles, slip."""

from kiosk.core.framestats import FrameStats, quantile


def test_quantiles():
    assert quantile([], 0.5) == 0
    assert quantile([1, 2, 3, 4], 0.5) == 2.5
    assert quantile([5], 0.99) == 5


def test_frame_stats_count_gaps_only_inside_fades():
    stats = FrameStats(frame_period=1 / 60)
    stats.frame(0.0, in_fade=False)
    for index in range(1, 5):
        stats.frame(index / 60, in_fade=True)
    stats.frame(5 / 60 + 0.1, in_fade=True)  # one late frame
    stats.fade_ended()
    stats.frame(10.0, in_fade=True)  # a new fade: no gap to the old one
    summary = stats.summary()
    assert summary["frames_presented"] == 7 and summary["late_frames"] == 1
    assert summary["fade_gap_count"] == 4
    stats.slide_started(due=1.0, started=1.004)
    assert abs(stats.summary()["slide_slip_seconds"]["0.5"] - 0.004) < 1e-9
