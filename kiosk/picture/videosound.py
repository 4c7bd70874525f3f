"""A video's sound, decoded and placed on the slot's clock: the sound half of the FFmpeg (PyAV) seam.

`sound_chunks` decodes the first sound stream of a video file, opened by
the one safe opener as the picture's decoder opens it (kiosk.picture.
videoheader), resampled to 48 kHz 16-bit stereo, and stamps each chunk
with its moment on the slot's clock: the play times the clip's length,
plus the chunk's time from the video stream's start, so sound and picture
count from one origin, and `loop` or the sidecar's `seconds` repeat the
sound as they repeat the picture (kiosk.core.videoclock). Each play is cut
to the clip's length. Memory is bounded by the packet and frame limits
below and by handing out one chunk at a time; time by a bound on reading
and decoding each packet. kiosk.boundary.sound reads the chunks on a
thread of its own.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import av

from kiosk.core.errors import KioskError, VideoError
from kiosk.core.videoclock import Clip, Slot, VideoPlan
from kiosk.core.videofacts import DEFAULT_LIMITS, VideoLimits
from kiosk.picture.videoheader import failure, opened_container, read_header, video_stream

RATE = 48_000  # what the sound is resampled to, and the device opened with
CHANNELS = 2
SAMPLE_BYTES = 2 * CHANNELS  # 16-bit stereo
SEEK_SECONDS = 2.0  # a slot joined this far into a play seeks there rather than decoding its way to it
MAX_SOUND_RATE = 384_000
MAX_SOUND_CHANNELS = 16
MAX_PACKET_BYTES = 1 << 20  # a sound packet (AAC: under 1 kB; PCM: a few thousand samples)
MAX_FRAME_SAMPLES = 1 << 17  # samples one decoded frame may hold (FLAC's largest is 65,535)


@dataclass(frozen=True)
class Chunk:
    """Samples (48 kHz 16-bit stereo) and the moment on the slot's clock of the first."""

    moment: float
    data: bytes

    @property
    def samples(self) -> int:
        return len(self.data) // SAMPLE_BYTES

    @property
    def end(self) -> float:
        return self.moment + self.samples / RATE


def sound_chunks(path: Path, root: Path | None, plan: VideoPlan, start_at: float = 0.0,
                 limits: VideoLimits = DEFAULT_LIMITS, clock: Callable[[], float] = time.monotonic,
                 ) -> Generator[Chunk, None, None]:
    """The slot's sound from `start_at` seconds into the slot on, in order; nothing for a video without any.

    Raises VideoError naming the file for a sound stream that fails (the
    picture's decoder reports what is wrong with the video), and as
    `open_video_file` does.
    """
    slot: Slot | None = None
    play = 0
    while slot is None or play * slot.clip.duration < slot.length:
        with opened_container(path, limits, root) as (name, container):
            video = video_stream(name, container)
            if slot is None:
                header = read_header(name, container, video, limits)
                if header.seconds is None:
                    raise VideoError(f"{name}: the header does not say how long it is")
                slot = plan.slot(Clip.from_header(video.frames or None, header.seconds, header.frame_rate))
                play = math.floor(max(0.0, start_at) / slot.clip.duration)  # plays over before the join
            sound = next(iter(container.streams.audio), None)
            if sound is None:
                return
            yield from _play(name, container, video, sound, slot, play, start_at, limits, clock)
        play += 1


def _play(name: str, container: av.container.InputContainer, video: av.video.stream.VideoStream,
          sound: av.audio.stream.AudioStream, slot: Slot, play: int, start_at: float, limits: VideoLimits,
          clock: Callable[[], float]) -> Iterator[Chunk]:
    """One play of the sound, cut to the clip's length and to the slot's."""
    context = sound.codec_context
    if context is None:
        raise VideoError(f"{name}: its sound is in a codec FFmpeg cannot decode")
    if not 0 < context.sample_rate <= MAX_SOUND_RATE or not 0 < context.channels <= MAX_SOUND_CHANNELS:
        raise VideoError(f"{name}: sound of {context.channels} channels at {context.sample_rate} Hz")
    context.thread_count = 1
    duration = slot.clip.duration
    base = play * duration  # the play's start on the slot's clock
    origin = float(video.start_time * video.time_base) if video.start_time is not None and video.time_base else 0.0
    skip = start_at - base  # seconds of this play already over
    if skip > SEEK_SECONDS and sound.time_base:
        _seek(name, container, sound, float((origin + skip - 1.0) / sound.time_base))
    resampler = av.AudioResampler(format="s16", layout="stereo", rate=RATE)
    until = min(duration, slot.length - base)  # the play's end, or the slot's
    following: float | None = None  # where the next chunk starts when it has no time of its own
    try:
        packets = container.demux(sound)
        while True:
            began = clock()  # the time to read and decode a packet is bounded, not the wait for room after it
            packet = next(packets, None)
            if packet is None:
                return
            if packet.size > MAX_PACKET_BYTES:
                raise VideoError(f"{name}: a sound packet of {packet.size:,} bytes")
            decoded = []
            # The demuxer's last, empty packet makes the decoder give what it holds; then the resampler does.
            for frame in [*sound.decode(packet), *([None] if packet.size == 0 else [])]:
                if frame is not None and frame.samples > MAX_FRAME_SAMPLES:
                    raise VideoError(f"{name}: a sound frame of {frame.samples:,} samples")
                decoded += resampler.resample(frame)
            spent = clock() - began
            if spent > limits.max_frame_seconds:
                raise VideoError(f"{name}: a sound packet took {spent:.1f} s to decode")
            for out in decoded:
                pts, time_base = out.pts, out.time_base
                local = float(pts * time_base) - origin if pts is not None and time_base else (following or 0.0)
                following = local + out.samples / RATE
                if local >= until:
                    return
                chunk = _cut(bytes(out.planes[0])[: out.samples * SAMPLE_BYTES], local, until, skip)
                if chunk is not None:
                    yield Chunk(base + chunk[0], chunk[1])
    except KioskError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged stream may fail in any way
        raise failure(name, "its sound", exc) from None


def _seek(name: str, container: av.container.InputContainer, sound: av.audio.stream.AudioStream,
          ticks: float) -> None:
    """To the key packet at or before `ticks` of the sound stream's time base."""
    try:
        container.seek(int(ticks), stream=sound, backward=True)
    except Exception as exc:  # noqa: BLE001 - a damaged index may fail in any way
        raise failure(name, "seeking in its sound", exc) from None


def _cut(data: bytes, local: float, until: float, skip: float) -> tuple[float, bytes] | None:
    """The samples of [0, until) in the play, and not over before `skip`, with the moment of the first."""
    samples = len(data) // SAMPLE_BYTES
    first = max(0, math.ceil(round(max(-local, skip - local) * RATE, 6)))
    last = min(samples, math.floor(round((until - local) * RATE, 6)))
    if first >= last:
        return None
    return local + first / RATE, data[first * SAMPLE_BYTES: last * SAMPLE_BYTES]


__all__ = ["CHANNELS", "RATE", "SAMPLE_BYTES", "Chunk", "sound_chunks"]
