"""Turning a playlist entry into a finished frame, and the byte-bounded frame cache.

`prepare_frame` is the whole decode-and-compose pipeline as one plain
function: the decode worker runs it off the render loop, and `kiosk
snapshot` runs it directly, so both show exactly the same pixels.
"""

from __future__ import annotations

import mmap
from collections import OrderedDict
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from kiosk.compose import FontBook, Layout, compose_frame, to_panel
from kiosk.config import ASSETS_DIR
from kiosk.decoder import decode_picture
from kiosk.errors import ContentError, PassingError
from kiosk.pixels import frame_buffer
from kiosk.playlist import Entry

FALLBACK_PICTURE = ASSETS_DIR / "fallback.png"


@dataclass(frozen=True)
class FrameKey:
    """Identifies a frame: the same key always means the same pixels."""

    path: str
    version: tuple[int, int]
    caption: str
    kind: str
    layout: Layout


@dataclass(frozen=True)
class Frame:
    """A finished frame as raw bytes in the screen's pixel format, ready to become a surface.

    `data` is any bytes-like buffer; `prepare_frame` gives a memory mapping of
    its own (kiosk.pixels), returned to the kernel when the frame is dropped.
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


def frame_key(entry: Entry, layout: Layout) -> FrameKey:
    return FrameKey(entry.path, entry.version, entry.caption, entry.kind, layout)


def prepare_frame(
    key: FrameKey,
    slide_folder: Path,
    fonts: FontBook,
    max_pixels: int,
    fallback_picture: Path = FALLBACK_PICTURE,
) -> Frame:
    """Decodes and composes one slide; raises ContentError if its file is unusable.

    The fallback slide never fails: without its picture it is composed on
    the background colour.
    """
    layout = key.layout
    if key.kind == "fallback":
        try:
            picture: Image.Image | None = decode_picture(fallback_picture, max_pixels, layout.size, layout.background)
        except (ContentError, PassingError):
            picture = None
        caption = key.caption or ("" if picture is not None else "International Migrants Day\n세계 이주민의 날")
        image = compose_frame(picture, caption, key.kind, _fallback_layout(layout, picture), fonts)
    elif key.kind == "off":
        # The schedule's off slide: a whole picture, nothing drawn over it.
        picture = decode_picture(Path(key.path), max_pixels, layout.size, layout.background)
        plain = replace(layout, fit="contain", title="", footer="", captions=False)
        image = compose_frame(picture, "", key.kind, plain, fonts)
    else:
        picture = decode_picture(
            slide_folder / key.path, max_pixels, layout.size, layout.background, cover=layout.fit == "cover",
            root=slide_folder,
        )
        image = compose_frame(picture, key.caption, key.kind, layout, fonts)
    panel = to_panel(image, layout.rotation)
    return Frame(key, panel.size, frame_buffer(panel, layout.pixel_format))


def _fallback_layout(layout: Layout, picture: Image.Image | None) -> Layout:
    # The fallback picture is a designed card: show it whole, never cropped.
    return replace(layout, fit="contain" if picture is not None else layout.fit, title="")


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

    def put(self, frame: Frame) -> None:
        old = self._frames.pop(frame.key, None)
        if old is not None:
            self._bytes -= old.nbytes
        self._frames[frame.key] = frame
        self._bytes += frame.nbytes
        while self._bytes > self.max_bytes and len(self._frames) > 1:
            _key, evicted = self._frames.popitem(last=False)
            self._bytes -= evicted.nbytes

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
