"""What a video's header says, checked against the limits: the part of the FFmpeg seam that reads
facts, not pixels (kiosk.picture.video decodes; this module judges what the demuxer found).
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import av

from kiosk.boundary.files import open_regular_file
from kiosk.core.errors import KioskError, PassingError, UnsafeFile, VideoError
from kiosk.core.videofacts import (
    DEFAULT_LIMITS,
    VideoFacts,
    VideoLimits,
    clockwise_rotation,
    private_metadata,
)


@dataclass(frozen=True)
class Header:
    """What the header claims, within the limits; `seconds` None if nothing states it."""

    size: tuple[int, int]
    frame_rate: float
    seconds: float | None
    streams: int


def read_header(name: str, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                limits: VideoLimits) -> Header:
    """The header's claims; VideoError naming the file for one over the limits, or none a box can use."""
    streams = len(container.streams)
    if streams > limits.max_streams:
        raise VideoError(f"{name}: more than {limits.max_streams} streams")
    context = stream.codec_context
    if context is None:  # FFmpeg has no decoder for what the header names
        raise VideoError(f"{name}: its video is in a codec FFmpeg cannot decode")
    width, height = context.width, context.height
    check_size(name, width, height, limits)
    rate = stream.average_rate or stream.guessed_rate
    frame_rate = float(rate) if rate else 0.0
    if not math.isfinite(frame_rate) or frame_rate > limits.max_fps:
        raise VideoError(f"{name}: {frame_rate:g} frames a second, over the limit of {limits.max_fps:g}")
    if not frame_rate:
        raise VideoError(f"{name}: the header does not say its frame rate")
    seconds = _header_seconds(name, container, stream)
    if seconds is None:  # a live recording (a browser's WebM) says it nowhere: its packets do
        seconds = _scanned_seconds(name, container, stream, limits)
    if seconds is None and stream.frames:
        seconds = stream.frames / frame_rate
    if seconds is not None and seconds > limits.max_seconds:
        raise VideoError(f"{name}: {seconds:,.0f} s long, over the limit of {limits.max_seconds:,.0f} s")
    return Header((width, height), frame_rate, seconds, streams)


def facts_of(name: str, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
             header: Header, first_rotation: float) -> VideoFacts:
    """The video's facts, from its header and the rotation its first frame carries."""
    if header.seconds is None or header.seconds <= 0:
        raise VideoError(f"{name}: the header does not say how long it is")
    rotation = clockwise_rotation(first_rotation)
    if rotation == 0:
        rotation = _rotate_tag(stream.metadata.get("rotate"))
    audio = next((each for each in container.streams.audio), None)
    tags = dict(container.metadata)
    for each in container.streams:
        tags.update({f"{each.index}:{key}": value for key, value in each.metadata.items()})
    return VideoFacts(
        container=container.format.name,
        codec=_codec_name(stream),
        size=header.size,
        rotation=rotation,
        frame_rate=header.frame_rate,
        seconds=header.seconds,
        frames=stream.frames or None,
        audio=_codec_name(audio) if audio is not None else None,
        streams=header.streams,
        private_metadata=private_metadata(tags),
    )


def _scanned_seconds(name: str, container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                     limits: VideoLimits) -> float | None:
    """How long the video lasts by its packets' times, read without decoding, then back to the start.

    Read no further than a video of `max_seconds` at `max_fps` could hold.
    """
    start = stream.start_time or 0
    end = None
    most = math.ceil(limits.max_seconds * limits.max_fps) + 1
    try:
        for count, packet in enumerate(container.demux(stream), start=1):
            if packet.pts is not None and packet.time_base is not None:
                moment = float((packet.pts - start + (packet.duration or 0)) * packet.time_base)
                end = moment if end is None or moment > end else end
            if count > most or (end is not None and end > limits.max_seconds):
                break
        container.seek(0, stream=stream)
    except Exception as exc:  # noqa: BLE001 - a damaged stream may fail in any way
        raise VideoError(f"{name}: reading how long it is: {str(exc)[:200] or type(exc).__name__}") from None
    return end if end is not None and math.isfinite(end) and end > 0 else None

def _header_seconds(name: str, container: av.container.InputContainer,
                    stream: av.video.stream.VideoStream) -> float | None:
    """The duration the stream's or the container's header states; None if neither does."""
    candidates = []
    if stream.duration is not None and stream.time_base:
        candidates.append(float(stream.duration * stream.time_base))
    if container.duration is not None:
        candidates.append(container.duration / av.time_base)
    for seconds in candidates:
        if not math.isfinite(seconds) or seconds < 0:
            raise VideoError(f"{name}: its header claims a duration of {seconds!r} s")
    known = [seconds for seconds in candidates if seconds > 0]
    return max(known) if known else None


def check_size(name: str, width: int, height: int, limits: VideoLimits, what: str = "") -> None:
    if width <= 0 or height <= 0:
        raise VideoError(f"{name}: {what}without a picture size ({width}x{height})")
    if max(width, height) > limits.max_side or width * height > limits.max_pixels:
        raise VideoError(f"{name}: {what}{width}x{height}, over the limit of {limits.max_side} pixels a side "
                         f"and {limits.max_pixels:,} pixels")


def _codec_name(stream: av.stream.Stream) -> str:
    """The codec's own name ("av1"), not the decoder's ("libdav1d")."""
    if stream.codec_context is None:
        return "unknown"
    codec = stream.codec_context.codec
    return getattr(codec, "canonical_name", None) or codec.name


def _rotate_tag(value: object) -> int:
    """The old `rotate` metadata tag (degrees clockwise), for files whose rotation FFmpeg left there."""
    try:
        degrees = float(str(value))
    except ValueError:
        return 0
    return clockwise_rotation(-degrees)


def open_video_file(path: Path, root: Path | None) -> tuple[str, BinaryIO]:
    """The file's name as messages give it, and the file opened by the safe opener; UnsafeFile, or
    PassingError when the reason is not its content (gone, an I/O error), naming it."""
    name = file_name(path, root)
    try:
        return name, open_regular_file(path, root)
    except UnsafeFile as exc:
        raise UnsafeFile(f"{name}: {exc}") from None
    except FileNotFoundError:
        raise PassingError(f"{name}: the file is gone") from None
    except OSError as exc:
        raise PassingError(f"{name}: cannot open: {exc.strerror or exc}") from None


@contextmanager
def opened_container(path: Path, limits: VideoLimits = DEFAULT_LIMITS, root: Path | None = None
                     ) -> Iterator[tuple[str, av.container.InputContainer]]:
    """The video's name and FFmpeg's container for it, opened safely within the limits of size and
    streams, and closed after. Raises as `open_video_file` does, and VideoError naming the file."""
    name, handle = open_video_file(path, root)
    with handle:
        if os.fstat(handle.fileno()).st_size > limits.max_bytes:
            raise VideoError(f"{name}: over the limit of {limits.max_bytes:,} bytes for a video file")
        try:
            # The demuxer stops making streams one past the limit (FFmpeg's own cap is 1,000).
            container = av.open(handle, mode="r", options={"max_streams": str(limits.max_streams + 1)})
        except Exception as exc:  # noqa: BLE001 - FFmpeg may refuse a hostile header in any way
            raise failure(name, "cannot open", exc) from None
        with container:
            yield name, container


def video_seconds(path: Path, limits: VideoLimits = DEFAULT_LIMITS, root: Path | None = None) -> float:
    """How long one play of the video lasts, by its header alone (nothing decoded): what the folder
    scanner lists for the rotation. Raises as `probe_video` does."""
    with opened_container(path, limits, root) as (name, container):
        header = read_header(name, container, video_stream(name, container), limits)
    if header.seconds is None or not 0 < header.seconds <= limits.max_seconds:
        raise VideoError(f"{name}: the header does not say how long it is")
    return header.seconds


def video_stream(name: str, container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first video stream that is not a cover picture; VideoError if there is none."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    if container.streams.audio:
        raise VideoError(f"{name}: audio only, no video stream")
    raise VideoError(f"{name}: no video stream")


def file_name(path: Path, root: Path | None) -> str:
    """The file as messages name it: relative to the slide folder when there is one."""
    if root is not None:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            pass
    return Path(path).name


def failure(name: str, what: str, exc: BaseException) -> KioskError:
    """A VideoError naming the file, unless the system is the reason (an I/O error, no memory).

    Every error FFmpeg reports counts as the file's: a hostile header asks
    for the allocation that fails ("out of memory"), and demuxers say
    "Input/output error" of data that is not what they expect. Errors from
    reading the file itself come through PyAV as Python's own OSError.
    """
    if isinstance(exc, KioskError):
        return exc
    if isinstance(exc, av.FFmpegError):
        pass
    elif isinstance(exc, MemoryError):
        return PassingError(f"{name}: {what}: out of memory")
    elif isinstance(exc, OSError):
        return PassingError(f"{name}: {what}: {exc.strerror or exc}")
    message = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return VideoError(f"{name}: {what}: {str(message)[:200]}")
