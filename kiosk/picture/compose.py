"""Composes the finished frame of a slide with Pillow: picture, caption, overlays.

Everything here runs on the decode worker (or in `kiosk snapshot`), never
on the render loop, so a frame arrives at the screen ready to blit. The
frame is composed upright at the size viewers see, then turned for screens
mounted in portrait.
"""

from __future__ import annotations


from PIL import Image, ImageDraw, ImageFilter

from kiosk.core.layout import Layout
from kiosk.core.rules import Colour
from kiosk.picture.fonts import FontBook
from kiosk.picture.resample import resize, stretch
from kiosk.picture.textlayout import Line, draw_line, fit_lines

CAPTION_SHARE = 0.6  # of the screen's height, at most, for the caption band
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # viewers' top is the panel's right edge
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


def fit_picture(picture: Image.Image, size: tuple[int, int], fit: str, background: Colour) -> Image.Image:
    """Scales the picture onto a canvas of `size` by the fit mode."""
    width, height = size
    src_w, src_h = picture.size
    if fit == "cover":
        # Crop the source to the screen's shape first, so only kept pixels are scaled.
        scale = max(width / src_w, height / src_h)
        crop_w = min(src_w, max(1, round(width / scale)))
        crop_h = min(src_h, max(1, round(height / scale)))
        left = (src_w - crop_w) // 2
        top = (src_h - crop_h) // 2
        return resize(picture, size, (left, top, left + crop_w, top + crop_h))
    scale = min(width / src_w, height / src_h)
    fitted = resize(picture, (max(1, round(src_w * scale)), max(1, round(src_h * scale))))
    if fit == "blur":
        canvas = _blurred_backdrop(picture, size)
    else:
        canvas = Image.new("RGB", size, background)
    canvas.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
    return canvas


def _blurred_backdrop(picture: Image.Image, size: tuple[int, int]) -> Image.Image:
    """A dimmed, heavily blurred cover-fit copy: fills the bars around portrait photos."""
    width, height = size
    small_w = max(8, width // 16)
    small_h = max(8, height // 16)
    scale = max(small_w / picture.width, small_h / picture.height)
    small = picture.resize(
        (max(1, round(picture.width * scale)), max(1, round(picture.height * scale))),
        Image.Resampling.BILINEAR,
        reducing_gap=2.0,
    )
    left = (small.width - small_w) // 2
    top = (small.height - small_h) // 2
    small = small.crop((left, top, left + small_w, top + small_h)).filter(ImageFilter.GaussianBlur(2))
    # Dimmed while small, then enlarged: the same picture for a fraction of the work.
    small = Image.blend(small, Image.new("RGB", small.size, (0, 0, 0)), 0.45)
    return stretch(small, size)


def _text_band(
    frame: Image.Image, top: int, bottom: int, layout: Layout, opacity: float,
    lines: list[Line], fonts: FontBook, px: int, line_height: int, text_top: int,
) -> None:
    """Shades the band from `top` to `bottom` and draws the lines in it, clipped to it.

    Drawn on the band's own copy: no mark stacked on a letter, however high,
    can reach the photo above it.
    """
    top, bottom = max(0, top), min(frame.height, bottom)
    if bottom <= top:
        return
    box = (0, top, frame.width, bottom)
    band = frame.crop(box)
    if opacity > 0:
        band = Image.blend(band, Image.new("RGB", band.size, layout.band_color), opacity)
    draw = ImageDraw.Draw(band)
    # A thin outline in the band colour keeps letters crisp over busy photos.
    stroke = max(1, round(line_height / 40))
    for index, line in enumerate(lines):
        draw_line(draw, line, fonts, px, frame.width / 2, text_top - top + index * line_height,
                  layout.text_color, stroke, layout.band_color)
    frame.paste(band, box)


def compose_frame(picture: Image.Image | None, caption: str, kind: str, layout: Layout, fonts: FontBook) -> Image.Image:
    """The finished frame for one slide, upright, at `layout.size`."""
    width, height = layout.size
    if picture is None:
        frame = Image.new("RGB", layout.size, layout.background)
    else:
        frame = fit_picture(picture, layout.size, layout.fit, layout.background)
    base_px = layout.caption_px
    margin = max(8, round(base_px * 0.6))
    text_width = width - 4 * margin
    bottom = height

    if layout.footer:
        footer_px = max(10, round(base_px * 0.55))
        lines, px = fit_lines(layout.footer, fonts, footer_px, text_width, 2)
        line_height = round(px * 1.3)
        top = bottom - len(lines) * line_height - margin
        _text_band(frame, top, bottom, layout, min(1.0, layout.band_opacity + 0.2), lines, fonts, px,
                   line_height, top + margin // 2)
        bottom = top

    if layout.captions and caption.strip():
        # Never more lines than fit in the lower part of the screen, whatever the settings say.
        room = max(1, int((height * CAPTION_SHARE - 2 * margin) // round(base_px * 1.35)))
        lines, px = fit_lines(caption, fonts, base_px, text_width, min(layout.max_lines, room))
        line_height = round(px * 1.35)
        top = bottom - len(lines) * line_height - 2 * margin
        _text_band(frame, top, bottom, layout, layout.band_opacity, lines, fonts, px, line_height, top + margin)

    if layout.title and kind == "answer":
        title_px = max(10, round(base_px * 0.85))
        lines, px = fit_lines(layout.title, fonts, title_px, text_width, 3)
        line_height = round(px * 1.3)
        band_bottom = len(lines) * line_height + 2 * margin
        _text_band(frame, 0, band_bottom, layout, layout.band_opacity, lines, fonts, px, line_height, margin)
    return frame


def to_panel(frame: Image.Image, rotation: int) -> Image.Image:
    """Turns an upright frame the way the panel is mounted."""
    transpose = _TRANSPOSE.get(rotation)
    return frame if transpose is None else frame.transpose(transpose)


def to_viewers(panel: Image.Image, rotation: int) -> Image.Image:
    """Turns what the panel shows back the way the public sees it (the inverse of to_panel)."""
    transpose = _TRANSPOSE.get((360 - rotation) % 360)
    return panel if transpose is None else panel.transpose(transpose)
