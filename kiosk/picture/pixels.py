"""Picture-sized pixel buffers, kept out of the way of the memory allocator.

Finished frames (8 MB each at 1080p, 33 MB at 4K) live in anonymous
memory mappings of their own, not on the malloc heap: when the frame cache
lets one go, its memory goes straight back to the kernel. On the heap,
frames coming and going left holes that kept peak memory 30 to 70 MB
higher and different from run to run (`bench/perf.py`).

Pixels are packed into such buffers chunk by chunk with Pillow's raw
encoder (what `Image.tobytes` does inside), so no second picture-sized
`bytes` object is made on the way.
"""

from __future__ import annotations

import mmap

from PIL import Image, ImageFile

# Bytes per pixel of the raw modes frames and scaling use.
from kiosk.core.layout import BYTES_PER_PIXEL  # noqa: E402,F401 - the raw layouts a frame can have


def frame_buffer(picture: Image.Image, raw_mode: str) -> mmap.mmap:
    """The RGB picture's pixels in `raw_mode`, in a new anonymous mapping of exactly their size."""
    size = picture.width * picture.height * BYTES_PER_PIXEL[raw_mode]
    buffer = mmap.mmap(-1, max(1, size))
    pack_into(picture, raw_mode, buffer)
    return buffer


def pack_into(picture: Image.Image, raw_mode: str, buffer: bytearray | mmap.mmap) -> memoryview:
    """Writes the RGB picture's pixels as `raw_mode` at the start of `buffer`; returns a view of them.

    The bytes are those of `picture.tobytes("raw", raw_mode)`.
    """
    view = memoryview(buffer)
    encoder = _raw_encoder(picture, raw_mode)
    if encoder is None:
        data = picture.tobytes("raw", raw_mode)
        view[: len(data)] = data
        return view[: len(data)]
    try:
        chunk = max(ImageFile.MAXBLOCK, picture.width * 4)
        written = 0
        while True:
            _consumed, status, data = encoder.encode(chunk)
            view[written : written + len(data)] = data
            written += len(data)
            if status:
                break
        if status < 0:
            raise RuntimeError(f"Pillow's raw encoder failed with {status}")
    finally:
        encoder.cleanup()
    return view[:written]


def _raw_encoder(picture: Image.Image, raw_mode: str):  # noqa: ANN202 - Pillow's internal encoder type
    """Pillow's internal raw encoder set up on the picture, or None if this Pillow's differs.

    Then the public `tobytes` takes over: slower by its allocation, same bytes.
    """
    try:
        encoder = Image._getencoder(picture.mode, "raw", (raw_mode, 0, 1))
        encoder.setimage(picture.im, (0, 0, *picture.size))
    except (AttributeError, TypeError, ValueError, OSError):
        return None
    return encoder
