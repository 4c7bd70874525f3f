"""Composes the finished frame of a slide with Pillow: picture, caption, overlays.

Everything here runs on the decode worker (or in `kiosk snapshot`), never
on the render loop, so a frame arrives at the screen ready to blit. The
frame is composed upright at the size viewers see, then turned for screens
mounted in portrait.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFilter

from kiosk.core.layout import Layout
from kiosk.core.rules import Colour
from kiosk.picture.fonts import FontBook
from kiosk.picture.resample import resize, stretch
from kiosk.picture.textfit import Limits, TextFit, band_margin, caption_limits, draw_fit, fit_text, outline

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
    canvas = _blurred_backdrop(picture, size) if fit == "blur" else Image.new("RGB", size, background)
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


@dataclass(frozen=True)
class Band:
    """A band of text over the picture: rows `top` to `bottom`, the text fitted in it from `text_top`."""

    top: int
    bottom: int
    text_top: int
    fit: TextFit
    opacity: float
    stroke: int


def overlay_bands(caption: str, kind: str, layout: Layout, fonts: FontBook, lang: str = "") -> list[Band]:
    """The bands a slide's frame carries (footer, caption, title), where they are and what shows in them:
    what the frame draws, and what `kiosk check` reports."""
    width, height = layout.size
    base_px = layout.caption_px
    margin = band_margin(base_px)
    text_width = width - 4 * margin
    bottom = height
    bands: list[Band] = []
    if layout.footer:
        footer_px = max(10, round(base_px * 0.55))
        limits = Limits(footer_px, max(10, round(footer_px * 0.7)), text_width, 2, height * 0.2, outline(footer_px))
        fit = fit_text(layout.footer, fonts, limits)
        top = bottom - fit.height - margin
        bands.append(Band(top, bottom, top + margin // 2, fit, min(1.0, layout.band_opacity + 0.2), limits.stroke))
        bottom = top
    if layout.captions and caption.strip():
        limits = caption_limits(layout)
        fit = fit_text(caption, fonts, limits, lang)
        if fit.lines:
            top = bottom - fit.height - 2 * margin
            bands.append(Band(top, bottom, top + margin, fit, layout.band_opacity, limits.stroke))
    if layout.title and kind == "answer":
        title_px = max(10, round(base_px * 0.85))
        limits = Limits(title_px, max(10, round(title_px * 0.7)), text_width, 3, height * 0.25, outline(title_px))
        fit = fit_text(layout.title, fonts, limits)
        bands.append(Band(0, fit.height + 2 * margin, margin, fit, layout.band_opacity, limits.stroke))
    return bands


def _text_band(frame: Image.Image, band: Band, layout: Layout, fonts: FontBook) -> None:
    """Shades the band and draws its lines in it, clipped to it.

    Drawn on the band's own copy: no mark stacked on a letter, however high,
    can reach the photo above it.
    """
    top, bottom = max(0, band.top), min(frame.height, band.bottom)
    if bottom <= top:
        return
    box = (0, top, frame.width, bottom)
    region = frame.crop(box)
    if band.opacity > 0:
        region = Image.blend(region, Image.new("RGB", region.size, layout.band_color), band.opacity)
    draw_fit(ImageDraw.Draw(region), band.fit, fonts, frame.width / 2, band.text_top - top, layout.text_color,
             band.stroke, layout.band_color)
    frame.paste(region, box)


def compose_frame(picture: Image.Image | None, caption: str, kind: str, layout: Layout, fonts: FontBook,
                  lang: str = "") -> Image.Image:
    """The finished frame for one slide, upright, at `layout.size`."""
    if picture is None:
        frame = Image.new("RGB", layout.size, layout.background)
    else:
        frame = fit_picture(picture, layout.size, layout.fit, layout.background)
    for band in overlay_bands(caption, kind, layout, fonts, lang):
        _text_band(frame, band, layout, fonts)
    return frame


def to_panel(frame: Image.Image, rotation: int) -> Image.Image:
    """Turns an upright frame the way the panel is mounted."""
    transpose = _TRANSPOSE.get(rotation)
    return frame if transpose is None else frame.transpose(transpose)


def to_viewers(panel: Image.Image, rotation: int) -> Image.Image:
    """Turns what the panel shows back the way the public sees it (the inverse of to_panel)."""
    transpose = _TRANSPOSE.get((360 - rotation) % 360)
    return panel if transpose is None else panel.transpose(transpose)
