"""A decoded video frame made into what the panel shows: stood upright, fitted, captioned, packed.

A video slide's frames carry the same caption band, title and footer as a
picture slide's (kiosk.picture.compose). Laying the text out again for each
of 30 frames a second would cost more than decoding them, so the overlay is
composed once, twice over: on a black frame (B) and on a white one (W).
Everything compose_frame draws is an alpha blend over the picture, so at
each pixel the composed frame is `B + picture × (W − B) / 255`: a matte.
`CaptionMatte` keeps the two only for the rows the overlay touches, and
applies them with Pillow's own per-pixel operations.
"""

from __future__ import annotations

import mmap
from collections.abc import Callable
from dataclasses import dataclass

import av
from PIL import Image, ImageChops

from kiosk.core.layout import BYTES_PER_PIXEL, Layout
from kiosk.core.videofacts import fitted_size
from kiosk.picture.compose import compose_frame, fit_picture, to_panel
from kiosk.picture.fonts import FontBook
from kiosk.picture.pixels import frame_buffer, pack_into

# Quarter turns clockwise that stand a stored frame upright, as Pillow transposes.
_UPRIGHT = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


@dataclass(frozen=True)
class _Band:
    """Rows `top` to `bottom` of the frame that the overlay changes: B and W − B over them."""

    top: int
    bottom: int
    black: Image.Image
    gain: Image.Image
    packed_black: Image.Image  # the same two with their bytes in the panel's pixel format, for packed frames
    packed_gain: Image.Image


class CaptionMatte:
    """The slide's overlay (caption band, title, footer) as a matte any frame of the video goes under."""

    def __init__(self, caption: str, kind: str, layout: Layout, fonts: FontBook, lang: str = "") -> None:
        black = compose_frame(Image.new("RGB", layout.size, (0, 0, 0)), caption, kind, layout, fonts, lang)
        white = compose_frame(Image.new("RGB", layout.size, (255, 255, 255)), caption, kind, layout, fonts, lang)
        gain = ImageChops.subtract(white, black)
        # A row is the overlay's where B is not black or W − B is not white.
        touched = ImageChops.lighter(black, ImageChops.invert(gain)).convert("L")
        rows = touched.getprojection()[1]  # per row: 1 if any pixel is touched
        bands: list[_Band] = []
        top: int | None = None
        for row, value in enumerate([*rows, 0]):
            if value and top is None:
                top = row
            elif not value and top is not None:
                box = (0, top, layout.size[0], row)
                bands.append(_Band(top, row, black.crop(box), gain.crop(box), _packed(black.crop(box), layout),
                                   _packed(gain.crop(box), layout)))
                top = None
        self.bands = tuple(bands)

    def apply(self, picture: Image.Image) -> Image.Image:
        """The picture (fitted, at the layout's size) with the overlay over it, in place."""
        for band in self.bands:
            box = (0, band.top, picture.width, band.bottom)
            region = ImageChops.add(ImageChops.multiply(picture.crop(box), band.gain), band.black)
            picture.paste(region, box)
        return picture

    def apply_packed(self, buffer: mmap.mmap | memoryview, layout: Layout) -> None:
        """The overlay over a frame already packed in the panel's pixel format (upright, unturned), in place.

        Multiply and add work byte by byte, so the bands packed in the same
        byte order give the same result as `apply` does on the picture."""
        width = layout.size[0]
        row_bytes = width * BYTES_PER_PIXEL[layout.pixel_format]
        view = memoryview(buffer)
        for band in self.bands:
            start, end = band.top * row_bytes, band.bottom * row_bytes
            region = Image.frombytes(band.packed_black.mode, band.packed_black.size, bytes(view[start:end]))
            view[start:end] = ImageChops.add(ImageChops.multiply(region, band.packed_gain), band.packed_black).tobytes()


def _packed(picture: Image.Image, layout: Layout) -> Image.Image:
    """The RGB picture's bytes in the panel's pixel format, held as an image of as many channels."""
    mode = "RGB" if BYTES_PER_PIXEL[layout.pixel_format] == 3 else "RGBX"
    return Image.frombytes(mode, picture.size, picture.tobytes("raw", layout.pixel_format))


# FFmpeg's names for the panel's pixel formats: its scaler can write them directly.
_FFMPEG_FORMATS = {"BGRX": "bgr0", "RGBX": "rgb0", "RGB": "rgb24"}


def upright_picture(frame: av.VideoFrame, rotation: int) -> Image.Image:
    """A decoded frame at its own size, stood upright: a video's poster before it is composed."""
    picture = frame.to_image()
    transpose = _UPRIGHT.get(rotation)
    return picture if transpose is None else picture.transpose(transpose)


def fitted_picture(frame: av.VideoFrame, rotation: int, layout: Layout) -> Image.Image:
    """A decoded frame stood upright and fitted to the layout as a picture is, as viewers see it.

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
    if picture.size == layout.size:
        return picture
    return fit_picture(picture, layout.size, layout.fit, layout.background)


def panel_pixels(frame: av.VideoFrame, rotation: int, layout: Layout) -> mmap.mmap:
    """A decoded frame stood upright, fitted to the layout as a picture is, turned for the panel and
    packed in its pixel format."""
    return frame_buffer(to_panel(fitted_picture(frame, rotation, layout), layout.rotation), layout.pixel_format)


def screen_pixels(frame: av.VideoFrame, rotation: int, layout: Layout, matte: CaptionMatte | None,
                  buffer: Callable[[], mmap.mmap]) -> mmap.mmap | memoryview:
    """As `panel_pixels`, with the slide's overlay: the pixels of the scaler's own frame where it made
    exactly the panel's (no copy), else packed into a `buffer()` the player reuses.

    The usual case (a frame stored upright, a panel not turned, and `cover`
    or a video of the panel's shape, as a rendition for it is) goes the
    short way: FFmpeg's scaler writes the panel's pixel format at the
    covering size, and the overlay goes over the packed bytes. A video at the
    panel's size (a rendition for it) is then handed on in the frame FFmpeg
    made; one larger is cropped into the buffer (bench/video.py plays 1080p30
    this way)."""
    packed = _packed_directly(frame, rotation, layout, buffer)
    if packed is None:
        picture = fitted_picture(frame, rotation, layout)
        if matte is not None:
            picture = matte.apply(picture)
        packed = buffer()
        pack_into(to_panel(picture, layout.rotation), layout.pixel_format, packed)
        return packed
    if matte is not None:
        matte.apply_packed(packed, layout)
    return packed


def _packed_directly(frame: av.VideoFrame, rotation: int, layout: Layout,
                     buffer: Callable[[], mmap.mmap]) -> mmap.mmap | memoryview | None:
    """The short way of `screen_pixels`, without the overlay; None where it does not apply."""
    fmt = _FFMPEG_FORMATS.get(layout.pixel_format)
    if fmt is None or rotation or layout.rotation:
        return None
    if layout.fit != "cover" and fitted_size((frame.width, frame.height), layout.size, "contain") != layout.size:
        return None  # bars or a blurred background around it: the long way
    width, height = layout.size
    scaled_w, scaled_h = fitted_size((frame.width, frame.height), layout.size, "cover")
    scaled = frame.reformat(width=scaled_w, height=scaled_h, format=fmt, interpolation="BILINEAR")
    plane = scaled.planes[0]
    pixel = BYTES_PER_PIXEL[layout.pixel_format]
    line, row = plane.line_size, width * pixel
    left, top = (scaled_w - width) // 2 * pixel, (scaled_h - height) // 2
    source = memoryview(plane).cast("B")  # keeps the plane, and so its frame, alive
    # The panel's pixels already, rows unpadded: handed on without a copy, unless the scaler had nothing to
    # do and gave back the decoder's own frame, which the matte must not draw on (a codec may predict the
    # next frame from it).
    if line == row and left == 0 and top == 0 and scaled is not frame:
        return source[: height * row]
    target = buffer()
    view = memoryview(target)
    if line == row and left == 0:
        view[: height * row] = source[top * line: (top + height) * line]
    else:
        for y in range(height):
            at = (top + y) * line + left
            view[y * row: (y + 1) * row] = source[at: at + row]
    return target


__all__ = ["CaptionMatte", "fitted_picture", "panel_pixels", "screen_pixels", "upright_picture"]
