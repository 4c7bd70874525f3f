"""What `kiosk publish` sends instead of a phone's original: upright, sRGB, panel-sized, no metadata.

A 12-megapixel phone photo is 4 to 5 MB, carries the phone's position and
serial number in its EXIF block, may be HEIC (which older tools cannot
read) and is tagged Display P3. The boxes show 2 megapixels of it. So the
publishing machine decodes each picture once (kiosk.picture.decoder: bomb
and truncation rules, EXIF orientation, colour profile to sRGB), scales it
so that it still covers every panel of the fleet in every fit mode, and
encodes it anew with nothing but pixels: no EXIF, XMP, ICC profile, comment
or maker notes. Photos become JPEG at quality 90, graphics (PNG, GIF, BMP
sources) lossless WebP, transparency kept. The name keeps its stem, so
sidecars still match.
"""

from __future__ import annotations

import hashlib
import io
import math
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from kiosk.core.catalogue import picture_stem
from kiosk.picture.decoder import decode_picture

JPEG_QUALITY = 90  # visually lossless on a 1080p panel at viewing distance (docs/content.md)
GRAPHIC_SUFFIXES = (".png", ".gif", ".bmp")
RENDITION_VERSION = 2  # bumped when the recipe changes: every rendition is made anew
# The encoders' own limits, pixels per side: libwebp's 16,383 and libjpeg's 65,500 (not 65,535).
# A picture that would be larger is scaled down to fit: it covers the panels as far as the format allows.
MAX_SIDES = (("JPEG", 65_500), ("WEBP", 16_383))


@dataclass(frozen=True)
class RenditionSettings:
    """The panels a rendition must cover (width, height), and the decode limit."""

    panels: tuple[tuple[int, int], ...] = ((1920, 1080),)
    max_pixels: int = 48_000_000
    max_sides: tuple[tuple[str, int], ...] = MAX_SIDES  # (format, largest side) each encoder accepts

    def key(self) -> str:
        """Changes whenever a rendition made with these settings would differ."""
        text = f"v{RENDITION_VERSION};q{JPEG_QUALITY};" + ";".join(f"{w}x{h}" for w, h in sorted(set(self.panels)))
        if self.max_sides != MAX_SIDES:  # the usual limits leave the keys of renditions made before them alone
            text += ";" + ";".join(f"{name}<={side}" for name, side in self.max_sides)
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]

    def max_side(self, fmt: str) -> int | None:
        """The largest side the encoder of `fmt` accepts; None if it has no limit here."""
        return next((side for name, side in self.max_sides if name == fmt), None)


def with_rotations(size: tuple[int, int], rotations: set[int]) -> tuple[tuple[int, int], ...]:
    """The panel as each rotation in the fleet presents it: a quarter turn swaps width and height."""
    width, height = size
    panels = {(width, height)} if not rotations or rotations & {0, 180} else set()
    if rotations & {90, 270}:
        panels.add((height, width))
    return tuple(sorted(panels))


def is_graphic(path: str) -> bool:
    """PNG, GIF and BMP: drawn, not photographed; their renditions stay lossless."""
    return path.lower().endswith(GRAPHIC_SUFFIXES)


def rendition_name(path: str) -> str:
    """The rendition's path: the same stem, `.jpg` for photos and `.webp` for graphics."""
    return picture_stem(path) + (".webp" if is_graphic(path) else ".jpg")


def target_size(size: tuple[int, int], panels: tuple[tuple[int, int], ...]) -> tuple[int, int]:
    """The smallest size at which the picture still covers every panel (never larger than it is)."""
    width, height = size
    scale = min(1.0, max(max(pw / width, ph / height) for pw, ph in panels))
    return max(1, math.ceil(width * scale - 1e-9)), max(1, math.ceil(height * scale - 1e-9))


def within(size: tuple[int, int], max_side: int | None) -> tuple[int, int]:
    """`size` scaled down, keeping its shape, until neither side is over `max_side`."""
    width, height = size
    if max_side is None or max(width, height) <= max_side:
        return size
    scale = max_side / max(width, height)
    return min(max_side, max(1, round(width * scale))), min(max_side, max(1, round(height * scale)))


def make_rendition(path: Path, settings: RenditionSettings, root: Path | None = None) -> bytes:
    """The rendition's bytes.

    Raises ContentError or PassingError as decode_picture does; the encoders
    (Pillow, libwebp, libjpeg) may raise anything else, which the caller
    takes as this one file's failure.
    """
    bound = (max(w for w, _h in settings.panels), max(h for _w, h in settings.panels))
    graphic = is_graphic(path.name)
    # A graphic keeps its transparency: each box lays it on its own background, as it would the original.
    picture = decode_picture(path, settings.max_pixels, screen=bound, cover=True, root=root,
                             background=None if graphic else (0, 0, 0))
    size = within(target_size(picture.size, settings.panels), settings.max_side("WEBP" if graphic else "JPEG"))
    if size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())  # pixels only: no info, EXIF, profile
    out = io.BytesIO()
    if graphic:
        clean.save(out, format="WEBP", lossless=True, quality=80, method=4, exact=True)
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
