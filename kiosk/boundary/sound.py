"""A video slot's sound: read ahead on a thread of its own, and heard on the slot's clock, as the picture is.

`SoundTrack` reads the slot's sound (kiosk.picture.videosound: decoded,
resampled to 48 kHz 16-bit stereo, each chunk stamped with its moment on
the slot's clock) on its own thread into a queue of about half a second.
The `Speaker` hands it to the audio device (kiosk.boundary.speakerdevice,
or a test's fake), whose thread asks for each buffer at the device's own
pace; which samples fill it, kiosk.core.audioclock decides from the time
since the slot began. The picture follows the same clock, so neither
waits for the other. A file whose sound fails, at its start or half way,
goes silent with one warning naming it; no audio device, one warning:
either way the picture goes on. The device is opened on a thread of its
own when the first slot with sound comes, never before.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Generator
from pathlib import Path
from typing import Any, Callable, Protocol

from kiosk.core.audioclock import fill
from kiosk.core.errors import KioskError, PassingError
from kiosk.core.framestats import quantiles
from kiosk.core.frames import FrameKey
from kiosk.core.videoclock import VideoPlan
from kiosk.picture.videosound import RATE, SAMPLE_BYTES, Chunk, sound_chunks

log = logging.getLogger(__name__)

QUEUE_SAMPLES = RATE // 2  # read ahead: about half a second
CONTIGUOUS_SECONDS = 0.001  # chunks this close follow one another without a break
KEEP_OFFSETS = 5000  # the latest buffers whose offsets the status sums up
KEEP_BROKEN = 1000  # versions of files whose sound failed, not read again
SILENCE = bytes(65536 * SAMPLE_BYTES)  # the largest buffer kiosk.core.audioclock takes


# Makes a slot's chunks: the file, the slide folder, the plan and the seconds into the slot to start at.
ChunkSource = Callable[[Path, Path, VideoPlan, float], Generator[Chunk, None, None]]


class SoundTrack:
    """One video slot's sound, read ahead into a queue of about half a second: `start()` and `stop()` from
    the render loop, `head()`, `drop()` and `take_into()` from the audio device's thread."""

    def __init__(self, key: FrameKey, slide_folder: Path, starts: float, clock: Callable[[], float] = time.monotonic,
                 source: ChunkSource = sound_chunks, queue_samples: int = QUEUE_SAMPLES) -> None:
        if key.video is None:
            raise ValueError(f"{key.path} is not a video slide")
        self.key = key
        self.starts = starts  # the monotonic moment the slot's clock counts from
        self.length = key.video.length  # after it, silence (the file's own clip may end it sooner)
        self.clock = clock
        self.queue_samples = queue_samples
        # A box joining its sync group mid-slot hears the sound from where the clock is.
        self._chunks = source(slide_folder / key.path, slide_folder, key.video, clock() - starts)
        self._queue: collections.deque[Chunk] = collections.deque()
        self._used = 0  # samples of the first chunk already taken
        self._queued = 0  # samples in the queue, less those used
        self._lock = threading.Condition()
        self._stopping = False
        self.ended = False  # every chunk is read (or the sound failed)
        self.failed: str | None = None  # why the file's sound failed, once it has (not an I/O error)
        self._thread: threading.Thread | None = None

    # --- the render loop's side ------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"sound {self.key.path}"[:60], daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends the track: the reader stops after the packet it is on; the queue is let go."""
        with self._lock:
            self._stopping = True
            self._queue.clear()
            self._queued = self._used = 0
            self._lock.notify_all()
        if self._thread is None:
            self._chunks.close()

    def join(self, seconds: float = 1.0) -> bool:
        """Waits for the reader to end; False if it is still busy after `seconds`."""
        if self._thread is None:
            return True
        self._thread.join(seconds)
        return not self._thread.is_alive()

    # --- the reader ------------------------------------------------------------------

    def read_once(self) -> bool:
        """Reads the next chunk into the queue, whatever its room; False once there are no more."""
        try:
            chunk = next(self._chunks, None)
        except KioskError as exc:
            if not isinstance(exc, PassingError):  # the file's own fault: not read again until it changes
                self.failed = str(exc)
            log.warning("no sound from here on: %s", exc)
            chunk = None
        except MemoryError:
            log.warning("no sound from here on: %s: out of memory", self.key.path)
            chunk = None
        except Exception as exc:  # the picture goes on, whatever the sound does
            self.failed = f"{self.key.path}: unexpected error: {str(exc)[:200]}"
            log.exception("unexpected error reading the sound of %s; no sound from here on", self.key.path)
            chunk = None
        with self._lock:
            if chunk is None or self._stopping:
                self.ended = True
                return False
            if chunk.end > self.clock() - self.starts:  # a chunk already over is not queued
                self._queue.append(chunk)
                self._queued += chunk.samples
            return True

    @property
    def queued(self) -> int:
        """Samples waiting in the queue."""
        with self._lock:
            return self._queued

    def _run(self) -> None:
        try:
            while self._room() and self.read_once():
                pass
        finally:
            self._chunks.close()

    def _room(self) -> bool:
        """Waits while the queue is full; False once the track is stopped."""
        with self._lock:
            while self._queued >= self.queue_samples and not self._stopping:
                self._lock.wait()
            return not self._stopping

    # --- the audio device's side -----------------------------------------------------

    def head(self) -> tuple[float | None, int]:
        """The moment of the first sample waiting (None: none), and how many follow it without a break."""
        with self._lock:
            if not self._queue:
                return None, 0
            first = self._queue[0]
            available = first.samples - self._used
            end = first.end
            for chunk in list(self._queue)[1:]:
                if abs(chunk.moment - end) > CONTIGUOUS_SECONDS:
                    break
                available += chunk.samples
                end = chunk.end
            return first.moment + self._used / RATE, available

    def drop(self, samples: int) -> None:
        """Lets go of the first `samples` waiting."""
        self._consume(samples, None, 0)

    def take_into(self, buffer: memoryview, at: int, samples: int) -> int:
        """Copies the first `samples` waiting into `buffer` from byte `at`, removing them; how many there were."""
        return self._consume(samples, buffer, at)

    def _consume(self, samples: int, buffer: memoryview | None, at: int) -> int:
        done = 0
        with self._lock:
            while done < samples and self._queue:
                first = self._queue[0]
                count = min(samples - done, first.samples - self._used)
                if buffer is not None:
                    start = self._used * SAMPLE_BYTES
                    buffer[at + done * SAMPLE_BYTES: at + (done + count) * SAMPLE_BYTES] = \
                        first.data[start: start + count * SAMPLE_BYTES]
                done += count
                self._used += count
                self._queued -= count
                if self._used == first.samples:
                    self._queue.popleft()
                    self._used = 0
            self._lock.notify_all()
        return done


class Output(Protocol):
    """An open audio device: it calls the speaker's `fill` from a thread of its own for each buffer of
    48 kHz 16-bit stereo it needs (kiosk.boundary.speakerdevice.SdlOutput, or a test's fake)."""

    latency: float  # seconds from a buffer being filled to its first sample being heard
    description: str

    def close(self) -> None: ...


class SoundUnavailable(Exception):
    """No audio device could be opened: the show goes on without sound."""


# Opens the device, given the function that fills each buffer; raises SoundUnavailable.
OutputOpener = Callable[[Callable[[memoryview], None]], Output]
# Makes a slot's track: its key, the slide folder, the moment its clock counts from, and the clock.
TrackMaker = Callable[[FrameKey, Path, float, Callable[[], float]], SoundTrack]


def _in_background(job: Callable[[], None]) -> None:
    threading.Thread(target=job, name="sound device", daemon=True).start()


class Speaker:
    """Plays the sound of the video slot on screen: `play()`, `presented()`, `stop()` and `close()` from the
    render loop, none of which waits; the device calls `fill()` from its own thread."""

    def __init__(self, open_output: OutputOpener, make_track: TrackMaker = SoundTrack,
                 clock: Callable[[], float] = time.monotonic,
                 spawn: Callable[[Callable[[], None]], None] = _in_background) -> None:
        self.open_output, self.make_track, self.clock, self.spawn = open_output, make_track, clock, spawn
        self.device = "not opened"  # then opening, open, unavailable or closed
        self._output: Output | None = None
        self._track: SoundTrack | None = None  # read by the device's thread: replaced whole, never changed
        self._lock = threading.Lock()
        self.offsets: collections.deque[float] = collections.deque(maxlen=KEEP_OFFSETS)  # |sound - clock|
        self.underruns = 0  # buffers the reader could not fill in time, the slot still on
        self._fill_failed = False
        self._broken: set[tuple[str, tuple[int, int]]] = set()  # (path, version): said once, then silent

    def play(self, key: FrameKey, starts: float, slide_folder: Path) -> None:
        """The video's sound plays on its slot's clock, from the monotonic moment `starts`; the device is
        opened (on a thread of its own) for the first."""
        self.stop()
        with self._lock:
            if self.device in ("unavailable", "closed") or (key.path, key.version) in self._broken:
                return
            opening = self.device == "not opened"
            if opening:
                self.device = "opening"
        track = self.make_track(key, slide_folder, starts, self.clock)
        with self._lock:  # the device may have failed to open meanwhile (then its thread stops the track set)
            if self.device in ("unavailable", "closed"):
                return
            self._track = track
        track.start()
        log.debug("sound of %s on the slot's clock, from %.4f (monotonic)", key.path, starts)
        if opening:
            self.spawn(self._open)

    def presented(self, key: FrameKey | None) -> None:
        """Another slide (or none) is on screen: the sound playing stops."""
        track = self._track
        if track is not None and track.key != key:
            self.stop()

    def stop(self) -> None:
        track, self._track = self._track, None
        if track is not None:
            track.stop()
            if track.failed is not None:  # its warning was given: the next turns of that file are silent
                if len(self._broken) >= KEEP_BROKEN:
                    self._broken.clear()
                self._broken.add((track.key.path, track.key.version))

    def close(self) -> None:
        """The show ends: the sound stops and the device is closed."""
        self.stop()
        with self._lock:
            output, self._output = self._output, None
            self.device = "closed"
        if output is not None:
            output.close()

    def summary(self) -> dict[str, Any] | None:
        """For status.json: the device, and how far the sound heard was from the clock; None if never asked
        to play."""
        if self.device == "not opened":
            return None
        return {"device": self.device, "offset_seconds": quantiles(list(self.offsets)), "underruns": self.underruns}

    def _open(self) -> None:
        try:
            output = self.open_output(self.fill)
        except SoundUnavailable as exc:
            log.warning("no sound: %s; videos play without it", exc)
            output = None
        except Exception as exc:  # noqa: BLE001 - whatever the device does, the picture goes on
            log.warning("no sound: the audio device failed to open (%s); videos play without it",
                        str(exc)[:200] or type(exc).__name__)
            output = None
        with self._lock:
            closed = self.device == "closed"
            if output is not None and not closed:
                self._output, self.device = output, "open"
                log.info("sound through %s, %.0f ms ahead", output.description, output.latency * 1000)
                return
            if not closed:
                self.device = "unavailable"
        if output is not None:  # the show ended while the device was opening
            output.close()
        self.stop()

    def fill(self, buffer: memoryview) -> None:
        """Fills one device buffer (on the device's thread): the sound due, or silence. Never raises."""
        try:
            self._fill(buffer)
        except Exception:  # raised in the device's thread, it would end the sound for good
            buffer[:] = SILENCE[: len(buffer)]
            if not self._fill_failed:  # once: the device asks 47 times a second
                self._fill_failed = True
                log.exception("filling a sound buffer failed; silence instead")

    def _fill(self, buffer: memoryview) -> None:
        track, output = self._track, self._output
        samples = len(buffer) // SAMPLE_BYTES
        if track is None or output is None or samples == 0:
            buffer[:] = SILENCE[: len(buffer)]
            return
        heard_at = self.clock() + output.latency - track.starts
        head_at, available = track.head()
        chosen = fill(heard_at, head_at, available, samples, RATE, track.length)
        track.drop(chosen.drop)
        at = chosen.silence * SAMPLE_BYTES
        buffer[:at] = SILENCE[:at]
        taken = track.take_into(buffer, at, chosen.take)  # the queue only grows meanwhile, unless stopped
        at += taken * SAMPLE_BYTES
        buffer[at:] = SILENCE[: len(buffer) - at]
        if chosen.offset is not None and taken:
            self.offsets.append(abs(chosen.offset))
        if chosen.short and heard_at + samples / RATE < track.length and not track.ended and not track.queued:
            self.underruns += 1  # (not a break in the sound itself: more is queued after it)


__all__ = ["Output", "OutputOpener", "SoundTrack", "SoundUnavailable", "Speaker"]
