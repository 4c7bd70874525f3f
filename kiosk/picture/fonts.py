"""The chain of fonts a caption is drawn from, and which font draws which piece of it.

`captions.font` comes first (Nanum Gothic by default: Hangul and Latin),
then Noto Sans (every Latin letter, Vietnamese included, Greek and
Cyrillic), then one Noto font per script the kiosk's answers come in (Thai,
Khmer, Myanmar, Sinhala, Devanagari, Bengali, Arabic for Urdu, Hebrew), then
the system's Noto Sans CJK for Chinese. A font is chosen for a run of one
script at a time (a Vietnamese phrase is drawn in one font, not letter by
letter), else for a word, else for each grapheme cluster, so a letter never
falls back alone unless no font has its whole word. `kiosk check` asks the
same question the drawing asks, so what it reports is what would show as
an empty box.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

from kiosk.core.assets import CJK_FACE, FALLBACK_FONT, SCRIPT_FONTS, SYSTEM_CJK_FONTS
from kiosk.picture.glyphs import font_codepoints

# Drawn as nothing, or only shaping hints: never a reason to change font.
_IGNORABLE = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x200B, 0x200C, 0x200D, 0x200E, 0x200F, 0x2060, 0xFEFF]
    + list(range(0xFE00, 0xFE10)) + list(range(0xE0100, 0xE01F0))
)
RAQM = features.check("raqm")  # HarfBuzz shaping and FriBiDi: Pillow's wheels carry it, with libfribidi0


@dataclass(frozen=True)
class Face:
    """One font: a file, and the face in it (collections such as Noto Sans CJK hold several)."""

    path: Path
    index: int = 0


@lru_cache(maxsize=1)
def default_fallbacks() -> tuple[Face, ...]:
    """The bundled fonts and the system's CJK font, those that are present."""
    faces = [Face(FALLBACK_FONT)] + [Face(path) for path in SCRIPT_FONTS if path.is_file()]
    cjk = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)
    if cjk is not None:
        faces.append(Face(cjk, CJK_FACE))
    return tuple(faces)


def script_of(char: str) -> str | None:
    """The script of a letter (LATIN, HANGUL, THAI, ...), or None for spaces, digits, punctuation and marks."""
    if not unicodedata.category(char).startswith("L"):
        return None
    name = unicodedata.name(char, "")
    word = name.split(" ", 1)[0]
    if word in ("CJK", "HIRAGANA", "KATAKANA", "IDEOGRAPHIC"):
        return "HAN"
    return word or None


def drawn(text: str) -> list[int]:
    """The code points of `text` that need a glyph (not spaces, joiners or variation selectors)."""
    return [ord(char) for char in text if ord(char) not in _IGNORABLE and not char.isspace()]


class FontBook:
    """The font chain at the sizes asked for, for one thread (FreeType faces are not shared across threads)."""

    def __init__(self, path: Path, fallbacks: tuple[Face, ...] | None = None) -> None:
        self.path = path
        first = Face(path)
        self.chain: tuple[Face, ...] = (first, *(face for face in (fallbacks or default_fallbacks()) if face != first))
        self._fonts: dict[tuple[Face, int], ImageFont.FreeTypeFont | ImageFont.ImageFont] = {}
        self._covers: dict[Face, frozenset[int]] = {}
        self.problems: list[str] = []  # fonts of the chain that cannot be read
        # Paragraphs already itemized (kiosk.picture.textlayout): a caption comes back every
        # rotation, and breaking and font choice cost more than drawing it.
        self.itemized: OrderedDict[str, tuple] = OrderedDict()
        # Run widths by (size, run): measured while a caption is wrapped, needed again to draw it.
        self.widths: OrderedDict[tuple, float] = OrderedDict()

    def coverage(self, face: Face) -> frozenset[int]:
        points = self._covers.get(face)
        if points is None:
            try:
                points = font_codepoints(face.path, face.index)
            except (OSError, ValueError) as exc:
                points = frozenset()
                self.problems.append(f"cannot read the font {face.path}: {exc}")
            self._covers[face] = points
        return points

    def face_for(self, text: str) -> Face | None:
        """The first face of the chain that draws every letter of `text`; None if none does."""
        needed = drawn(text)
        for face in self.chain:
            points = self.coverage(face)
            if all(point in points for point in needed):
                return face
        return None

    def missing(self, text: str, face: Face) -> list[str]:
        """The characters of `text` that `face` cannot draw."""
        points = self.coverage(face)
        return [chr(point) for point in drawn(text) if point not in points]

    def at(self, pixels: int, face: Face | None = None) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
        face = face or self.chain[0]
        font = self._fonts.get((face, pixels))
        if font is None:
            try:
                font = ImageFont.truetype(str(face.path), pixels, index=face.index)
            except OSError:
                # A missing font must not cost the show its pictures.
                font = ImageFont.load_default(pixels)
            self._fonts[(face, pixels)] = font
        return font
