"""Text from outside made safe to draw: what a caption, title or footer may hold on the panel.

Captions come from sidecar files anyone with access to the central folder
can write, and from forms and chat apps that leave invisible debris. Here:

* control characters go (a tab becomes a space; line breaks stay), and with
  them terminal escape sequences whole (`ESC [ 31 m`, `ESC ] ... BEL`), so no
  `[31m` is ever drawn;
* bidi embeddings, overrides and isolates go: they could reverse the order
  of a whole caption ("RLO" tricks). The marks LRM, RLM and ALM stay: they
  only nudge neutral characters, as bilingual writers use them;
* stacked combining marks are cut to MAX_MARKS per letter, so "Zalgo" text
  cannot draw far above and below its line. Vietnamese needs two, Thai two,
  the Indic scripts rarely three;
* byte-order marks and noncharacters go; line and paragraph separators
  become line breaks. Zero-width joiners and non-joiners stay: Sinhala,
  Persian, Urdu and the Indic scripts need them.

Pure: `clean_text(text)` returns the text to draw and notes that say what
was removed, which `kiosk check` prints.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_MARKS = 4  # combining marks kept on one letter

# ESC followed by a CSI (ESC [ ... final), an OSC/DCS/PM/APC string (ended by BEL or ESC \),
# or any single following character; also the C1 form of CSI (U+009B).
_ESCAPE = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[\s\S]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
)
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_LINE_SEPARATORS = {"\u2028": "\n", "\u2029": "\n", "\r\n": "\n", "\r": "\n", "\x85": "\n"}


@dataclass(frozen=True)
class CleanText:
    """The text to draw, and what was taken out of it (empty when nothing was)."""

    text: str
    notes: tuple[str, ...] = ()


def clean_text(text: str) -> CleanText:
    counts = {"escape": 0, "control": 0, "bidi": 0, "marks": 0, "other": 0}

    def escape(match: re.Match[str]) -> str:
        counts["escape"] += 1
        return ""

    # A pair of escaped surrogates (JSON's "\\ud83d\\ude00", which YAML reads as two characters) made whole;
    # a lone one, which no font draws and no UTF-8 or UTF-16 can carry, taken out.
    if any("\ud800" <= char <= "\udfff" for char in text):
        joined = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
        text = "".join(char for char in joined if not "\ud800" <= char <= "\udfff")
        counts["other"] += len(joined) - len(text)
    text = unicodedata.normalize("NFC", text)
    for separator, newline in _LINE_SEPARATORS.items():
        text = text.replace(separator, newline)
    text = _ESCAPE.sub(escape, text)
    kept: list[str] = []
    marks = 0
    for char in text:
        if char == "\n":
            kept.append(char)
            marks = 0
            continue
        if char == "\t":
            kept.append(" ")
            marks = 0
            continue
        category = unicodedata.category(char)
        if category == "Cc":
            counts["control"] += 1
            continue
        if char in _BIDI_CONTROLS:
            counts["bidi"] += 1
            continue
        if char == "\ufeff" or _noncharacter(char):
            counts["other"] += 1
            continue
        if category in ("Mn", "Me"):
            marks += 1
            if marks > MAX_MARKS:
                counts["marks"] += 1
                continue
        elif category not in ("Cf",):  # a joiner keeps the count of the letter it joins
            marks = 0
        kept.append(char)
    return CleanText("".join(kept), _notes(counts))


def _noncharacter(char: str) -> bool:
    code = ord(char)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def _notes(counts: dict[str, int]) -> tuple[str, ...]:
    said = {
        "escape": ("terminal escape sequence", "terminal escape sequences"),
        "control": ("control character", "control characters"),
        "bidi": ("bidi override or isolate (they could reverse the text)",
                 "bidi overrides or isolates (they could reverse the text)"),
        "marks": (f"combining mark stacked past {MAX_MARKS} on one letter",
                  f"combining marks stacked past {MAX_MARKS} on one letter"),
        "other": ("invisible character (byte-order mark or noncharacter)",
                  "invisible characters (byte-order marks or noncharacters)"),
    }
    return tuple(
        f"removed {count} {said[key][0] if count == 1 else said[key][1]}"
        for key, count in counts.items() if count
    )
