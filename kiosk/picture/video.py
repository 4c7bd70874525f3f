"""Videos from disk to panel-ready frames, safely: the one module that talks to FFmpeg (PyAV).

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

import math
import mmap
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import BinaryIO, Self

import av
from PIL import Image

from kiosk.boundary.files import open_regular_file
from kiosk.core.errors import KioskError, PassingError, UnsafeFile, VideoError
from kiosk.core.layout import Layout
from kiosk.picture.compose import fit_picture, to_panel
from kiosk.picture.pixels import frame_buffer

VIDEO_SUFFIXES = (".mp4", ".mov", ".m4v", ".webm", ".mkv")
# The most streams `VideoLimits.max_streams` may allow; real videos have a handful.
DEMUXER_MAX_STREAMS = 64
# Quarter turns clockwise that stand a stored frame upright, as Pillow transposes.
_UPRIGHT = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}
# Metadata keys (lower case, matched as parts of the key) that say where, when, on what and by
# whom a video was recorded; phones write them (QuickTime's com.apple.quicktime.*, Android's location).
PRIVATE_KEYS = (
    ("location", "recording place"), ("iso6709", "recording place"), ("gps", "recording place"),
    ("xyz", "recording place"), ("make", "camera maker"), ("model", "camera model"),
    ("serial", "serial number"), ("creation_time", "recording time"), ("date", "recording time"),
    ("author", "author"), ("artist", "author"), ("copyright", "author"),
)


def _positive_int(name: str, value: object, top: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= top:
        raise ValueError(f"{name} must be a whole number from 1 to {top:,}, not {value!r}")


def _positive_float(name: str, value: object, top: float) -> None:
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
        _positive_int("max_side", self.max_side, 65_535)
        _positive_int("max_pixels", self.max_pixels, 2**31 - 1)
        _positive_float("max_seconds", self.max_seconds, 24 * 3600.0)
        _positive_float("max_fps", self.max_fps, 1000.0)
        _positive_int("max_streams", self.max_streams, DEMUXER_MAX_STREAMS)
        _positive_int("max_bytes", self.max_bytes, 2**40)
        _positive_int("max_packets_per_frame", self.max_packets_per_frame, 100_000)
        _positive_float("max_frame_seconds", self.max_frame_seconds, 3600.0)
        _positive_int("threads", self.threads, 16)


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

    def as_dict(self) -> dict:
        """Plain data for `kiosk check --json`."""
        return {"container": self.container, "codec": self.codec, "size": list(self.size),
                "rotation": self.rotation, "frame_rate": round(self.frame_rate, 3),
                "seconds": round(self.seconds, 3), "frames": self.frames, "audio": self.audio,
                "streams": self.streams, "private_metadata": list(self.private_metadata)}


@dataclass(frozen=True)
class ClipFrame:
    """One video frame ready for the screen: panel-sized pixels in the panel's format, and when to show it."""

    index: int  # from 0, in the order given: with the play, the frame's position on the slot's clock
    time: float  # seconds from the video's first frame
    size: tuple[int, int]  # the panel's (width, height)
    data: mmap.mmap
    pixel_format: str  # a Pillow raw mode: RGB, RGBX or BGRX

    @property
    def nbytes(self) -> int:
        return len(self.data)


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
    name = _name(path, root)
    try:
        handle = open_regular_file(path, root)
    except UnsafeFile as exc:
        raise UnsafeFile(f"{name}: {exc}") from None
    except FileNotFoundError:
        raise PassingError(f"{name}: the file is gone") from None
    except OSError as exc:
        raise PassingError(f"{name}: cannot open: {exc.strerror or exc}") from None
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
            raise _failure(name, "cannot open", exc) from None
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
        self._stream = _video_stream(self.name, self._container)
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

    def frames(self) -> Iterator[ClipFrame]:
        """The frames in presentation order, upright and fitted to the layout; VideoError from the first
        that fails. Frames whose time does not move forward are left out: a clock can only pick later ones."""
        if self.layout is None:
            raise ValueError("a video opened without a layout gives facts, not frames")
        if self._started:
            raise RuntimeError("frames() decodes a video once; open it again to play it again")
        self._started = True
        layout = self.layout
        previous = -math.inf
        count = 0
        given = 0
        for frame in self._decoded():
            count += 1
            moment = self._time(frame, previous)
            if moment <= previous:
                continue
            if moment > self.facts.seconds + 1.0:
                raise VideoError(f"{self.name}: frame {count} at {moment:.2f} s runs past the "
                                 f"{self.facts.seconds:.2f} s the header says")
            previous = moment
            started = self._clock()
            data = panel_pixels(frame, self.facts.rotation, layout)
            self._check_time(count, started)
            yield ClipFrame(given, moment, layout.panel_size, data, layout.pixel_format)
            given += 1
        if self.facts.frames is not None and count < self.facts.frames:
            raise VideoError(f"{self.name}: truncated: it ends after {count} of the {self.facts.frames} "
                             "frames its header counts")

    def _probe(self, stream: av.video.stream.VideoStream) -> VideoFacts:
        container, limits, name = self._container, self.limits, self.name
        streams = len(container.streams)
        if streams > limits.max_streams:
            raise VideoError(f"{name}: more than {limits.max_streams} streams")
        context = stream.codec_context
        if context is None:  # FFmpeg has no decoder for what the header names
            raise VideoError(f"{name}: its video is in a codec FFmpeg cannot decode")
        width, height = context.width, context.height
        _check_size(name, width, height, limits)
        rate = stream.average_rate or stream.guessed_rate
        frame_rate = float(rate) if rate else 0.0
        if not math.isfinite(frame_rate) or frame_rate > limits.max_fps:
            raise VideoError(f"{name}: {frame_rate:g} frames a second, over the limit of {limits.max_fps:g}")
        seconds = self._header_seconds()
        if seconds is None:  # a live recording (a browser's WebM) says it nowhere: its packets do
            seconds = self._scanned_seconds(stream)
        if seconds is not None and seconds > limits.max_seconds:
            raise VideoError(f"{name}: {seconds:,.0f} s long, over the limit of {limits.max_seconds:,.0f} s")
        context.thread_count = limits.threads
        # Stop at the first damage the decoder detects, and let it refuse any frame over our
        # limit before allocating it: a later header in the stream may claim a new size.
        context.options = {"err_detect": "explode", "max_pixels": str(limits.max_pixels)}
        wanted = [stream] if self._audio_stream is None else [stream, self._audio_stream]
        self._packets = iter(container.demux(*wanted))
        # One generator from the first frame to the last: a packet may give several frames at once.
        self._decoding = self._decoded_from_packets()
        first = next(self._decoding, None)
        if first is None:
            raise VideoError(f"{name}: has no frames")
        self._first = first
        if seconds is None:
            seconds = float(stream.frames) / frame_rate if stream.frames and frame_rate else None
        if seconds is None or seconds <= 0:
            raise VideoError(f"{name}: the header does not say how long it is")
        if not frame_rate:
            raise VideoError(f"{name}: the header does not say its frame rate")
        rotation = clockwise_rotation(first.rotation)
        if rotation == 0:
            rotation = _rotate_tag(stream.metadata.get("rotate"))
        audio = next((s for s in container.streams.audio), None)
        tags = dict(container.metadata)
        for each in container.streams:
            tags.update({f"{each.index}:{key}": value for key, value in each.metadata.items()})
        return VideoFacts(
            container=container.format.name,
            codec=_codec_name(stream),
            size=(width, height),
            rotation=rotation,
            frame_rate=frame_rate,
            seconds=seconds,
            frames=stream.frames or None,
            audio=_codec_name(audio) if audio is not None else None,
            streams=streams,
            private_metadata=private_metadata(tags),
        )

    def _scanned_seconds(self, stream: av.video.stream.VideoStream) -> float | None:
        """How long the video lasts by its packets' times, read without decoding, then back to the start.

        Read no further than a video of `max_seconds` at `max_fps` could hold.
        """
        start = stream.start_time or 0
        end = None
        most = math.ceil(self.limits.max_seconds * self.limits.max_fps) + 1
        try:
            for count, packet in enumerate(self._container.demux(stream), start=1):
                if packet.pts is not None and packet.time_base is not None:
                    moment = float((packet.pts - start + (packet.duration or 0)) * packet.time_base)
                    end = moment if end is None or moment > end else end
                if count > most or (end is not None and end > self.limits.max_seconds):
                    break
            self._container.seek(0, stream=stream)
        except Exception as exc:  # noqa: BLE001 - a damaged stream may fail in any way
            raise _failure(self.name, "reading how long it is", exc) from None
        return end if end is not None and math.isfinite(end) and end > 0 else None

    def _header_seconds(self) -> float | None:
        stream = self._video
        candidates = []
        if stream.duration is not None and stream.time_base:
            candidates.append(float(stream.duration * stream.time_base))
        if self._container.duration is not None:
            candidates.append(self._container.duration / av.time_base)
        for seconds in candidates:
            if not math.isfinite(seconds) or seconds < 0:
                raise VideoError(f"{self.name}: its header claims a duration of {seconds!r} s")
        known = [seconds for seconds in candidates if seconds > 0]
        return max(known) if known else None

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
        failure: KioskError | None = None
        while failure is None:
            started = self._clock()
            try:
                packet = next(packets, None)
                while packet is not None and packet.stream.index != self._video.index:
                    self._keep_audio(packet)
                    packet = next(packets, None)
                # At the end the demuxer gives an empty packet, which makes the decoder give what it held.
                decoded = self._video.decode(packet) if packet is not None else []
            except Exception as exc:  # noqa: BLE001 - a damaged stream may fail in any way
                failure = _failure(self.name, f"after frame {produced}", exc)
                packet, decoded = None, self._drained()
            for frame in decoded:
                swallowed = 0
                produced += 1
                self._check_time(produced, started)
                if frame.is_corrupt:
                    raise VideoError(f"{self.name}: frame {produced} is damaged")
                _check_size(self.name, frame.width, frame.height, self.limits, f"frame {produced} is ")
                yield frame
                started = self._clock()
            if packet is None and failure is None:
                return
            if not decoded and failure is None:
                swallowed += 1
                if swallowed > self.limits.max_packets_per_frame:
                    raise VideoError(f"{self.name}: {swallowed} packets after frame {produced} gave no frame")
        raise failure

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


def panel_pixels(frame: av.VideoFrame, rotation: int, layout: Layout) -> mmap.mmap:
    """A decoded frame stood upright, fitted to the layout as a picture is, turned for the panel and
    packed in its pixel format.

    FFmpeg's scaler does the scaling, on the frame as stored; Pillow then
    turns, crops (cover) or frames (contain, blur) the already small picture.
    """
    quarter = rotation in (90, 270)
    upright = (frame.height, frame.width) if quarter else (frame.width, frame.height)
    width, height = fitted_size(upright, layout.size, layout.fit)
    stored = (height, width) if quarter else (width, height)
    scaled = frame.reformat(width=stored[0], height=stored[1], format="rgb24", interpolation="BILINEAR")
    picture = scaled.to_image()
    transpose = _UPRIGHT.get(rotation)
    if transpose is not None:
        picture = picture.transpose(transpose)
    fitted = fit_picture(picture, layout.size, layout.fit, layout.background)
    return frame_buffer(to_panel(fitted, layout.rotation), layout.pixel_format)


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
        _positive_int("keyframe_interval", self.keyframe_interval, 10_000)
        if not isinstance(self.crf, int) or not 0 <= self.crf <= 51:
            raise ValueError(f"crf must be from 0 to 51, not {self.crf!r}")
        if self.preset not in X264_PRESETS:
            raise ValueError(f"preset must be one of {', '.join(X264_PRESETS)}, not {self.preset!r}")
        _positive_int("audio_bitrate", self.audio_bitrate, 512_000)
        _positive_int("threads", self.threads, 16)


X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
# Pixels exactly alike on every machine: no CPU-specific rounding in the scaler, no version strings written.
_BITEXACT_SCALE = "bicubic+accurate_rnd+bitexact+full_chroma_int"
X264_PARAMS = "log=-1:no-mbtree=1"


def transcode(source: Path, destination: Path, recipe_for: Callable[[VideoFacts], Transcode],
              limits: VideoLimits = DEFAULT_LIMITS, root: Path | None = None) -> tuple[VideoFacts, Transcode]:
    """Encodes `source` anew into `destination` (an MP4) by the recipe made from its facts.

    The rotation is turned into the pixels, the frame rate capped by
    dropping frames, and no metadata is written: no tags, no display
    matrix, no encoder version. Returns the source's facts and the recipe.
    Raises as `probe_video` does; `destination` is written in place (the
    caller renames it).
    """
    with open_video(source, None, limits, root, audio=True) as video:
        recipe = recipe_for(video.facts)
        try:
            _encode(video, destination, recipe)
        except KioskError:
            raise
        except Exception as exc:  # noqa: BLE001 - the encoders may fail in any way on one file
            raise _failure(video.name, "cannot encode", exc) from None
        return video.facts, recipe


def _encode(video: VideoDecoder, destination: Path, recipe: Transcode) -> None:
    sound_in = video._audio_stream if recipe.audio else None
    with av.open(str(destination), "w", format="mp4",
                 options={"movflags": "+faststart", "fflags": "+bitexact"}) as out:
        picture = out.add_stream("libx264", rate=recipe.rate, options={
            "crf": str(recipe.crf), "preset": recipe.preset, "g": str(recipe.keyframe_interval),
            "threads": str(recipe.threads), "x264-params": X264_PARAMS,
        })
        picture.width, picture.height = recipe.size
        picture.pix_fmt = "yuv420p"
        picture.codec_context.flags |= av.codec.context.Flags.bitexact
        sound = None
        if sound_in is not None:
            sound = out.add_stream("aac", rate=48000)
            sound.layout = "stereo"
            sound.bit_rate = recipe.audio_bitrate
            sound.codec_context.flags |= av.codec.context.Flags.bitexact
        graph: av.filter.Graph | None = None
        for frame in video._decoded():
            if graph is None:
                graph = _filters(frame, video.facts.rotation, recipe)
            graph.push(frame)
            _encode_filtered(graph, picture, out)
            _encode_sound(video.take_audio(), sound_in, sound, out)
        if graph is not None:
            graph.push(None)
            _encode_filtered(graph, picture, out)
        for packet in picture.encode(None):
            out.mux(packet)
        _encode_sound(video.take_audio(), sound_in, sound, out)
        if sound is not None:
            for packet in sound.encode(None):
                out.mux(packet)


def _filters(first: av.VideoFrame, rotation: int, recipe: Transcode) -> av.filter.Graph:
    """FFmpeg's filters from a decoded frame to the rendition's: turned upright, scaled, rate capped, yuv420p."""
    graph = av.filter.Graph()
    graph.threads = 1
    chain = [graph.add_buffer(width=first.width, height=first.height, format=first.format,
                              time_base=first.time_base)]
    if rotation == 90:
        chain.append(graph.add("transpose", "clock"))
    elif rotation == 270:
        chain.append(graph.add("transpose", "cclock"))
    elif rotation == 180:
        chain += [graph.add("hflip"), graph.add("vflip")]
    width, height = recipe.size
    chain += [
        graph.add("scale", f"{width}:{height}:flags={_BITEXACT_SCALE}"),
        graph.add("setsar", "1"),
        graph.add("fps", f"fps={recipe.rate.numerator}/{recipe.rate.denominator}"),
        graph.add("format", "yuv420p"),
        graph.add("buffersink"),
    ]
    graph.link_nodes(*chain).configure()
    return graph


def _encode_filtered(graph: av.filter.Graph, stream: av.video.stream.VideoStream,
                     out: av.container.OutputContainer) -> None:
    while True:
        try:
            frame = graph.vpull()
        except (av.error.BlockingIOError, av.error.EOFError):
            return
        frame.pict_type = av.video.frame.PictureType.NONE  # the encoder chooses the keyframes
        for packet in stream.encode(frame):
            out.mux(packet)


def _encode_sound(packets: list[av.Packet], source: av.audio.stream.AudioStream | None,
                  sound: av.audio.stream.AudioStream | None, out: av.container.OutputContainer) -> None:
    if source is None or sound is None:
        return
    for packet in packets:
        for frame in packet.decode():
            assert isinstance(frame, av.AudioFrame)
            frame.pts = None  # the encoder counts samples from the start: no gap, no timestamp quirks
            for encoded in sound.encode(frame):
                out.mux(encoded)


def _video_stream(name: str, container: av.container.InputContainer) -> av.video.stream.VideoStream:
    """The first video stream that is not a cover picture; VideoError if there is none."""
    for stream in container.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    if container.streams.audio:
        raise VideoError(f"{name}: audio only, no video stream")
    raise VideoError(f"{name}: no video stream")


def _check_size(name: str, width: int, height: int, limits: VideoLimits, what: str = "") -> None:
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


def _name(path: Path, root: Path | None) -> str:
    """The file as messages name it: relative to the slide folder when there is one."""
    if root is not None:
        try:
            return str(Path(path).relative_to(root))
        except ValueError:
            pass
    return Path(path).name


def _failure(name: str, what: str, exc: BaseException) -> KioskError:
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


__all__ = [
    "VIDEO_SUFFIXES",
    "ClipFrame",
    "Transcode",
    "VideoDecoder",
    "VideoFacts",
    "VideoLimits",
    "clockwise_rotation",
    "fitted_size",
    "is_video",
    "open_video",
    "panel_pixels",
    "private_metadata",
    "probe_video",
    "transcode",
]
