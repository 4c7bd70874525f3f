"""The one resize of every slide: a decoded picture to its size on screen.

Camera photos arrive from JPEG `draft()` at 1 to 2 times their final size,
so nearly every slide is a reduction by a small ratio. For reductions the
pixels go through pygame's `smoothscale`, which averages every source pixel
into the destination by the area it covers (the filter image libraries
recommend for shrinking, OpenCV's INTER_AREA) in SIMD code: on a
2000x1500 picture it takes about a sixth of the time of Pillow's cheapest
filter (`bench/decode.py`). It works fastest on 32-bit pixels (24-bit ones
are widened first, at five times the cost), hence RGBX both ways. Its
fixed-point sums round down, so a reduction comes out up to 2 levels of 255
darker: under 1%, below what an eye can tell.

Both the packed source and the scaled result live in buffers each thread
keeps and reuses. A fresh 12 MB buffer per slide costs thousands of page
faults, which on the benchmark machine took longer than the scaling itself.
Buffers are kept up to 16 MB each, enough for a 1080p screen; the larger
ones a 4K screen needs are taken fresh each time rather than held all day.

Enlarging a sharp picture (a small photo on a big screen) is rare and
cheap, and there Pillow's bicubic filter looks better than the bilinear one
smoothscale uses. Enlarging a soft one (the blurred backdrop, 16 times)
goes through smoothscale too: there the two filters look the same, and
smoothscale takes under 1 ms where Pillow takes 18.

This module touches pygame surfaces in memory only, never the display, so
the decode worker may call it.
"""

from __future__ import annotations

import os
import threading

from PIL import Image

from kiosk.picture.pixels import BYTES_PER_PIXEL, pack_into

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

Box = tuple[int, int, int, int]
_BYTES_PER_PIXEL = BYTES_PER_PIXEL["RGBX"]
KEPT_BUFFER_BYTES = 16 * 1024 * 1024  # per buffer and thread; a 2000x1500 draft is 12 MB


def resize(picture: Image.Image, size: tuple[int, int], box: Box | None = None) -> Image.Image:
    """The RGB `picture` (or its `box` region: left, top, right, bottom) scaled to exactly `size`."""
    _check(picture, size)
    width, height = size
    left, top, right, bottom = box if box is not None else (0, 0, picture.width, picture.height)
    src_w, src_h = right - left, bottom - top
    if (src_w, src_h) == size:
        return picture.crop((left, top, right, bottom)) if box is not None else picture.copy()
    if width <= src_w and height <= src_h:
        return _scratch().smoothscale(picture, size, (left, top, src_w, src_h))
    return picture.resize(size, Image.Resampling.BICUBIC, box=(left, top, right, bottom))


def stretch(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A soft RGB picture, such as a blurred one, enlarged or reduced to `size` with bilinear smoothing."""
    _check(picture, size)
    return _scratch().smoothscale(picture, size, (0, 0, picture.width, picture.height))


def _check(picture: Image.Image, size: tuple[int, int]) -> None:
    if picture.mode != "RGB":
        raise ValueError(f"expected an RGB picture, not {picture.mode}")
    if size[0] < 1 or size[1] < 1:
        raise ValueError(f"cannot scale to {size[0]}x{size[1]}")


class _Scratch:
    """One thread's reusable pixel buffers for `smoothscale`."""

    def __init__(self) -> None:
        self.source = bytearray()
        self.result = bytearray()

    def smoothscale(self, picture: Image.Image, size: tuple[int, int], rect: Box) -> Image.Image:
        """`rect` (left, top, width, height) of the picture, scaled to `size`."""
        packed = pack_into(picture, "RGBX", _grown(self, "source", picture.width * picture.height))
        source = pygame.image.frombuffer(packed, picture.size, "RGBX")
        if rect != (0, 0, picture.width, picture.height):
            source = source.subsurface(rect)
        result_bytes = memoryview(_grown(self, "result", size[0] * size[1]))[: size[0] * size[1] * _BYTES_PER_PIXEL]
        result = pygame.image.frombuffer(result_bytes, size, "RGBX")
        pygame.transform.smoothscale(source, size, result)
        return Image.frombytes("RGB", size, result_bytes, "raw", "RGBX")


def _grown(scratch: _Scratch, name: str, pixels: int) -> bytearray:
    """The thread's buffer called `name` if it holds `pixels`, grown if it may; else a fresh one."""
    buffer: bytearray = getattr(scratch, name)
    needed = pixels * _BYTES_PER_PIXEL
    if len(buffer) >= needed:
        return buffer
    buffer = bytearray(needed)
    if needed <= KEPT_BUFFER_BYTES:
        setattr(scratch, name, buffer)
    return buffer


_local = threading.local()


def _scratch() -> _Scratch:
    scratch = getattr(_local, "scratch", None)
    if scratch is None:
        scratch = _local.scratch = _Scratch()
    return scratch
