"""What `kiosk publish` sends instead of a phone's video: H.264 every box plays in software, upright, no metadata.

A phone's clip may be HEVC at 4K and 60 frames a second, stored on its
side with a rotation tag, with the recording place in its metadata. The
boxes show 2 megapixels of it at most 30 frames a second, and decode it
in software. So the publishing machine encodes each video once more:
H.264 (High profile, yuv420p) at the smallest size that still covers every
panel of the fleet (as picture renditions do, kiosk.picture.rendition),
never above the source's own size, at most 30 frames a second, with a
keyframe at least every 2 seconds (a box joining a slot late, or looping,
never waits long for a picture to start from) and its index at the front
of the file (faststart). The rotation is turned into the pixels, so a
portrait clip stands upright on any player, and nothing but pixels and,
when the video's sidecar asks for it, sound (AAC) is written.

The same source and settings give the same bytes on any machine: the
encoder runs on a fixed number of threads, the scaler bit-exact, and no
version string is written.
"""

from __future__ import annotations

import hashlib
import math
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from kiosk.core.catalogue import picture_stem
from kiosk.core.videofacts import X264_PRESETS, Transcode, VideoFacts, VideoLimits
from kiosk.picture.rendition import target_size
from kiosk.picture.videoencode import transcode

VIDEO_RENDITION_VERSION = 1  # bumped when the recipe changes: every video rendition is made anew
MAX_RATE = 30
KEYFRAME_SECONDS = 2.0
CRF = 20  # visually lossless for phone clips on a plaza panel, at a third of their bitrate
MAX_SIDE = 4096  # H.264 level 5.1 decodes 4096 x 2304 at 30 fps at most


@dataclass(frozen=True)
class VideoRenditionSettings:
    """The panels a video rendition must cover, its encoding, and whether it keeps the sound."""

    panels: tuple[tuple[int, int], ...] = ((1920, 1080),)
    max_rate: int = MAX_RATE
    keyframe_seconds: float = KEYFRAME_SECONDS
    crf: int = CRF
    preset: str = "medium"
    audio: bool = False  # from the video's sidecar, `audio: true`
    audio_bitrate: int = 128_000
    threads: int = 2
    limits: VideoLimits = field(default_factory=VideoLimits)

    def __post_init__(self) -> None:
        if not self.panels or any(not (isinstance(w, int) and isinstance(h, int) and 1 <= w <= MAX_SIDE
                                       and 1 <= h <= MAX_SIDE) for w, h in self.panels):
            raise ValueError(f"panels must be (width, height) pairs from 1 to {MAX_SIDE}, not {self.panels!r}")
        if not isinstance(self.max_rate, int) or not 1 <= self.max_rate <= 60:
            raise ValueError(f"max_rate must be a whole number from 1 to 60, not {self.max_rate!r}")
        if not (isinstance(self.keyframe_seconds, (int, float)) and math.isfinite(self.keyframe_seconds)
                and 0.1 <= self.keyframe_seconds <= 10):
            raise ValueError(f"keyframe_seconds must be from 0.1 to 10, not {self.keyframe_seconds!r}")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")
        if not isinstance(self.audio, bool):
            raise TypeError(f"audio must be true or false, not {self.audio!r}")

    def key(self) -> str:
        """Changes whenever a rendition made with these settings would differ."""
        text = (f"video-v{VIDEO_RENDITION_VERSION};crf{self.crf};{self.preset};r{self.max_rate};"
                f"k{self.keyframe_seconds:g};t{self.threads};"
                + (f"aac{self.audio_bitrate};" if self.audio else "mute;")
                + ";".join(f"{w}x{h}" for w, h in sorted(set(self.panels))))
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


def video_rendition_name(path: str) -> str:
    """The rendition's path: the same stem, so sidecars still match, and `.mp4`."""
    return picture_stem(path) + ".mp4"


def rendition_size(upright: tuple[int, int], panels: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """The smallest even size at which the upright video still covers every panel, never above its own
    size (rounded up to even) nor MAX_SIDE."""
    width, height = target_size(upright, panels)
    if max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
        width, height = max(1, math.floor(width * scale)), max(1, math.floor(height * scale))
    return min(MAX_SIDE, width + width % 2), min(MAX_SIDE, height + height % 2)


def rendition_rate(frame_rate: float, max_rate: int) -> Fraction:
    """The rendition's frames a second: the source's (as the fraction it is, 30000/1001) up to `max_rate`."""
    if not math.isfinite(frame_rate) or frame_rate <= 0:
        return Fraction(max_rate)
    rate = Fraction(frame_rate).limit_denominator(1001)
    return min(rate, Fraction(max_rate))


def recipe(facts: VideoFacts, settings: VideoRenditionSettings) -> Transcode:
    """How to encode the video with these facts."""
    rate = rendition_rate(facts.frame_rate, settings.max_rate)
    return Transcode(
        size=rendition_size(facts.upright_size, settings.panels),
        rate=rate,
        keyframe_interval=max(1, math.floor(rate * Fraction(settings.keyframe_seconds).limit_denominator(1000))),
        crf=settings.crf,
        preset=settings.preset,
        audio=settings.audio and facts.audio is not None,
        audio_bitrate=settings.audio_bitrate,
        threads=settings.threads,
    )


def make_video_rendition(source: Path, destination: Path, settings: VideoRenditionSettings,
                         root: Path | None = None) -> tuple[VideoFacts, Transcode]:
    """Writes the rendition of `source` to `destination`, whole or not at all; returns the source's facts
    and the recipe used.

    Raises ContentError (VideoError) if the source must not be played,
    PassingError if it could not be read this time.
    """
    partial = destination.with_name(f".{destination.name}.{os.getpid()}.part")
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        made = transcode(source, partial, lambda facts: recipe(facts, settings), settings.limits, root)
        os.replace(partial, destination)
        return made
    finally:
        if partial.exists():
            partial.unlink()
