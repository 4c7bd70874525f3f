"""The frames asked of the decode worker and the cache of those that came: plain data, no worker."""

from __future__ import annotations

from pathlib import Path

from kiosk.core.config import parse_config
from kiosk.core.effects import RequestFrame
from kiosk.core.frames import Frame, FrameKey
from kiosk.core.prepared import CACHE_FRAMES, Prepared, cache_bytes
from kiosk.core.priority import Priority

PANEL = (96, 54)


def config_of(body: str = ""):
    return parse_config(body, Path("/srv"))


def opened(body: str = "", panel=PANEL) -> Prepared:
    config = config_of(body)
    frames = Prepared(cache_bytes(config, None))
    frames.fit(config, panel, "BGRX")
    return frames


def key(frames: Prepared, name: str) -> FrameKey:
    return FrameKey(f"answers/{name}.jpg", (1, 1), "", "answer", frames.layout)


def frame(key: FrameKey) -> Frame:
    return Frame(key, key.layout.panel_size, bytes(key.layout.frame_bytes))


def test_before_the_screen_opens_there_is_no_layout_and_the_cache_is_sized_for_full_hd():
    frames = Prepared(cache_bytes(config_of(), None))
    assert frames.layout is None and frames.limit == CACHE_FRAMES * 1920 * 1080 * 4
    frames.fit(config_of())  # a config change before the screen opened: nothing to fit yet
    assert frames.layout is None


def test_the_cache_holds_two_frames_of_the_panel_unless_configured():
    frames = opened()
    assert frames.layout.panel_size == PANEL and frames.limit == 2 * PANEL[0] * PANEL[1] * 4
    assert opened("decoding:\n  cache_megabytes: 16\n").limit == 16 * 1024 * 1024


def test_a_request_is_out_until_answered_and_one_asked_ahead_fails_ahead_once():
    frames = opened()
    a, b = key(frames, "a"), key(frames, "b")
    assert frames.request(a, Priority.NEXT) == [RequestFrame(a, Priority.NEXT)]
    frames.request(b, Priority.AHEAD)
    assert frames.asked_for(a) and frames.asked_for(b)
    frames.answered(a)
    assert not frames.asked_for(a)
    assert not frames.was_ahead(a)
    assert frames.was_ahead(b) and not frames.was_ahead(b), "forgotten as asked ahead once it failed"


def test_a_frame_asked_ahead_that_arrives_is_no_longer_ahead():
    frames = opened("decoding:\n  cache_megabytes: 16\n")
    b = key(frames, "b")
    frames.request(b, Priority.AHEAD)
    frames.arrived(frame(b), spare=False, keep=None)
    assert b in frames and frames.get(b) is not None and not frames.was_ahead(b)


def test_no_frame_pushes_out_the_next_slides_and_a_spare_never_pushes_out_any():
    frames = opened()  # room for two frames
    upcoming, other, spare = key(frames, "next"), key(frames, "other"), key(frames, "spare")
    frames.arrived(frame(upcoming), spare=False, keep=upcoming)
    frames.arrived(frame(other), spare=False, keep=upcoming)
    frames.arrived(frame(spare), spare=True, keep=upcoming)
    assert upcoming in frames and other in frames and spare not in frames
    frames.arrived(frame(spare), spare=False, keep=upcoming)
    assert upcoming in frames and spare in frames and other not in frames and len(frames) == 2


def test_another_layout_lets_every_frame_go_and_the_same_one_keeps_them():
    frames = opened()
    a = key(frames, "a")
    frames.arrived(frame(a), spare=False, keep=None)
    frames.fit(config_of())  # the same layout
    assert a in frames
    frames.fit(config_of("display:\n  rotation: 90\n"))
    assert len(frames) == 0 and frames.layout.size == (54, 96) and frames.layout.panel_size == PANEL


def test_a_changed_file_loses_its_frames_and_the_off_slide_is_kept_as_asked():
    frames = opened()
    a = key(frames, "a")
    frames.keep(frame(a))
    frames.forget("answers/b.jpg")
    assert a in frames
    frames.forget(a.path)
    assert a not in frames
