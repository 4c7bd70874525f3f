"""The chain of fonts a caption is drawn from, and which font draws which run of it.

`captions.font` comes first (Nanum Gothic by default: Hangul, and the Hanja
of Korean), then Noto Sans (Latin in full, Greek and Cyrillic), then one
Noto font per script the kiosk's answers come in (kiosk.core.assets), then
the system's Noto Sans CJK for Chinese and Japanese.

A caption is cut into runs of one script (kiosk.picture.textlayout). Each
run goes first to the font made for its script: Latin, Cyrillic and Greek to
Noto Sans, one designed family, so a Russian answer looks like its Kazakh
and Vietnamese neighbours; Hangul to `captions.font`; Thai to Noto Sans Thai;
Han to the face of Noto Sans CJK for its language (`lang:` in the sidecar,
or a guess from the text, `han_language`). Only if that font lacks a letter
of the run is the chain asked: the first font that has the whole run, else
a word, else a cluster. `kiosk check` asks the same question the drawing
asks, so what it reports is what would show as an empty box.
"""

from __future__ import annotations

import unicodedata
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from PIL import ImageFont, features

from kiosk.core.assets import (
    CJK_FACE,
    CJK_FACES,
    FALLBACK_FONT,
    ONE_FAMILY_SCRIPTS,
    SCRIPT_FONT_FILES,
    SCRIPT_FONTS,
    SYSTEM_CJK_FONTS,
)
from kiosk.picture import icu
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


def _preferred_faces(chain: tuple[Face, ...]) -> dict[str, Face]:
    """The face of the chain made for each script (by its file's name), and the CJK collection under HAN."""
    by_name = {name: script for script, name in SCRIPT_FONT_FILES.items()}
    preferred: dict[str, Face] = {}
    for face in chain[1:]:
        if face.path.name == FALLBACK_FONT.name:
            for script in ONE_FAMILY_SCRIPTS:
                preferred.setdefault(script, face)
        elif face.path.name in by_name:
            preferred.setdefault(by_name[face.path.name], face)
        elif "CJK" in face.path.name:
            preferred.setdefault(HAN, face)
    return preferred


@lru_cache(maxsize=1)
def default_fallbacks() -> tuple[Face, ...]:
    """The bundled fonts and the system's CJK font, those that are present."""
    faces = [Face(FALLBACK_FONT)] + [Face(path) for path in SCRIPT_FONTS if path.is_file()]
    cjk = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)
    if cjk is not None:
        faces.append(Face(cjk, CJK_FACE))
    return tuple(faces)


COMMON, INHERITED = "Zyyy", "Zinh"
HAN = "Hani"
# Scripts that share the Han run: a Japanese sentence mixes kanji and kana, and is drawn in one face.
_HAN_FAMILY = frozenset(("Hani", "Hira", "Kana", "Hrkt", "Bopo", "Jpan", "Hans", "Hant"))
# Without ICU: the first word of a letter's Unicode name, as an ISO 15924 code.
_NAMED = {
    "LATIN": "Latn", "HANGUL": "Hang", "CJK": HAN, "HIRAGANA": HAN, "KATAKANA": HAN, "IDEOGRAPHIC": HAN,
    "BOPOMOFO": HAN, "THAI": "Thai", "LAO": "Laoo", "KHMER": "Khmr", "MYANMAR": "Mymr", "SINHALA": "Sinh",
    "DEVANAGARI": "Deva", "BENGALI": "Beng", "GURMUKHI": "Guru", "GUJARATI": "Gujr", "TAMIL": "Taml",
    "TELUGU": "Telu", "TIBETAN": "Tibt", "ETHIOPIC": "Ethi", "ARABIC": "Arab", "HEBREW": "Hebr",
    "GEORGIAN": "Geor", "ARMENIAN": "Armn", "CYRILLIC": "Cyrl", "GREEK": "Grek",
}


def script_of(char: str) -> str:
    """The script of a character as an ISO 15924 code (Latn, Hang, Thai, ...; the kana and Han as Hani),
    COMMON for spaces, digits, punctuation and symbols, INHERITED for combining marks: from ICU's Script
    property, or without ICU from the character's name."""
    found = icu.script(char)
    if found is None:
        category = unicodedata.category(char)
        if category.startswith("M"):
            return INHERITED
        if not category.startswith("L"):
            return COMMON
        word = unicodedata.name(char, "").split(" ", 1)[0]
        found = _NAMED.get(word, word.title()[:4] or COMMON)
    if found in ("Zzzz", "Zyyy"):
        return COMMON
    return HAN if found in _HAN_FAMILY else found


def scripts_used_with(char: str) -> frozenset[str]:
    """The scripts a Common or Inherited character is used with (Script_Extensions: the danda "।" with the
    Indic scripts, "、" with Han and Hangul); empty if it goes with any."""
    found = icu.script_extensions(char)
    if not found:
        return frozenset()
    scripts = frozenset(HAN if script in _HAN_FAMILY else script for script in found) - {"Zyyy", "Zinh", "Zzzz"}
    return scripts


# Characters that only Traditional or only Simplified Chinese writes (the Simplified form beside each
# Traditional one): enough of the common words to tell a paragraph's form, when it says nothing else.
_TRADITIONAL_SIMPLIFIED = (
    "們们這这國国會会說说時时為为來来對对學学個个於于與与從从讓让種种過过還还發发當当經经現现關关實实"
    "開开進进長长見见問问間间兒儿東东車车門门馬马語语話话愛爱聽听書书買买賣卖錢钱氣气電电難难歡欢樂乐"
    "幾几點点義义權权嚴严隨随務务勞劳動动應应聯联護护認认識识讀读寫写邊边變变處处觀观歷历親亲華华灣湾"
    "韓韩遷迁僑侨鄉乡團团結结勵励賦赋係系並并兩两區区際际參参夢梦島岛體体餘余萬万歲岁網网灣湾頭头"
)
_TRADITIONAL = frozenset(_TRADITIONAL_SIMPLIFIED[0::2])
_SIMPLIFIED = frozenset(_TRADITIONAL_SIMPLIFIED[1::2])


def han_language(paragraph: str, lang: str = "") -> str:
    """Which regional face draws the Han characters of a paragraph: a key of CJK_FACES.

    The paragraph's own letters decide first: with Hangul it is Korean (its Hanja), with kana Japanese.
    Else the sidecar's `lang`; else a guess from characters only one form of Chinese writes, and
    Simplified Chinese if there are none (docs/content.md)."""
    if any("\uac00" <= char <= "\ud7a3" or "\u1100" <= char <= "\u11ff" for char in paragraph):
        return "ko"
    if any("\u3041" <= char <= "\u3096" or "\u30a1" <= char <= "\u30fa" or "\u31f0" <= char <= "\u31ff"
           for char in paragraph):  # kana letters only: ・ and ー are used in Chinese names too
        return "ja"
    chosen = cjk_language(lang)
    if chosen is not None:
        return chosen
    traditional = sum(1 for char in paragraph if char in _TRADITIONAL)
    simplified = sum(1 for char in paragraph if char in _SIMPLIFIED)
    return "zh-Hant" if traditional > simplified else "zh-Hans"


def cjk_language(lang: str) -> str | None:
    """The CJK_FACES key for a BCP 47 tag (`zh-TW` and `zh-Hant` are Traditional, `zh-HK` Hong Kong's,
    `zh`, `zh-CN` and `zh-Hans` Simplified, `ja`, `ko`); None for any other language."""
    parts = [part.lower() for part in lang.replace("_", "-").split("-") if part]
    if not parts:
        return None
    if parts[0] in ("ja", "jpn"):
        return "ja"
    if parts[0] in ("ko", "kor"):
        return "ko"
    if parts[0] not in ("zh", "zho", "chi", "cmn", "yue"):
        return None
    rest = set(parts[1:])
    if "hk" in rest or "mo" in rest or parts[0] == "yue":
        return "zh-HK" if "hans" not in rest else "zh-Hans"
    if "hant" in rest or "tw" in rest:
        return "zh-Hant"
    return "zh-Hans"


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
        self.itemized: OrderedDict[tuple[str, str], tuple] = OrderedDict()
        # Run widths by (size, run): measured while a caption is wrapped, needed again to draw it.
        self.widths: OrderedDict[tuple, float] = OrderedDict()
        # Run ink by (size, stroke, run): how far above and below the baseline each run draws.
        self.inks: OrderedDict[tuple, tuple[int, int]] = OrderedDict()
        # Fitted texts by (text, language, limits) (kiosk.picture.textlayout.fit_text).
        self.fits: OrderedDict[tuple, Any] = OrderedDict()
        self._preferred = _preferred_faces(self.chain)

    def face_for_run(self, text: str, script: str, han: str = "zh-Hans") -> Face | None:
        """The face for a run of one script: the font made for that script if it has the whole run (for Han,
        the face of the language `han`), else the first of the chain that has it; None if none has."""
        needed = drawn(text)
        for face in self._preferred_for(script, han):
            points = self.coverage(face)
            if all(point in points for point in needed):
                return face
        return self.face_for(text)

    def _preferred_for(self, script: str, han: str) -> list[Face]:
        if script == HAN:
            cjk = self._preferred.get(HAN)
            faces = [Face(cjk.path, CJK_FACES.get(han, CJK_FACE))] if cjk is not None else []
            return faces + ([self.chain[0]] if han == "ko" else [])
        if script == "Hang":
            cjk = self._preferred.get(HAN)
            return [self.chain[0]] + ([Face(cjk.path, CJK_FACES["ko"])] if cjk is not None else [])
        face = self._preferred.get(script)
        return [face] if face is not None else []

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
