"""ICU, the library browsers break lines with: line breaks with dictionaries, and each letter's script.

Thai, Lao, Khmer and Burmese put no spaces between words. Where a line may
break is decided from a dictionary of each language's words, as Chromium
and Firefox do with ICU. This module calls the system's ICU (Debian's
`libicu72` on bookworm, `libicu76` on trixie: a dependency of libxml2, so
present on nearly every Debian and Raspberry Pi OS box) through ctypes, as
`kiosk.picture.bidi` calls FriBidi:

* `line_breaks(text)`: the offsets where a line may break (UAX #14, with
  ICU's dictionaries for the scripts without spaces);
* `script(char)` and `script_extensions(char)`: the Unicode Script and
  Script_Extensions properties, as ISO 15924 codes (`Latn`, `Hang`, `Zyyy`
  for Common, `Zinh` for Inherited).

Where ICU is missing, `available()` is False and each function returns
None: the caller falls back (kiosk.picture.textlayout) and `kiosk check`
says so. Every entry point of ICU's C API carries the library's major
version as a suffix (`ubrk_open_72`); the suffix is found once.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

_UBRK_WORD = 1
_UBRK_LINE = 2
_MAX_TEXT = 1 << 20  # UTF-16 units given to ICU at once: far beyond a caption's limit


@dataclass(frozen=True)
class _Icu:
    library: ctypes.CDLL
    version: str
    ubrk_open: Any
    ubrk_first: Any
    ubrk_next: Any
    ubrk_close: Any
    script: Any
    extensions: Any
    short_name: Any


_LIBRARY_NAMES = ("icuuc",) + tuple(f"libicuuc.so.{major}" for major in range(80, 59, -1))


def _suffix(library: ctypes.CDLL) -> str | None:
    """The version suffix of ICU's entry points in `library` ("_72"), "" for an unsuffixed build."""
    for major in range(90, 49, -1):
        if hasattr(library, f"u_getVersion_{major}"):
            return f"_{major}"
    return "" if hasattr(library, "u_getVersion") else None


@lru_cache(maxsize=1)
def _icu() -> _Icu | None:
    for name in _LIBRARY_NAMES:
        path = ctypes.util.find_library(name) if name == "icuuc" else name
        if not path:
            continue
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        suffix = _suffix(library)
        if suffix is None:
            continue
        try:
            functions = {key: getattr(library, f"{symbol}{suffix}") for key, symbol in (
                ("ubrk_open", "ubrk_open"), ("ubrk_first", "ubrk_first"), ("ubrk_next", "ubrk_next"),
                ("ubrk_close", "ubrk_close"), ("script", "uscript_getScript"),
                ("extensions", "uscript_getScriptExtensions"), ("short_name", "uscript_getShortName"))}
        except AttributeError:
            continue
        functions["ubrk_open"].restype = ctypes.c_void_p
        functions["ubrk_open"].argtypes = (ctypes.c_int, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int32,
                                           ctypes.POINTER(ctypes.c_int))
        for key in ("ubrk_first", "ubrk_next"):
            functions[key].restype = ctypes.c_int32
            functions[key].argtypes = (ctypes.c_void_p,)
        functions["ubrk_close"].restype = None
        functions["ubrk_close"].argtypes = (ctypes.c_void_p,)
        functions["script"].restype = ctypes.c_int
        functions["script"].argtypes = (ctypes.c_int32, ctypes.POINTER(ctypes.c_int))
        functions["extensions"].restype = ctypes.c_int
        functions["extensions"].argtypes = (ctypes.c_int32, ctypes.POINTER(ctypes.c_int), ctypes.c_int,
                                            ctypes.POINTER(ctypes.c_int))
        functions["short_name"].restype = ctypes.c_char_p
        functions["short_name"].argtypes = (ctypes.c_int,)
        return _Icu(library, suffix.lstrip("_") or "unversioned", **functions)
    return None


def available() -> bool:
    """Whether the system's ICU is here."""
    return _icu() is not None


def version() -> str | None:
    """ICU's major version ("72"), None without ICU."""
    icu = _icu()
    return icu.version if icu is not None else None


def line_breaks(text: str, locale: str = "") -> list[int] | None:
    """The offsets into `text` (in characters) where a line may break, each after the text before it;
    the end of the text is the last. None without ICU, or if ICU refuses the text."""
    return _boundaries(text, _UBRK_LINE, locale)


def word_breaks(text: str, locale: str = "") -> list[int] | None:
    """The offsets into `text` where a word (or a space, or a mark of punctuation) ends: finer than
    `line_breaks` where punctuation holds words together ("[เกียรติศักดิ์]และ"). None without ICU."""
    return _boundaries(text, _UBRK_WORD, locale)


def _boundaries(text: str, kind: int, locale: str) -> list[int] | None:
    icu = _icu()
    if icu is None:
        return None
    if not text:
        return []
    data = text.encode("utf-16-le", "surrogatepass")
    units = len(data) // 2
    if units > _MAX_TEXT:
        return None
    buffer = ctypes.create_string_buffer(data, len(data) + 2)
    status = ctypes.c_int(0)
    # The root locale unless one is asked for: never the process's LANG, so a staff shell and the service agree.
    iterator = icu.ubrk_open(kind, locale.encode("ascii", "ignore") or b"root", buffer, units,
                             ctypes.byref(status))
    if not iterator or status.value > 0:
        if iterator:
            icu.ubrk_close(iterator)
        return None
    try:
        offsets: list[int] = []
        icu.ubrk_first(iterator)
        while True:
            unit = icu.ubrk_next(iterator)
            if unit < 0 or unit > units:
                break
            offsets.append(unit)
    finally:
        icu.ubrk_close(iterator)
    return _to_characters(text, offsets)


def _to_characters(text: str, units: list[int]) -> list[int]:
    """UTF-16 offsets as offsets into the Python string (a character past U+FFFF is two units)."""
    if all(ord(char) <= 0xFFFF for char in text):
        return units
    positions: dict[int, int] = {}
    unit = 0
    for index, char in enumerate(text):
        positions[unit] = index
        unit += 2 if ord(char) > 0xFFFF else 1
    positions[unit] = len(text)
    return [positions[offset] for offset in units if offset in positions]


@lru_cache(maxsize=4096)
def script(char: str) -> str | None:
    """The Script property of `char` as an ISO 15924 code ("Latn", "Zyyy" for Common); None without ICU."""
    icu = _icu()
    if icu is None or len(char) != 1:
        return None
    status = ctypes.c_int(0)
    code = icu.script(ord(char), ctypes.byref(status))
    if status.value > 0:
        return None
    name = icu.short_name(code)
    return name.decode("ascii") if name else None


@lru_cache(maxsize=4096)
def script_extensions(char: str) -> tuple[str, ...] | None:
    """The Script_Extensions property of `char`: the scripts it is used with ("।" is used with
    Devanagari, Bengali and more); a single script for most characters. None without ICU."""
    icu = _icu()
    if icu is None or len(char) != 1:
        return None
    codes = (ctypes.c_int * 32)()
    status = ctypes.c_int(0)
    count = icu.extensions(ord(char), codes, 32, ctypes.byref(status))
    if status.value > 0 or count <= 0:
        found = script(char)
        return (found,) if found else None
    names = []
    for code in codes[:min(count, 32)]:
        name = icu.short_name(code)
        if name:
            names.append(name.decode("ascii"))
    return tuple(names) or None
