"""The Unicode Bidirectional Algorithm's embedding levels, from GNU FriBidi (the library raqm itself uses).

A caption mixes directions: an Urdu or Arabic phrase inside English, an
English name inside Urdu. Each script run is drawn by its own font, so the
order of the runs on a line is worked out here, from the levels FriBidi
gives (UAX #9, brackets included), and each run is then shaped by raqm in
its own direction.

FriBidi is the shared library Pillow's raqm layout loads (Debian's
libfribidi0); where it is missing, raqm is missing too, and the levels come
from a small stand-in that knows strong letters and digits only.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import unicodedata
from functools import lru_cache

_PAR_ON = 0x00000040  # FRIBIDI_PAR_ON: the base direction from the first strong letter (UAX #9, P2-P3)
_PAR_RTL = 0x00000111


@lru_cache(maxsize=1)
def _fribidi() -> ctypes.CDLL | None:
    for name in ("libfribidi.so.0", ctypes.util.find_library("fribidi")):
        if not name:
            continue
        try:
            library = ctypes.CDLL(name)
            library.fribidi_get_bidi_types  # noqa: B018 - present in every FriBidi since 0.19
            library.fribidi_get_par_embedding_levels_ex  # noqa: B018 - FriBidi 1.0
            return library
        except (OSError, AttributeError):
            continue
    return None


def available() -> bool:
    """Whether the real algorithm (FriBidi) is here."""
    return _fribidi() is not None


def embedding_levels(text: str) -> tuple[list[int], bool]:
    """Each character's embedding level (odd: right to left), and whether the paragraph is right to left."""
    if not text:
        return [], False
    library = _fribidi()
    if library is None:
        return _simple_levels(text)
    size = len(text)
    chars = (ctypes.c_uint32 * size)(*(ord(char) for char in text))
    types = (ctypes.c_uint32 * size)()
    library.fribidi_get_bidi_types(chars, size, types)
    brackets = None
    if hasattr(library, "fribidi_get_bracket_types"):
        brackets = (ctypes.c_uint32 * size)()
        library.fribidi_get_bracket_types(chars, size, types, brackets)
    levels = (ctypes.c_int8 * size)()
    base = ctypes.c_uint32(_PAR_ON)
    if not library.fribidi_get_par_embedding_levels_ex(types, brackets, size, ctypes.byref(base), levels):
        return _simple_levels(text)
    return list(levels), base.value == _PAR_RTL


def _simple_levels(text: str) -> tuple[list[int], bool]:
    """Without FriBidi: right-to-left letters at level 1 in a left-to-right paragraph, or the reverse."""
    classes = [unicodedata.bidirectional(char) for char in text]
    first = next((c for c in classes if c in ("L", "R", "AL")), "L")
    rtl = first in ("R", "AL")
    levels = []
    for cls in classes:
        if cls in ("R", "AL"):
            levels.append(1)
        elif cls == "L" or (cls in ("EN", "AN") and not rtl):
            levels.append(2 if rtl else 0)
        elif cls in ("EN", "AN"):
            levels.append(2)
        else:
            levels.append(1 if rtl else 0)
    return levels, rtl


def visual_order(levels: list[int]) -> list[int]:
    """The indexes of runs (or characters) at `levels`, left to right on screen (UAX #9, rule L2)."""
    order = list(range(len(levels)))
    if not levels:
        return order
    highest = max(levels)
    lowest_odd = min((level for level in levels if level % 2), default=highest + 1)
    for level in range(highest, lowest_odd - 1, -1):
        index = 0
        while index < len(order):
            if levels[order[index]] >= level:
                end = index
                while end < len(order) and levels[order[end]] >= level:
                    end += 1
                order[index:end] = reversed(order[index:end])
                index = end
            else:
                index += 1
    return order
