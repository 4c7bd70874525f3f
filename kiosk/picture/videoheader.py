"""What a video's header says, checked against the limits: the part of the FFmpeg seam that reads
facts, not pixels (kiosk.picture.video decodes; this module judges what the demuxer found).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import av

from kiosk.core.errors import VideoError
from kiosk.core.videofacts import (
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
