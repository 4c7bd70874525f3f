"""Composes the finished frame of a slide with Pillow: picture, caption, overlays.

Everything here runs on the decode worker (or in `kiosk snapshot`), never
on the render loop, so a frame arrives at the screen ready to blit. The
frame is composed upright at the size viewers see, then turned for screens
mounted in portrait.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from kiosk.core.assets import FALLBACK_FONT
from kiosk.core.rules import Colour
from kiosk.picture.glyphs import missing_characters
from kiosk.core.layout import Layout  # noqa: F401 - the layout a frame is composed for
from kiosk.picture.resample import resize, stretch

ELLIPSIS = "\u2026"
CAPTION_SHARE = 0.6  # of the screen's height, at most, for the caption band
_TRANSPOSE = {
    90: Image.Transpose.ROTATE_270,  # viewers' top is the panel's right edge
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_90,
}


class FontBook:
    """Loaded font sizes for one thread (FreeType faces are not shared across threads).

    The caption font comes first; `fallbacks` stand in for a paragraph with
    letters it cannot draw (NanumGothic has no Vietnamese letters with two
    diacritics, for one). Pillow has no per-letter font fallback, so a
    paragraph is drawn in the first font that has all its letters.
    """

    def __init__(self, path: Path, fallbacks: tuple[Path, ...] = (FALLBACK_FONT,)) -> None:
        self.path = path
        self.chain = (path, *(font for font in fallbacks if font != path))
        self._fonts: dict[tuple[Path, int], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}

    def at(self, pixels: int, path: Path | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        path = path or self.path
        font = self._fonts.get((path, pixels))
        if font is None:
            try:
                font = ImageFont.truetype(str(path), pixels)
            except OSError:
                # A missing font must not cost the show its pictures.
                font = ImageFont.load_default(pixels)
            self._fonts[(path, pixels)] = font
        return font

    def for_text(self, text: str, pixels: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        """The first font of the chain that draws every letter of `text`; else the caption font."""
        try:
            if len(self.chain) > 1 and missing_characters(text, self.path):
                for path in self.chain[1:]:
                    if not missing_characters(text, path):
                        return self.at(pixels, path)
        except (OSError, ValueError):
            pass  # an unreadable font file: Pillow's own default stands in via at()
        return self.at(pixels)


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


def wrap_text(text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: float) -> list[str]:
    """Greedy word wrap; words wider than a line are broken between characters."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            lines.append("")
            continue
        current = ""
        for word in words:
            candidate = f"{current} {word}" if current else word
            if font.getlength(candidate) <= max_width:
                current = candidate
                continue
            if current:
                lines.append(current)
            current = ""
            for char in word:
                if font.getlength(current + char) <= max_width or not current:
                    current += char
                else:
                    lines.append(current)
                    current = char
        lines.append(current)
    while lines and not lines[-1]:
        lines.pop()
    return lines


Line = tuple[str, "ImageFont.FreeTypeFont | ImageFont.ImageFont"]


def _wrap_paragraphs(text: str, fonts: FontBook, px: int, max_width: float) -> list[Line]:
    """Wrapped lines, each with the font its paragraph is drawn in."""
    lines: list[Line] = []
    for paragraph in text.split("\n"):
        font = fonts.for_text(paragraph, px)
        wrapped = wrap_text(paragraph, font, max_width)
        lines += [(line, font) for line in wrapped] if wrapped else [("", font)]
    while lines and not lines[-1][0]:
        lines.pop()
    return lines


def _fit_lines(text: str, fonts: FontBook, base_px: int, max_width: float, max_lines: int) -> tuple[list[Line], int]:
    """Wraps text at the base size, shrinking to 70% before cutting with an ellipsis."""
    px = base_px
    minimum = max(10, round(base_px * 0.7))
    while True:
        lines = _wrap_paragraphs(text, fonts, px, max_width)
        if len(lines) <= max_lines or px <= minimum:
            break
        px = max(minimum, round(px * 0.9))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        last, font = lines[-1]
        while last and font.getlength(last + ELLIPSIS) > max_width:
            last = last[:-1]
        lines[-1] = (last.rstrip() + ELLIPSIS, font)
    return lines, px


def _draw_band(
    frame: Image.Image, top: int, bottom: int, colour: Colour, opacity: float
) -> None:
    if bottom <= top or opacity <= 0:
        return
    box = (0, top, frame.width, bottom)
    region = frame.crop(box)
    shade = Image.new("RGB", region.size, colour)
    frame.paste(Image.blend(region, shade, opacity), box)


def _draw_lines(
    draw: ImageDraw.ImageDraw,
    lines: list[Line],
    line_height: int,
    centre_x: int,
    top: int,
    colour: Colour,
    outline: Colour,
) -> None:
    # A thin outline in the band colour keeps letters crisp over busy photos.
    stroke = max(1, round(line_height / 40))
    for index, (line, font) in enumerate(lines):
        draw.text(
            (centre_x, top + index * line_height), line, font=font, fill=colour, anchor="ma",
            stroke_width=stroke, stroke_fill=outline,
        )


def compose_frame(picture: Image.Image | None, caption: str, kind: str, layout: Layout, fonts: FontBook) -> Image.Image:
    """The finished frame for one slide, upright, at `layout.size`."""
    width, height = layout.size
    if picture is None:
        frame = Image.new("RGB", layout.size, layout.background)
    else:
        frame = fit_picture(picture, layout.size, layout.fit, layout.background)
    draw = ImageDraw.Draw(frame)
    base_px = layout.caption_px
    margin = max(8, round(base_px * 0.6))
    text_width = width - 4 * margin
    bottom = height

    if layout.footer:
        footer_px = max(10, round(base_px * 0.55))
        lines, px = _fit_lines(layout.footer, fonts, footer_px, text_width, 2)
        line_height = round(px * 1.3)
        top = bottom - len(lines) * line_height - margin
        _draw_band(frame, top, bottom, layout.band_color, min(1.0, layout.band_opacity + 0.2))
        _draw_lines(draw, lines, line_height, width // 2, top + margin // 2, layout.text_color, layout.band_color)
        bottom = top

    if layout.captions and caption.strip():
        # Never more lines than fit in the lower part of the screen, whatever the settings say.
        room = max(1, int((height * CAPTION_SHARE - 2 * margin) // round(base_px * 1.35)))
        lines, px = _fit_lines(caption, fonts, base_px, text_width, min(layout.max_lines, room))
        line_height = round(px * 1.35)
        top = bottom - len(lines) * line_height - 2 * margin
        _draw_band(frame, top, bottom, layout.band_color, layout.band_opacity)
        _draw_lines(draw, lines, line_height, width // 2, top + margin, layout.text_color, layout.band_color)

    if layout.title and kind == "answer":
        title_px = max(10, round(base_px * 0.85))
        lines, px = _fit_lines(layout.title, fonts, title_px, text_width, 3)
        line_height = round(px * 1.3)
        band_bottom = len(lines) * line_height + 2 * margin
        _draw_band(frame, 0, band_bottom, layout.band_color, layout.band_opacity)
        _draw_lines(draw, lines, line_height, width // 2, margin, layout.text_color, layout.band_color)
    return frame


def to_panel(frame: Image.Image, rotation: int) -> Image.Image:
    """Turns an upright frame the way the panel is mounted."""
    transpose = _TRANSPOSE.get(rotation)
    return frame if transpose is None else frame.transpose(transpose)
