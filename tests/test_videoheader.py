"""What a video's header says, and what a box refuses by it: real files made with PyAV, hostile ones too."""

from __future__ import annotations

import pytest

from kiosk.core.errors import (
    VideoError,
)
from kiosk.core.videofacts import (
    VideoLimits,
)
from kiosk.picture.video import probe_video
from tests.clips import (
    make_audio_only,
    make_claiming_duration,
    make_claiming_size,
    make_clip,
    make_many_streams,
    make_naming_streams,
)


def test_probe_says_audio_streams_and_the_container(tmp_path):
    facts = probe_video(make_clip(tmp_path / "sound.mp4", audio=True))
    assert facts.audio == "aac"
    assert facts.streams == 2
    assert facts.container.startswith("mov,mp4")
    assert facts.frames == 25
    assert facts.as_dict()["audio"] == "aac"


def test_phone_location_and_camera_tags_are_reported_as_private(tmp_path):
    path = make_clip(tmp_path / "phone.mov", metadata={
        "com.apple.quicktime.location.ISO6709": "+37.5665+126.9780+020.000/",
        "com.apple.quicktime.model": "iPhone 15", "com.apple.quicktime.make": "Apple",
        "creation_time": "2026-12-01T10:00:00Z",
    }, container_options={"movflags": "use_metadata_tags"})
    assert probe_video(path).private_metadata == ("camera maker", "camera model", "recording place", "recording time")
    android = make_clip(tmp_path / "android.mp4", metadata={"location": "+37.5665+126.9780/"})
    assert "recording place" in probe_video(android).private_metadata
    assert probe_video(make_clip(tmp_path / "plain.mp4")).private_metadata == ()


def test_audio_only_is_refused_by_name(tmp_path):
    with pytest.raises(VideoError, match="memo.mp4: audio only"):
        probe_video(make_audio_only(tmp_path / "memo.mp4"))


def test_a_file_without_streams_is_refused(tmp_path):
    path = tmp_path / "nothing.mkv"
    path.write_bytes(b"\x1a\x45\xdf\xa3" + b"\x00" * 60)
    with pytest.raises(VideoError, match="nothing.mkv"):
        probe_video(path)


def test_a_header_claiming_too_many_pixels_is_refused_unread(tmp_path):
    with pytest.raises(VideoError, match=r"huge.mkv: 10000x10000, over the limit"):
        probe_video(make_claiming_size(tmp_path / "huge.mkv", 10_000))
    with pytest.raises(VideoError, match="absurd.mkv"):  # FFmpeg itself refuses 65,535 x 65,535
        probe_video(make_claiming_size(tmp_path / "absurd.mkv", 65_535))
    with pytest.raises(VideoError, match="over the limit"):
        probe_video(make_claiming_size(tmp_path / "big.mkv", 4096), VideoLimits(max_pixels=10_000_000))


def test_a_header_claiming_ten_hours_is_refused(tmp_path):
    with pytest.raises(VideoError, match=r"long.mp4: 36,000 s long, over the limit of 3,600 s"):
        probe_video(make_claiming_duration(tmp_path / "long.mp4", 36_000))


def test_a_thousand_frames_a_second_is_refused(tmp_path):
    path = make_clip(tmp_path / "fast.mp4", rate=1000, frames=5)
    with pytest.raises(VideoError, match="fast.mp4: 1000 frames a second, over the limit of 240"):
        probe_video(path)


def test_too_many_streams_are_refused(tmp_path):
    with pytest.raises(VideoError, match="many.mkv: more than 8 streams"):
        probe_video(make_many_streams(tmp_path / "many.mkv", 20))


def test_a_container_naming_a_thousand_streams_is_refused(tmp_path):
    path = make_naming_streams(tmp_path / "thousand.mkv", 1000)
    with pytest.raises(VideoError, match="thousand.mkv: more than 8 streams"):
        probe_video(path)
    assert probe_video(make_naming_streams(tmp_path / "few.mkv", 3)).streams == 4
