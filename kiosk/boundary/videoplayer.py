"""A video slot's frames, decoded on a thread of its own into a short queue the render loop takes from.

The render loop (kiosk.app.videos) starts a player when a video slide's
first frame is made ready, so decoding begins before the slot does, and
asks it each refresh which frames are ready. The player opens the file
through kiosk.picture.video, fits each frame to the panel and lays the
slide's caption over it (kiosk.picture.videopixels), numbers it by its
*position* on the slot's clock (the play times the clip's length, plus the
frame's index by its time) and waits while the queue is full. So memory is
a few frames, whatever the video's length, and pixel buffers are reused.
Before its slot begins (`playing()`), a player decodes only the first frame
and closes the file again: while another video plays, the one to come
holds one frame, not a second decoder.

The clip's length and frame times come from the file's own header once it
is opened; the slot (loops, or the sidecar's seconds) from the key's
VideoPlan. A file that fails on the way, at its first frame or its
thousandth, ends the player with a FrameFailed in the render loop's inbox,
naming the file: the director then brings the next slide forward from the
last good frame, never a black or frozen screen.
"""

from __future__ import annotations

import collections
import logging
import mmap
import queue
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from kiosk.core.errors import ContentError, PassingError, VideoError
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.messages import FrameFailed
from kiosk.core.videoclock import Clip, Slot, due_seconds, pick
from kiosk.boundary.memory import give_back_freed
from kiosk.core.videofacts import VideoLimits
from kiosk.picture.fonts import FontBook
from kiosk.picture.video import PixelMaker, open_video
from kiosk.picture.videopixels import CaptionMatte, screen_pixels

log = logging.getLogger(__name__)

QUEUE_FRAMES = 3  # frames decoded ahead: enough to ride out one slow frame (8 MB each at 1080p)
# Frames a player decodes before its slot begins, while another video may still be playing: the first is
# what the slot needs at once. The decoder is then closed until the slot begins, and the queue fills during
# the fade in (bench/video.py: memory).
PREROLL_FRAMES = 1
SPARE_BUFFERS = 1  # a buffer kept for the next frame (8 MB at 1080p): the queue holds the rest
STOP_SECONDS = 1.0  # a stop waits this long at most for the thread (it checks between frames)
# A slot whose clock is this far past the frames decoded (a box joining its sync group mid-video) is sought,
# not decoded through; the decoder aims this far past the clock, for the time the seek and the frames from
# the keyframe before take (a rendition has one every 2 s).
SEEK_AFTER_SECONDS = 1.0
CATCH_UP_SECONDS = 0.5
MAX_LEAD_SECONDS = 30.0
# One decoder thread: a 1080p H.264 frame decodes in about 5 ms on it, and a second thread's frames
# in flight cost memory the box needs more (bench/video.py).
PLAYING_LIMITS = VideoLimits(threads=1)


@dataclass(frozen=True)
class VideoFrame:
    """A frame ready for the screen, at its position on the slot's clock."""

    position: int
    size: tuple[int, int]  # the panel's (width, height)
    data: mmap.mmap | memoryview
    pixel_format: str


class VideoPlayer:
    """Decodes one video slot's frames ahead of the screen; `ready()`, `take()` and `give_back()` from the
    render loop, the rest on its own thread."""

    def __init__(self, key: FrameKey, slide_folder: Path, font: Path, inbox: "queue.Queue[object]",
                 limits: VideoLimits = PLAYING_LIMITS, depth: int = QUEUE_FRAMES, preroll: int = PREROLL_FRAMES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if key.video is None:
            raise ValueError(f"{key.path} is not a video slide")
        self.key = key
        self.plan = key.video
        self.slide_folder = slide_folder
        self.font = font
        self.inbox = inbox
        self.limits = limits
        self.depth = depth
        self._room = max(1, min(preroll, depth))  # frames the queue may hold: the preroll, until `playing()`
        self._begun = False
        self._starts: float | None = None  # the slot's clock, from playing()
        self._lead = CATCH_UP_SECONDS  # how far past the clock a seek aims: longer if a seek was slow
        self.clock = clock
        self.slot: Slot | None = None  # known once the file is open
        self.failed: str | None = None
        self._frames: collections.deque[VideoFrame] = collections.deque()
        self._free: list[mmap.mmap] = []
        self._lock = threading.Condition()
        self._stopping = False
        self._thread: threading.Thread | None = None

    # --- the render loop's side ------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"video {self.key.path}"[:60], daemon=True)
        self._thread.start()

    def playing(self, starts: float | None = None) -> None:
        """The slot has begun, its clock counting from `starts` (monotonic; None: now): the queue may hold
        its full depth from now on. A slot that began well before (a box joining its sync group mid-video)
        is played from where its clock is, not from the start."""
        with self._lock:
            self._starts = starts
            self._room = self.depth
            self._begun = True
            self._lock.notify_all()

    def ready(self) -> list[int]:
        """The positions of the frames waiting, in order."""
        with self._lock:
            return [frame.position for frame in self._frames]

    def take(self, count: int) -> list[VideoFrame]:
        """The first `count` frames waiting, removed (the player decodes more into the room made)."""
        with self._lock:
            taken = [self._frames.popleft() for _ in range(min(count, len(self._frames)))]
            self._lock.notify_all()
        return taken

    def give_back(self, frames: list[VideoFrame]) -> None:
        """Frames the screen is done with: their buffers are used again."""
        with self._lock:
            for frame in frames:
                if isinstance(frame.data, mmap.mmap) and len(self._free) < SPARE_BUFFERS:
                    self._free.append(frame.data)  # (the scaler's own frames are let go)

    def stop(self) -> None:
        """Ends the player: the thread stops after the frame it is on; the queue is let go."""
        with self._lock:
            self._stopping = True
            self._frames.clear()
            self._free.clear()
            self._lock.notify_all()

    def join(self, seconds: float = STOP_SECONDS) -> bool:
        """Waits for the thread to end; False if it is still busy after `seconds`."""
        if self._thread is None:
            return True
        self._thread.join(seconds)
        return not self._thread.is_alive()

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- the player's own thread ------------------------------------------------------

    def _run(self) -> None:
        try:
            self._play()
        except (ContentError, PassingError) as exc:
            self._fail(str(exc), passing=isinstance(exc, PassingError))
        except MemoryError:
            self._fail(f"{self.key.path}: out of memory", passing=True)
        except Exception as exc:  # whatever happens, the render loop hears of it
            log.exception("unexpected error playing %s", self.key.path)
            self._fail(f"{self.key.path}: unexpected error: {str(exc)[:200]}", passing=True)
        finally:
            give_back_freed()  # the decoder's freed pages, before the next video's (kiosk.boundary.memory)

    def _fail(self, reason: str, passing: bool) -> None:
        with self._lock:
            if self._stopping:
                return  # the slot ended first: nobody shows it any more
            self.failed = reason
        self.inbox.put(FrameFailed(self.key, reason, passing))

    def _play(self) -> None:
        layout = self.key.layout
        matte = CaptionMatte(self.key.caption, self.key.kind, layout, FontBook(self.font), self.key.lang)
        path = self.slide_folder / self.key.path
        play = 0
        last = -1
        start = 0.0  # seconds into the play where decoding begins (a join mid-video)
        seeking = True  # False once a seek in this file has failed: it is decoded through from then on
        sought_at: float | None = None  # when the latest seek was decided, until its first frame is given
        while not self._stopping:
            paused = False
            jump: tuple[int, float] | None = None  # where to seek to: the clock is far ahead of the decoder
            given = 0  # frames given from this opening
            try:
                with open_video(path, layout, self.limits, self.slide_folder, self.clock) as video:
                    facts = video.facts
                    if self.slot is None:
                        self.slot = self.plan.slot(Clip.from_header(facts.frames, facts.seconds, facts.frame_rate))
                    slot = self.slot
                    count = len(slot.clip)
                    rate = facts.frame_rate
                    index = -1
                    for frame in video.frames(pixels=self._maker(matte), start=start, seek=seeking,
                                              stopped=lambda: self._stopping):
                        index = min(count - 1, max(0, round(frame.time * rate)))
                        position = slot.position(play, index)
                        if position <= last:  # given before the pause, or two frames the clock cannot tell apart
                            self.give_back([VideoFrame(position, frame.size, frame.data, frame.pixel_format)])
                            continue
                        if position > slot.last_position or not self._put(
                                VideoFrame(position, frame.size, frame.data, frame.pixel_format)):
                            return
                        last, given = position, given + 1
                        if sought_at is not None:  # the next seek aims twice as far ahead as this one took
                            self._lead = min(MAX_LEAD_SECONDS, max(self._lead, 2 * (self.clock() - sought_at)))
                            sought_at = None
                        if self._prerolled():
                            paused = True
                            break
                        jump = self._catch_up(slot, last)
                        if jump is not None:
                            break
                    # A header promising far more than the file holds (a play joined mid-way is not counted).
                    if not paused and jump is None and not start and index < count * 0.9 - 2:
                        raise VideoError(f"{self.key.path}: ends after {index + 1} frames, where its header "
                                         f"promises {count}")
            except VideoError as exc:
                if not (start and seeking and given == 0):
                    raise
                # Frames after a seek may refer to frames before it (an open GOP), which the decoder never
                # saw: the file is not damaged. It is decoded from the start to the same place instead.
                log.info("%s: cannot play on from %.1f s after a seek (%s): decoding up to it", self.key.path,
                         start, exc)
                seeking = False
                continue
            if paused:
                # The decoder is let go until the slot begins (another video may be playing meanwhile); then
                # the file is opened again and the frames already given are passed over.
                if not self._await_slot():
                    return
                jump = self._catch_up(slot, last)
            if jump is not None:
                sought_at = self.clock()
            if paused or jump is not None:
                play, start = jump if jump is not None else (play, 0.0)
                continue
            play, start = play + 1, 0.0
            if slot.position(play, 0) > slot.last_position:
                return

    def _catch_up(self, slot: Slot, last: int) -> tuple[int, float] | None:
        """Where to seek to, as (play, seconds into it), if the slot's clock is well past the last frame
        given (the box joined its sync group mid-video, or the slot began before the first frame was
        decoded, or the decoder fell far behind): where the clock will be once the decoder is there.
        None while the decoder keeps up, before the slot begins, and at its end."""
        with self._lock:
            starts = self._starts if self._begun else None
        if starts is None:
            return None
        elapsed = self.clock() - starts
        if elapsed - due_seconds(slot, max(0, last)) <= SEEK_AFTER_SECONDS:
            return None
        ahead = pick(slot, elapsed + self._lead)
        return None if ahead.over else (ahead.play, slot.clip.times[ahead.index])

    def _prerolled(self) -> bool:
        """The preroll's frames are ready and the slot has not begun."""
        with self._lock:
            return not self._begun and len(self._frames) >= self._room

    def _await_slot(self) -> bool:
        """Waits for `playing()`; False once the player is stopped."""
        with self._lock:
            while not self._begun and not self._stopping:
                self._lock.wait()
            return not self._stopping

    def _maker(self, matte: CaptionMatte) -> PixelMaker:
        def pixels(frame: Any, rotation: int, layout: Layout) -> mmap.mmap | memoryview:
            return screen_pixels(frame, rotation, layout, matte, lambda: self._buffer(layout.frame_bytes))
        return pixels

    def _buffer(self, size: int) -> mmap.mmap:
        with self._lock:
            while self._free:
                buffer = self._free.pop()
                if len(buffer) == size:
                    return buffer
        return mmap.mmap(-1, max(1, size))

    def _put(self, frame: VideoFrame) -> bool:
        """Queues the frame, waiting while the queue is full; False once the player is stopped."""
        with self._lock:
            while len(self._frames) >= self._room and not self._stopping:
                self._lock.wait()
            if self._stopping:
                return False
            self._frames.append(frame)
            return True


__all__ = ["QUEUE_FRAMES", "VideoFrame", "VideoPlayer"]
