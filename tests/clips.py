"""Tiny real video files made with PyAV for the tests: good ones in each codec, and hostile ones.

Every frame of a good clip shows its top-left quarter white on a colour
field whose green level counts the frames (8 levels a frame), so a test can
tell which way up a frame ends and roughly which frame it is. A clip with
`clicks` has a click in its sound at each whole second, where its frame is
all white, and silence between.
"""

from __future__ import annotations

import array
import math
import struct
from fractions import Fraction
from pathlib import Path
from typing import cast

import av
from av.video.frame import VideoFrame
from av.video.stream import VideoStream
from PIL import Image

FIELD = (200, 0, 40)  # the colour outside the white quarter, before the green count
QUIET = {"libx265": {"x265-params": "log-level=none"}, "libsvtav1": {"svtav1-params": "log=0"}}
# Codecs whose encoders this PyAV wheel holds (docs/video.md), with a container for each.
CLICK_SECONDS = 0.01  # a click: 10 ms of a 1 kHz tone at half the full scale
ENCODERS = {"h264": ("libx264", ".mp4"), "hevc": ("libx265", ".mp4"), "vp9": ("libvpx-vp9", ".webm"),
            "av1": ("libsvtav1", ".mkv")}


def clip_picture(index: int, size: tuple[int, int]) -> Image.Image:
    """Frame `index` of a test clip, upright as stored."""
    width, height = size
    picture = Image.new("RGB", size, (FIELD[0], min(255, index * 8), FIELD[2]))
    picture.paste((255, 255, 255), (0, 0, width // 2, height // 2))
    return picture


def make_clip(
    path: Path,
    codec: str = "libx264",
    size: tuple[int, int] = (96, 54),
    rate: int = 25,
    frames: int = 25,
    rotation: int | None = None,
    audio: bool = False,
    metadata: dict[str, str] | None = None,
    options: dict[str, str] | None = None,
    container_options: dict[str, str] | None = None,
    clicks: bool = False,
    sound_rate: int = 48000,
) -> Path:
    """Writes a real video file. `rotation` is a display matrix rotation in degrees counter-clockwise, as
    PyAV sets it (a phone's portrait clip has -90, its old `rotate` tag 90). `clicks`: AAC sound at
    `sound_rate` with a click at each whole second (and a white frame there)."""
    audio = audio or clicks
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", options=container_options or {}) as out:
        if metadata:
            out.metadata.update(metadata)
        stream = cast(VideoStream, out.add_stream(codec, rate=rate,
                                                  options={**QUIET.get(codec, {}), **(options or {})}))
        stream.width, stream.height = size
        stream.pix_fmt = "yuv420p"
        if rotation is not None:
            stream.set_display_rotation(rotation)
        sound = out.add_stream("aac", rate=sound_rate) if audio else None
        for index in range(frames):
            white = clicks and index % rate == 0
            picture = Image.new("RGB", size, (255, 255, 255)) if white else clip_picture(index, size)
            frame = VideoFrame.from_image(picture)
            frame.pts = index
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None:
            samples = 1024
            for block in range(max(1, frames * sound_rate // rate // samples)):
                chunk = av.AudioFrame(format="fltp", layout="stereo", samples=samples)
                level = _clicks(block * samples, samples, sound_rate) if clicks else bytes(samples * 4)
                for plane in chunk.planes:
                    plane.update(level + bytes(plane.buffer_size - len(level)))
                chunk.sample_rate = sound_rate
                chunk.pts = block * samples
                for packet in sound.encode(chunk):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def _clicks(first: int, count: int, rate: int) -> bytes:
    """Samples `first` to `first + count` of a track with a click at each whole second, as 32-bit floats."""
    levels = array.array("f", bytes(count * 4))
    for offset in range(count):
        into_second = (first + offset) % rate / rate
        if into_second < CLICK_SECONDS:
            levels[offset] = 0.5 * math.sin(2 * math.pi * 1000 * into_second)
    return levels.tobytes()


def click_onsets(data: bytes, level: int = 3000) -> list[int]:
    """Where each click of 16-bit stereo sound begins: the sample indices of the left channel that first
    pass `level` after at least half a second below it."""
    left = array.array("h", data[: len(data) // 4 * 4])[0::2]
    onsets: list[int] = []
    last = -(10**9)
    for index, value in enumerate(left):
        if abs(value) > level:
            if index - last > 24_000:
                onsets.append(index)
            last = index
    return onsets


def _mux_one_silent_chunk(out: av.container.OutputContainer, sound: av.audio.stream.AudioStream) -> None:
    """1,024 samples of stereo silence at 48 kHz, encoded and muxed: the only sound a clip needs."""
    chunk = av.AudioFrame(format="fltp", layout="stereo", samples=1024)
    for plane in chunk.planes:
        plane.update(bytes(plane.buffer_size))
    chunk.sample_rate = 48000
    chunk.pts = 0
    for packet in [*sound.encode(chunk), *sound.encode()]:
        out.mux(packet)


def make_audio_only(path: Path) -> Path:
    """An AAC-only MP4, as a voice memo is."""
    with av.open(str(path), "w") as out:
        sound = out.add_stream("aac", rate=48000)
        _mux_one_silent_chunk(out, sound)
    return path


def make_no_frames(path: Path) -> Path:
    """A Matroska file with a video track that holds no frame (its only packets are sound)."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = 96, 54
        stream.pix_fmt = "yuv420p"
        sound = out.add_stream("aac", rate=48000)
        _mux_one_silent_chunk(out, sound)
    return path


def make_raw(path: Path, size: tuple[int, int] = (256, 256), frames: int = 2) -> Path:
    """Uncompressed grey video in Matroska, whose size only the container states."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("rawvideo", rate=25)
        stream.width, stream.height = size
        stream.pix_fmt = "gray"
        for index in range(frames):
            frame = VideoFrame(size[0], size[1], "gray")
            for plane in frame.planes:
                plane.update(bytes([index * 40]) * plane.buffer_size)
            frame.pts = index
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_claiming_size(path: Path, side: int) -> Path:
    """A Matroska file whose header claims `side` x `side` pixels (up to 65,535), its frames 256 x 256.

    The 256 in PixelWidth and PixelHeight (EBML IDs B0 and BA, two-byte
    values) is overwritten in place; rawvideo has no size of its own in
    the stream, so the header's claim is what the demuxer reports.
    """
    make_raw(path)
    data = path.read_bytes()
    claimed = side.to_bytes(2, "big")
    for element in (b"\xb0", b"\xba"):
        old = element + b"\x82\x01\x00"
        assert data.count(old) == 1, "the muxer wrote the size differently"
        data = data.replace(old, element + b"\x82" + claimed)
    path.write_bytes(data)
    return path


def make_claiming_duration(path: Path, seconds: int) -> Path:
    """An H.264 MP4 of two frames, the second `seconds` after the first: its header says that long."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = 96, 54
        stream.pix_fmt = "yuv420p"
        for index, pts in enumerate((0, seconds * 25)):
            frame = VideoFrame.from_image(clip_picture(index, (96, 54)))
            frame.pts = pts
            frame.time_base = Fraction(1, 25)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def make_ending_early(path: Path, seconds: int, frames: int = 10) -> Path:
    """A Matroska H.264 file (`path` ends in .mkv) of `frames` frames at 25 a second whose header says
    it lasts `seconds`.

    The Segment's Duration (EBML ID 4489, an eight-byte float of
    milliseconds) is overwritten in place. Matroska counts no frames, so
    the header's length is all a player knows before the frames run out.
    """
    make_clip(path, frames=frames, rate=25)
    data = path.read_bytes()
    old = b"\x44\x89\x88" + struct.pack(">d", frames * 40.0)
    assert data.count(old) == 1, "the muxer wrote the duration differently"
    path.write_bytes(data.replace(old, b"\x44\x89\x88" + struct.pack(">d", seconds * 1000.0)))
    return path


def make_many_streams(path: Path, count: int) -> Path:
    """A Matroska file with one short video stream and `count` silent sound streams beside it."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("libx264", rate=25)
        stream.width, stream.height = 96, 54
        stream.pix_fmt = "yuv420p"
        for _ in range(count):
            out.add_stream("pcm_s16le", rate=8000)
        frame = VideoFrame.from_image(clip_picture(0, (96, 54)))
        frame.pts = 0
        for packet in [*stream.encode(frame), *stream.encode()]:
            out.mux(packet)
    return path


def truncated(source: Path, path: Path, keep: float = 0.5) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def corrupted(source: Path, path: Path, start: float = 0.5, length: int = 200) -> Path:
    """A copy with `length` bytes from `start` (a share of the file) flipped."""
    data = bytearray(source.read_bytes())
    first = int(len(data) * start)
    for offset in range(first, min(len(data), first + length)):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    return path


def _vint(data: bytes, at: int, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer at `at`: its value and where it ends."""
    first = data[at]
    length = 8 - first.bit_length() + 1
    value = first if keep_marker else first & (0xFF >> length)
    for offset in range(1, length):
        value = (value << 8) | data[at + offset]
    return value, at + length


def _elements(data: bytes, start: int = 0, end: int | None = None) -> list[tuple[int, bytes]]:
    """The EBML elements from `start` to `end`: (ID with its marker, payload)."""
    end = len(data) if end is None else end
    found = []
    at = start
    while at < end:
        element, at = _vint(data, at, keep_marker=True)
        size, at = _vint(data, at, keep_marker=False)
        found.append((element, data[at: at + size]))
        at += size
    return found


def _element(element: int, payload: bytes) -> bytes:
    size = (0x01 << 56 | len(payload)).to_bytes(8, "big")
    return element.to_bytes((element.bit_length() + 7) // 8, "big") + size + payload


SEGMENT, TRACKS, TRACK_ENTRY, TRACK_NUMBER, TRACK_UID = 0x18538067, 0x1654AE6B, 0xAE, 0xD7, 0x73C5


def make_naming_streams(path: Path, count: int) -> Path:
    """A Matroska file whose track list names `count` sound streams besides its video.

    Written by PyAV with one sound track, then that track's entry repeated
    with new numbers (PyAV's muxer cannot write so many), the Segment
    rebuilt with its Info, Tracks and Clusters only, of unknown size.
    """
    make_clip(path.with_suffix(".one.mkv"), frames=2, audio=True)
    data = path.with_suffix(".one.mkv").read_bytes()
    path.with_suffix(".one.mkv").unlink()
    (header_id, header), (segment_id, segment) = _elements(data)[:2]
    assert segment_id == SEGMENT
    children = []
    for element, payload in _elements(segment):
        if element == TRACKS:
            entries = [entry for entry in _elements(payload) if entry[0] == TRACK_ENTRY]
            sound = entries[-1][1]
            extra = []
            for number in range(len(entries) + 1, len(entries) + count):
                fields = [(TRACK_NUMBER, number.to_bytes(2, "big")) if e == TRACK_NUMBER else
                          (TRACK_UID, (10_000 + number).to_bytes(4, "big")) if e == TRACK_UID else (e, p)
                          for e, p in _elements(sound)]
                extra.append(_element(TRACK_ENTRY, b"".join(_element(e, p) for e, p in fields)))
            payload = payload + b"".join(extra)
            children.append(_element(TRACKS, payload))
        elif element in (0x1549A966, 0x1F43B675):  # Info, Cluster
            children.append(_element(element, payload))
    body = b"".join(children)
    unknown_size = b"\x01\xff\xff\xff\xff\xff\xff\xff"
    path.write_bytes(_element(header_id, header) + SEGMENT.to_bytes(4, "big") + unknown_size + body)
    return path


def make_variable_rate(path: Path, ticks: tuple[int, ...] = (0, 1, 2, 5, 6, 10, 11, 20, 21, 24),
                       rate: int = 25) -> Path:
    """An H.264 MP4 whose frames come at the given ticks of 1/`rate` s: a variable frame rate, as phones record."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=rate)
        stream.width, stream.height = 96, 54
        stream.pix_fmt = "yuv420p"
        stream.codec_context.time_base = Fraction(1, rate)
        for index, tick in enumerate(ticks):
            frame = VideoFrame.from_image(clip_picture(index, (96, 54)))
            frame.pts = tick
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path
