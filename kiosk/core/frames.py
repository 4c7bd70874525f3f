"""Finished frames: what identifies one, what it holds, and the byte-bounded cache of them.

Pure data: the render loop keeps frames here; `kiosk.picture.prepare` makes them.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Collection, Protocol

from kiosk.core.layout import Layout
from kiosk.core.playlist import Entry
from kiosk.core.videoclock import VideoPlan

if TYPE_CHECKING:
    import mmap  # a frame's pixels may be a mapping the picture layer made; the core only holds it


@dataclass(frozen=True)
class FrameKey:
    """Identifies a frame: the same key always means the same pixels."""

    path: str
    version: tuple[int, int]
    caption: str
    kind: str
    layout: Layout
    video: VideoPlan | None = None  # a video: its frame is the first, and the slot plays the rest
    lang: str = ""  # the caption's language (BCP 47), from its sidecar


@dataclass(frozen=True)
class Frame:
    """A finished frame as raw bytes in the screen's pixel format, ready to become a surface.

    `data` is any bytes-like buffer; `prepare_frame` gives a memory mapping of
    its own (kiosk.picture.pixels), returned to the kernel when the frame is dropped.
    """

    key: FrameKey
    size: tuple[int, int]
    data: bytes | mmap.mmap

    @property
    def nbytes(self) -> int:
        return len(self.data)

    @property
    def pixel_format(self) -> str:
        """The Pillow raw mode of `data`: RGB, RGBX or BGRX."""
        return self.key.layout.pixel_format


class Pixels(Protocol):
    """Panel-sized pixels a screen can draw: a Frame, or one frame of a video playing."""

    @property
    def size(self) -> tuple[int, int]: ...
    @property
    def data(self) -> bytes | mmap.mmap | memoryview: ...
    @property
    def pixel_format(self) -> str: ...


def frame_key(entry: Entry, layout: Layout) -> FrameKey:
    return FrameKey(entry.path, entry.version, entry.caption, entry.kind, layout, entry.video, entry.lang)


class FrameCache:
    """Finished frames, least recently used first out, bounded in bytes."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._frames: OrderedDict[FrameKey, Frame] = OrderedDict()
        self._bytes = 0

    def get(self, key: FrameKey) -> Frame | None:
        frame = self._frames.get(key)
        if frame is not None:
            self._frames.move_to_end(key)
        return frame

    def put(self, frame: Frame, keep: Collection[FrameKey] = ()) -> None:
        """Adds a frame; the least recently used go to make room, but never one in `keep`
        (the next slide's: with room for two frames, a frame prepared ahead must not push it out)."""
        old = self._frames.pop(frame.key, None)
        if old is not None:
            self._bytes -= old.nbytes
        self._frames[frame.key] = frame
        self._bytes += frame.nbytes
        while self._bytes > self.max_bytes and len(self._frames) > 1:
            victim = next((key for key in self._frames if key not in keep and key != frame.key), None)
            if victim is None:
                break
            self._bytes -= self._frames.pop(victim).nbytes

    def put_spare(self, frame: Frame) -> bool:
        """Keeps a frame nobody asked to show yet, only if that evicts nothing; True if kept.

        Frames decoded to admit new files must never push out the next
        slide's prepared frame (a burst of 150 new photos would otherwise
        evict it again and again).
        """
        if frame.key in self._frames or self._bytes + frame.nbytes > self.max_bytes:
            return False
        self._frames[frame.key] = frame
        self._frames.move_to_end(frame.key, last=False)  # first out if room is needed
        self._bytes += frame.nbytes
        return True

    def discard_path(self, path: str) -> None:
        for key in [k for k in self._frames if k.path == path]:
            self._bytes -= self._frames.pop(key).nbytes

    def clear(self) -> None:
        self._frames.clear()
        self._bytes = 0

    def __contains__(self, key: FrameKey) -> bool:
        return key in self._frames

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes
