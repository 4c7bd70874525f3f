"""A video's sound on the slot's clock: real clips made with PyAV, good and hostile, decoded to chunks."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from kiosk.core.errors import KioskError, PassingError, UnsafeFile
from kiosk.core.videoclock import VideoPlan
from kiosk.picture.videosound import RATE, SAMPLE_BYTES, Chunk, sound_chunks
from tests.clips import click_onsets, corrupted, make_clip, truncated

ONE_SAMPLE = 1 / RATE
AAC_ONSET = 0.0005  # the click's first loud sample comes this soon after its second (AAC smears it a little)


@pytest.fixture(scope="module")
def clicking(tmp_path_factory) -> Path:
    """Three seconds at 25 frames a second, a click at 0, 1 and 2 s."""
    return make_clip(tmp_path_factory.mktemp("clips") / "clicks.mp4", frames=75, rate=25, clicks=True)


def chunks_of(path: Path, plan: VideoPlan, start_at: float = 0.0) -> list[Chunk]:
    return list(sound_chunks(path, path.parent, plan, start_at))


def clicks_at(chunks: list[Chunk]) -> list[float]:
    """The slot's moments of the clicks heard, chunk by chunk (a click never spans a break)."""
    moments = []
    for chunk in chunks:
        moments += [chunk.moment + index / RATE for index in click_onsets(chunk.data)]
    merged: list[float] = []
    for moment in moments:
        if not merged or moment - merged[-1] > 0.5:
            merged.append(moment)
    return merged


def assert_follow_on(chunks: list[Chunk]) -> None:
    """In order, none overlapping the one before."""
    for before, after in zip(chunks, chunks[1:]):
        assert after.moment >= before.end - ONE_SAMPLE


def test_the_clicks_come_at_their_moments_on_the_slots_clock(clicking):
    chunks = chunks_of(clicking, VideoPlan(3.0))
    assert chunks[0].moment == 0.0
    assert all(len(chunk.data) % SAMPLE_BYTES == 0 and chunk.samples > 0 for chunk in chunks)
    assert_follow_on(chunks)
    assert clicks_at(chunks) == pytest.approx([0.0, 1.0, 2.0], abs=AAC_ONSET)
    assert chunks[-1].end <= 3.0
    # One play of sound: 48,000 samples a second, with no break in it.
    assert sum(chunk.samples for chunk in chunks) == pytest.approx(round(chunks[-1].end * RATE), abs=1)


def test_a_loop_plays_the_sound_again_from_the_clips_start(clicking):
    chunks = chunks_of(clicking, VideoPlan(3.0, loop=2))
    assert clicks_at(chunks) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0, 5.0], abs=AAC_ONSET)
    assert_follow_on(chunks)
    # No chunk spans the end of a play: each play is cut to the clip's three seconds.
    assert not [chunk for chunk in chunks if chunk.moment < 3.0 < chunk.end]
    assert chunks[-1].end <= 6.0


def test_seconds_trims_the_sound_or_loops_it_to_fill_them(clicking):
    trimmed = chunks_of(clicking, VideoPlan(3.0, seconds=1.5))
    assert clicks_at(trimmed) == pytest.approx([0.0, 1.0], abs=AAC_ONSET)
    assert trimmed[-1].end == pytest.approx(1.5, abs=ONE_SAMPLE)
    filled = chunks_of(clicking, VideoPlan(3.0, seconds=4.5))
    assert clicks_at(filled) == pytest.approx([0.0, 1.0, 2.0, 3.0, 4.0], abs=AAC_ONSET)
    assert filled[-1].end == pytest.approx(4.5, abs=ONE_SAMPLE)


def test_sound_at_another_rate_is_resampled_to_48_khz(tmp_path):
    clip = make_clip(tmp_path / "cd.mp4", frames=50, rate=25, clicks=True, sound_rate=44_100)
    chunks = chunks_of(clip, VideoPlan(2.0))
    assert clicks_at(chunks) == pytest.approx([0.0, 1.0], abs=AAC_ONSET)
    assert_follow_on(chunks)
    assert sum(chunk.samples for chunk in chunks) == pytest.approx(chunks[-1].end * RATE, abs=1)


@pytest.mark.parametrize("start_at", [1.5, 4.2, 8.5])
def test_a_slot_joined_late_begins_its_sound_where_the_clock_is(clicking, start_at):
    # 8.5 s is more than two seconds into the third play: the sound is sought there, not decoded up to it.
    chunks = chunks_of(clicking, VideoPlan(3.0, loop=4), start_at)
    assert chunks[0].moment == pytest.approx(start_at, abs=ONE_SAMPLE)
    assert clicks_at(chunks) == pytest.approx([float(second) for second in range(math.ceil(start_at), 12)],
                                              abs=AAC_ONSET)


def test_a_slot_joined_after_its_end_has_no_sound(clicking):
    assert chunks_of(clicking, VideoPlan(3.0), 3.5) == []


def test_a_video_without_sound_gives_none(tmp_path):
    assert chunks_of(make_clip(tmp_path / "silent.mp4", frames=10), VideoPlan(0.4)) == []


def test_a_missing_file_is_a_passing_error_naming_it(tmp_path):
    with pytest.raises(PassingError, match="gone.mp4: the file is gone"):
        chunks_of(tmp_path / "gone.mp4", VideoPlan(1.0))


def test_a_link_out_of_the_slide_folder_is_refused(tmp_path, clicking):
    folder = tmp_path / "slides"
    folder.mkdir()
    (folder / "out.mp4").symlink_to(clicking)
    with pytest.raises(UnsafeFile, match="out.mp4"):
        list(sound_chunks(folder / "out.mp4", folder, VideoPlan(3.0)))


@pytest.mark.parametrize("damage", ["truncated", "corrupted early", "corrupted late"])
def test_a_damaged_file_gives_sound_on_the_clock_up_to_the_damage_or_an_error_naming_it(tmp_path, clicking, damage):
    bad = {"truncated": lambda: truncated(clicking, tmp_path / "bad.mp4", keep=0.6),
           "corrupted early": lambda: corrupted(clicking, tmp_path / "bad.mp4", start=0.2, length=2000),
           "corrupted late": lambda: corrupted(clicking, tmp_path / "bad.mp4", start=0.7, length=2000)}[damage]()
    given: list[Chunk] = []
    try:
        for chunk in sound_chunks(bad, tmp_path, VideoPlan(3.0, loop=2)):
            given.append(chunk)
    except KioskError as exc:
        assert "bad.mp4" in str(exc)
    assert_follow_on(given)
    assert all(chunk.moment >= 0 and chunk.end <= 6.0 + ONE_SAMPLE for chunk in given)


def test_stopping_early_closes_the_file(clicking):
    chunks = sound_chunks(clicking, clicking.parent, VideoPlan(3.0, loop=50))
    next(chunks)
    chunks.close()  # what a stopped track does: the container and the file are closed on the way out
    with pytest.raises(StopIteration):
        next(chunks)
