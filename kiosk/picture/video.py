"""Videos from disk to panel-ready frames, safely: the reading half of the FFmpeg (PyAV) seam.

`probe_video` reads what `kiosk check` and the show need to know of a
video (codec, size, frame rate, duration, rotation, audio, private
metadata) and refuses, by its header, a file no box should try to play:
no video stream, more pixels, seconds, frames a second or streams than
`VideoLimits` allows, or no frame at all. `open_video` then gives its
frames one at a time, already upright, fitted to the panel as a picture
would be (kiosk.picture.compose) and packed in the panel's pixel format,
each with its presentation time.

A damaged stream ends the frames with a VideoError at the first frame
that fails: the decoder is asked to stop at the first error it detects
(FFmpeg's `err_detect=explode`) rather than conceal it with grey blocks,
and a stream that ends before the frames its header counts is truncated.
Memory stays bounded by the limits (the decoder itself refuses a frame
over `max_pixels`, whatever a later header in the stream claims) and by
handing out one frame at a time; time by a bound on packets without a
frame and on the wall time one frame may take.

Files are opened through kiosk.boundary.files' safe opener, as pictures
are, and FFmpeg reads them through that Python file object.
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Self

import av
from PIL import Image

from kiosk.core.errors import KioskError, VideoError
from kiosk.core.layout import Layout
from kiosk.core.videofacts import DEFAULT_LIMITS, VideoFacts, VideoLimits
from kiosk.picture.videoheader import (
    check_size, facts_of, failure, open_video_file, read_header, video_seconds, video_stream,
)
from kiosk.picture.videopixels import fitted_picture, panel_pixels

# What makes a decoded frame the panel's pixels: given the frame, its rotation and the layout.
PixelMaker = Callable[[av.VideoFrame, int, Layout], "mmap.mmap | memoryview"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClipFrame:
    """One video frame ready for the screen: panel-sized pixels in the panel's format, and when to show it."""

    index: int  # from 0, in the order given: with the play, the frame's position on the slot's clock
    time: float  # seconds from the video's first frame
    size: tuple[int, int]  # the panel's (width, height)
    data: mmap.mmap | memoryview  # the scaler's own frame's pixels, or a buffer they were packed into
    pixel_format: str  # a Pillow raw mode: RGB, RGBX or BGRX

    @property
    def nbytes(self) -> int:
        return len(self.data)


def probe_video(path: Path, limits: VideoLimits = DEFAULT_LIMITS, root: Path | None = None) -> VideoFacts:
    """The video's facts, read from its header and its first frame.

    Raises VideoError naming the file if a box should not play it,
    UnsafeFile for what is not a regular file inside `root`, and
    PassingError when the reason is not its content (gone, an I/O error).
    """
    with open_video(path, None, limits, root) as video:
        return video.facts


def open_video(
    path: Path,
    layout: Layout | None,
    limits: VideoLimits = DEFAULT_LIMITS,
    root: Path | None = None,
    clock: Callable[[], float] = time.monotonic,
    audio: bool = False,
) -> VideoDecoder:
    """The video opened and probed, ready to give its frames fitted to `layout` (close it after).

    With `audio`, the first audio stream's packets are read too and kept
    for `take_audio()`. Raises as `probe_video` does.
    """
    name, handle = open_video_file(path, root)
    try:
        size = os.fstat(handle.fileno()).st_size
        if size > limits.max_bytes:
            raise VideoError(f"{name}: {size:,} bytes is over the limit of {limits.max_bytes:,} for a video file")
        if size == 0:
            raise VideoError(f"{name}: empty file")
        try:
            # The demuxer stops making streams one past the limit (FFmpeg's own cap is 1,000).
            container = av.open(handle, mode="r", options={"max_streams": str(limits.max_streams + 1)})
        except Exception as exc:  # noqa: BLE001 - FFmpeg may refuse a hostile header in any way
            raise failure(name, "cannot open", exc) from None
        video = VideoDecoder(name, handle, container, layout, limits, clock, audio)
        try:
            video.begin()
        except BaseException:
            container.close()
            raise
        return video
    except BaseException:
        handle.close()
        raise


class VideoDecoder:
    """One open video: its facts, and its frames fitted to the panel, one at a time.

    Made by `open_video`, which calls `begin()`. `frames()` decodes from
    the start once; open the file again to play it again.
    """

    def __init__(self, name: str, handle: BinaryIO, container: av.container.InputContainer,
                 layout: Layout | None, limits: VideoLimits, clock: Callable[[], float],
                 audio: bool = False) -> None:
        self.name = name
        self.layout = layout
        self.limits = limits
        self._clock = clock
        self._handle = handle
        self._container = container
        self._stream: av.video.stream.VideoStream | None = None
        self._started = False
        self._first: av.VideoFrame | None = None
        self._packets: Iterator[av.Packet] | None = None
        self._decoding: Iterator[av.VideoFrame] | None = None
        self._wants_audio = audio
        self._audio_stream: av.audio.stream.AudioStream | None = None
        self._audio: list[av.Packet] = []
        self._facts: VideoFacts | None = None
        self._origin: int | None = None  # the first frame's pts

    @property
    def facts(self) -> VideoFacts:
        if self._facts is None:
            raise RuntimeError("begin() reads the facts first")
        return self._facts

    @property
    def _video(self) -> av.video.stream.VideoStream:
        if self._stream is None:
            raise RuntimeError("begin() finds the video stream first")
        return self._stream

    def begin(self) -> None:
        """Reads the header and decodes the first frame; VideoError if the video must not be played."""
        self._stream = video_stream(self.name, self._container)
        if self._wants_audio:
            self._audio_stream = next(iter(self._container.streams.audio), None)
        self._facts = self._probe(self._stream)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._container.close()
        finally:
            self._handle.close()

    def frames(self, pixels: PixelMaker = panel_pixels, start: float = 0.0, seek: bool = True,
               stopped: Callable[[], bool] = lambda: False) -> Iterator[ClipFrame]:
        """The frames in presentation order, upright and fitted to the layout (by `pixels`); VideoError from
        the first that fails. Frames whose time does not move forward are left out: a clock can only pick
        later ones.

        From `start` seconds on (a box joining its sync group mid-video):
        the file is sought to the keyframe at or before it (with `seek`;
        else decoded from the start), and the frames between are decoded but
        not fitted or given; `stopped()` is asked between them, so a stop
        need not wait for them all.
        """
        if self.layout is None:
            raise ValueError("a video opened without a layout gives facts, not frames")
        if self._started:
            raise RuntimeError("frames() decodes a video once; open it again to play it again")
        self._started = True
        start = start if math.isfinite(start) else 0.0
        sought = start > 0 and seek and self._seek(start)
        half_frame = 0.5 / self.facts.frame_rate
        layout = self.layout
        previous = -math.inf
        count = 0
        given = 0
        for frame in self._decoded():
            count += 1
            moment = self._time(frame, previous)
            if moment <= previous:
                continue
            if moment < start - half_frame:
                previous = moment
                if stopped():
                    return
                continue
            if moment > self.facts.seconds + 1.0:
                raise VideoError(f"{self.name}: frame {count} at {moment:.2f} s runs past the "
                                 f"{self.facts.seconds:.2f} s the header says")
            previous = moment
            started = self._clock()
            data = pixels(frame, self.facts.rotation, layout)
            self._check_time(count, started)
            yield ClipFrame(given, moment, layout.panel_size, data, layout.pixel_format)
            given += 1
        if self.facts.frames is not None and count < self.facts.frames and not sought:
            raise VideoError(f"{self.name}: truncated: it ends after {count} of the {self.facts.frames} "
                             "frames its header counts")

    def _probe(self, stream: av.video.stream.VideoStream) -> VideoFacts:
        header = read_header(self.name, self._container, stream, self.limits)
        context = stream.codec_context
        context.thread_count = self.limits.threads
        # Stop at the first damage the decoder detects, and let it refuse any frame over our
        # limit before allocating it: a later header in the stream may claim a new size.
        context.options = {"err_detect": "explode", "max_pixels": str(self.limits.max_pixels)}
        self._decoding = self._read_packets()
        first = next(self._decoding, None)
        if first is None:
            raise VideoError(f"{self.name}: has no frames")
        self._first = first
        self._origin = first.pts
        return facts_of(self.name, self._container, stream, header, first.rotation)

    def _seek(self, seconds: float) -> bool:
        """Moves the demuxer to the keyframe at or before `seconds` from the first frame; False (decoding
        goes on from the start) where the file cannot be sought."""
        stream = self._video
        if self._origin is None or stream.time_base is None or seconds <= 0:
            return False
        target = self._origin + int(seconds / stream.time_base)
        try:
            self._container.seek(target, stream=stream, backward=True)
            stream.codec_context.flush_buffers()
        except Exception as exc:  # noqa: BLE001 - a file may refuse to seek in any way; it then plays from 0
            log.info("%s: cannot seek to %.1f s (%s): decoding from the start", self.name, seconds, exc)
            return False
        self._first = None
        self._audio = []
        self._decoding = self._read_packets()
        return True

    def _read_packets(self) -> Iterator[av.VideoFrame]:
        """The decoded frames from where the demuxer stands, reading the video's packets and the sound's if
        kept: one generator from there to the last frame (a packet may give several frames at once)."""
        stream = self._video
        wanted = [stream] if self._audio_stream is None else [stream, self._audio_stream]
        self._packets = iter(self._container.demux(*wanted))
        return self._decoded_from_packets()

    @property
    def first_frame(self) -> av.VideoFrame:
        """The first frame, decoded by `begin()` (a poster of the video) until `frames()` takes it."""
        if self._first is None:
            raise RuntimeError("the first frame is decoded by begin() and given once")
        return self._first

    @property
    def audio_stream(self) -> av.audio.stream.AudioStream | None:
        """The sound read along with the video, if opened with `audio` and there is any."""
        return self._audio_stream

    def raw_frames(self) -> Iterator[av.VideoFrame]:
        """The decoded frames as FFmpeg gives them, checked, for the encoder; as once as `frames()`."""
        if self._started:
            raise RuntimeError("a video decodes once; open it again to decode it again")
        self._started = True
        return self._decoded()

    def _decoded(self) -> Iterator[av.VideoFrame]:
        if self._first is not None:
            first, self._first = self._first, None
            yield first
        assert self._decoding is not None
        yield from self._decoding

    def _decoded_from_packets(self) -> Iterator[av.VideoFrame]:
        """Decoded frames, checked; every FFmpeg failure a VideoError saying after how many frames.

        When a packet fails, the frames the decoder already holds (it keeps a
        few back to reorder them, and one per thread) are still given first:
        the video plays up to the damage, not up to a few frames before it.
        """
        assert self._packets is not None
        swallowed = 0
        produced = 0
        packets = self._packets
        broken: KioskError | None = None
        while broken is None:
            started = self._clock()
            try:
                packet = next(packets, None)
                while packet is not None and packet.stream.index != self._video.index:
                    self._keep_audio(packet)
                    packet = next(packets, None)
                # At the end the demuxer gives an empty packet, which makes the decoder give what it held.
                decoded = self._video.decode(packet) if packet is not None else []
            except Exception as exc:  # noqa: BLE001 - a damaged stream may fail in any way
                broken = failure(self.name, f"after frame {produced}", exc)
                packet, decoded = None, self._drained()
            for frame in decoded:
                swallowed = 0
                produced += 1
                self._check_time(produced, started)
                if frame.is_corrupt:
                    raise VideoError(f"{self.name}: frame {produced} is damaged")
                check_size(self.name, frame.width, frame.height, self.limits, f"frame {produced} is ")
                yield frame
                started = self._clock()
            if packet is None and broken is None:
                return
            if not decoded and broken is None:
                swallowed += 1
                if swallowed > self.limits.max_packets_per_frame:
                    raise VideoError(f"{self.name}: {swallowed} packets after frame {produced} gave no frame")
        raise broken

    def _keep_audio(self, packet: av.Packet) -> None:
        if len(self._audio) >= self.limits.max_packets_per_frame:
            raise VideoError(f"{self.name}: {len(self._audio)} sound packets without a frame of video")
        self._audio.append(packet)

    def take_audio(self) -> list[av.Packet]:
        """The sound packets read since the last call (opened with `audio`), in file order."""
        taken, self._audio = self._audio, []
        return taken

    def _drained(self) -> list[av.VideoFrame]:
        """What the decoder still holds, after a failure; none if it fails again."""
        try:
            return list(self._video.decode(None))
        except Exception:  # noqa: BLE001 - the first failure is the one reported
            return []

    def _time(self, frame: av.VideoFrame, previous: float) -> float:
        """Seconds from the first frame given: whatever the stream's start time claims, the first
        frame is at 0 and none before it."""
        if frame.pts is None or frame.time_base is None:
            return previous + 1 / self.facts.frame_rate if math.isfinite(previous) else 0.0
        if self._origin is None:
            self._origin = frame.pts
        moment = float((frame.pts - self._origin) * frame.time_base)
        return moment if math.isfinite(moment) else previous

    def _check_time(self, count: int, started: float) -> None:
        spent = self._clock() - started
        if spent > self.limits.max_frame_seconds:
            raise VideoError(f"{self.name}: frame {count} took {spent:.1f} s to decode, over the limit of "
                             f"{self.limits.max_frame_seconds:g} s")


def video_poster(path: Path, layout: Layout, limits: VideoLimits = DEFAULT_LIMITS,
                 root: Path | None = None) -> Image.Image:
    """The video's first frame, upright and fitted to the layout exactly as playing it fits it: what
    stands on screen while the slide fades in, and what check, snapshots and screen.jpg show of it."""
    with open_video(path, None, limits, root) as video:
        return fitted_picture(video.first_frame, video.facts.rotation, layout)


__all__ = ["ClipFrame", "VideoDecoder", "failure", "open_video", "probe_video", "video_poster", "video_seconds"]
