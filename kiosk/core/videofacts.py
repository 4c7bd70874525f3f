"""What a video is and what may be done with it, as plain data: limits, facts, the encoding recipe.

Pure, so that `kiosk check`, `kiosk plan` and the show can hold a video's
facts without loading FFmpeg; kiosk.picture.video reads them from files
and kiosk.picture.videoencode writes renditions by a `Transcode`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv")
# The most streams `VideoLimits.max_streams` may allow; real videos have a handful.
DEMUXER_MAX_STREAMS = 64
# Metadata keys (lower case, matched as parts of the key) that say where, when, on what and by
# whom a video was recorded; phones write them (QuickTime's com.apple.quicktime.*, Android's location).
PRIVATE_KEYS = (
    ("location", "recording place"), ("iso6709", "recording place"), ("gps", "recording place"),
    ("xyz", "recording place"), ("make", "camera maker"), ("model", "camera model"),
    ("serial", "serial number"), ("creation_time", "recording time"), ("date", "recording time"),
    ("author", "author"), ("artist", "author"), ("copyright", "author"),
)


def positive_int(name: str, value: object, top: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
        raise ValueError(f"{name} must be a whole number from 1 to {top:,}, not {value!r}")


def positive_float(name: str, value: object, top: float) -> None:
    if (not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value)
            or not 0 < value <= top):
        raise ValueError(f"{name} must be a number above 0 and at most {top:g}, not {value!r}")


@dataclass(frozen=True)
class VideoLimits:
    """What a video's header may claim before it is refused unread, and what decoding it may cost."""

    max_side: int = 8192  # pixels, either side
    max_pixels: int = 40_000_000  # width x height (8K UHD is 35 Mpx)
    max_seconds: float = 3600.0
    max_fps: float = 240.0  # phones' slow motion
    max_streams: int = 8  # video, audio, a timecode and metadata tracks
    max_bytes: int = 4 * 1024**3
    max_packets_per_frame: int = 300  # packets the decoder may swallow without giving a frame
    max_frame_seconds: float = 10.0  # wall time one frame may take to decode and fit
    threads: int = 2  # decoder threads: each holds frames of its own

    def __post_init__(self) -> None:
        positive_int("max_side", self.max_side, 65_535)
        positive_int("max_pixels", self.max_pixels, 2**31 - 1)
        positive_float("max_seconds", self.max_seconds, 24 * 3600.0)
        positive_float("max_fps", self.max_fps, 1000.0)
        positive_int("max_streams", self.max_streams, DEMUXER_MAX_STREAMS)
        positive_int("max_bytes", self.max_bytes, 2**40)
        positive_int("max_packets_per_frame", self.max_packets_per_frame, 100_000)
        positive_float("max_frame_seconds", self.max_frame_seconds, 3600.0)
        positive_int("threads", self.threads, 16)


DEFAULT_LIMITS = VideoLimits()


@dataclass(frozen=True)
class VideoFacts:
    """What a video's header and first frame say about it."""

    container: str  # FFmpeg's demuxer name: "mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"
    codec: str  # "h264", "hevc", "vp9", "av1"
    size: tuple[int, int]  # as stored, before rotation
    rotation: int  # degrees clockwise that stand the stored frames upright: 0, 90, 180 or 270
    frame_rate: float  # average frames a second
    seconds: float
    frames: int | None  # as the header counts them; None if it does not say
    audio: str | None  # the first audio stream's codec, None without sound
    streams: int
    private_metadata: tuple[str, ...]  # what the tags reveal: "recording place", "camera model"

    @property
    def upright_size(self) -> tuple[int, int]:
        width, height = self.size
        return (height, width) if self.rotation in (90, 270) else (width, height)

    def as_dict(self) -> dict[str, object]:
        """Plain data for `kiosk check --json`."""
        return {"container": self.container, "codec": self.codec, "size": list(self.size),
                "rotation": self.rotation, "frame_rate": round(self.frame_rate, 3),
                "seconds": round(self.seconds, 3), "frames": self.frames, "audio": self.audio,
                "streams": self.streams, "private_metadata": list(self.private_metadata)}


def is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_SUFFIXES)


def private_metadata(tags: dict[str, str]) -> tuple[str, ...]:
    """What a video's metadata tags reveal about where, when, on what and by whom it was recorded."""
    found: set[str] = set()
    for key, value in tags.items():
        if not str(value).strip():
            continue
        lowered = str(key).lower()
        found.update(name for part, name in PRIVATE_KEYS if part in lowered)
    return tuple(sorted(found))


def clockwise_rotation(counter_clockwise: float) -> int:
    """A display matrix's rotation (degrees counter-clockwise, as FFmpeg gives it) as the quarter turn
    clockwise that stands the frame upright."""
    if not math.isfinite(counter_clockwise):
        return 0
    return (round(-counter_clockwise / 90) * 90) % 360


def fitted_size(size: tuple[int, int], screen: tuple[int, int], fit: str) -> tuple[int, int]:
    """The size to scale an upright frame to before `fit_picture` crops (cover) or frames it (contain, blur)."""
    width, height = size
    screen_w, screen_h = screen
    if fit == "cover":
        scale = max(screen_w / width, screen_h / height)
        return max(1, math.ceil(width * scale - 1e-9)), max(1, math.ceil(height * scale - 1e-9))
    scale = min(screen_w / width, screen_h / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class Transcode:
    """How to encode a video anew: H.264 yuv420p in MP4 with its index first, nothing but pixels (and sound)."""

    size: tuple[int, int]  # upright, both even
    rate: Fraction  # frames a second out: the source's, or fewer
    keyframe_interval: int  # frames
    crf: int = 20
    preset: str = "medium"
    audio: bool = False  # AAC, if the source has sound
    audio_bitrate: int = 128_000
    threads: int = 2  # fixed, so that the same source gives the same bytes on any machine

    def __post_init__(self) -> None:
        width, height = self.size
        for side in (width, height):
            if not isinstance(side, int) or side < 2 or side % 2 or side > 8192:
                raise ValueError(f"size must be two even numbers from 2 to 8192, not {self.size!r}")
        if not 0 < self.rate <= 240:
            raise ValueError(f"rate must be above 0 and at most 240, not {self.rate!r}")
        positive_int("keyframe_interval", self.keyframe_interval, 10_000)
        if not isinstance(self.crf, int) or not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be from 0 to 51, not {self.crf!r}")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")
        positive_int("audio_bitrate", self.audio_bitrate, 512_000)
        positive_int("threads", self.threads, 16)


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
