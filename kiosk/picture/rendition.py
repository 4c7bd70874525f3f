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


@dataclass(frozen=True)
class RenditionSettings:
    """The panels a rendition must cover (width, height), and the decode limit."""

    panels: tuple[tuple[int, int], ...] = ((1920, 1080),)
    max_pixels: int = 48_000_000

    def key(self) -> str:
        """Changes whenever a rendition made with these settings would differ."""
        text = f"v{RENDITION_VERSION};q{JPEG_QUALITY};" + ";".join(f"{w}x{h}" for w, h in sorted(set(self.panels)))
        return hashlib.sha256(text.encode("ascii")).hexdigest()[:16]


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


def make_rendition(path: Path, settings: RenditionSettings, root: Path | None = None) -> bytes:
    """The rendition's bytes; ContentError or PassingError as decode_picture raises them."""
    bound = (max(w for w, _h in settings.panels), max(h for _w, h in settings.panels))
    graphic = is_graphic(path.name)
    # A graphic keeps its transparency: each box lays it on its own background, as it would the original.
    picture = decode_picture(path, settings.max_pixels, screen=bound, cover=True, root=root,
                             background=None if graphic else (0, 0, 0))
    size = target_size(picture.size, settings.panels)
    if size != picture.size:
        picture = picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
    clean = Image.frombytes(picture.mode, picture.size, picture.tobytes())  # pixels only: no info, EXIF, profile
    out = io.BytesIO()
    if graphic:
        clean.save(out, format="WEBP", lossless=True, quality=80, method=4, exact=True)
    else:
        clean.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()
