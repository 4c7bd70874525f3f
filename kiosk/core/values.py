"""Values from outside, checked: finite, bounded numbers and short quotes of bad input.

Pure helpers shared by every parser of outside input (config.yaml, sidecars,
the manifest, the saved rotation, the play logs). A message about a bad
value never quotes more than a short excerpt of it, so a 50 MB value makes a
one-line message, not a 50 MB log line or status file.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

EXCERPT_CHARACTERS = 60
# The longest slide, wait or interval anywhere in the kiosk: a day.
MAX_SECONDS = 86_400.0
# Nesting deeper than this in a JSON state file or log line is refused, not recursed into.
MAX_JSON_DEPTH = 32

_NUMBER_TEXT = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def excerpt(value: Any, limit: int = EXCERPT_CHARACTERS) -> str:
    """`repr(value)` cut to about `limit` characters, saying how long it was.

    Only the start of a long string or container is ever turned into text,
    so this is cheap even for a huge or deeply nested value.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, (list, tuple, dict, set)):
        kind = type(value).__name__
        return f"a {kind} of {len(value):,} items" if len(value) > 3 else _short_repr(value, limit)
    return _short_repr(value, limit)


def _short_repr(value: Any, limit: int) -> str:
    try:
        text = repr(value)
    except (RecursionError, ValueError):
        return f"a {type(value).__name__}"
    return text if len(text) <= limit else text[:limit] + "…"


def number_problem(value: Any, low: float, high: float, *, low_open: bool = False,
                   what: str = "a number") -> str | None:
    """Why `value` is not a finite number in [low, high] (or (low, high]), or None if it is.

    YAML 1.1 reads `1.0e12` (no sign in the exponent) as text; the message
    says so instead of a bare "got '1.0e12'".
    """
    lower = ">" if low_open else ">="
    bounds = f"{lower} {low:g} and <= {high:g}"
    if isinstance(value, str) and _NUMBER_TEXT.match(value):
        if re.search(r"[eE]\d", value):
            return f"must be {what} {bounds}, got {excerpt(value)}, which YAML reads as text (write 1.0e+3, not 1.0e3)"
        return f"must be {what} {bounds}, got {excerpt(value)}, which is text (write the number without quotes)"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return f"must be {what} {bounds}, got {excerpt(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"must be a finite number {bounds}, got {value!r}"
    if value < low or (low_open and value == low) or value > high:
        return f"must be {what} {bounds}, got {excerpt(value)}"
    return None


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number this kiosk accepts")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"number out of range: {text[:EXCERPT_CHARACTERS]}")
    return number


def loads_json(text: str | bytes) -> Any:
    """`json.loads` for hostile text: no NaN or Infinity, no number that overflows to
    infinity, and nesting beyond MAX_JSON_DEPTH refused. Raises ValueError only."""
    try:
        data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise ValueError("nested too deeply") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8: {exc.reason}") from None
    if _depth(data) > MAX_JSON_DEPTH:
        raise ValueError(f"nested more than {MAX_JSON_DEPTH} levels deep")
    return data


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, level)
            if level <= MAX_JSON_DEPTH:
                stack.extend((child, level + 1) for child in item)
    return deepest


_UNPRINTABLE = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))} | {
    code: f"\\u{code:04x}" for code in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))
}


def printable_name(name: str) -> str:
    """A name or any outside text as text that any log, terminal, CSV or JSON file can hold.

    Names that are not UTF-8 arrive from the OS with surrogate escapes
    (os.fsdecode); their raw bytes are shown as \\xNN. Control characters
    (ANSI escapes, newlines, carriage returns, C1 codes) are shown as \\xNN
    and bidi overrides as \\uNNNN, so no name can move a terminal's cursor,
    recolour it, forge a log line or reverse the text around it.
    """
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace").translate(_UNPRINTABLE)


def is_utf8_name(name: str) -> bool:
    """False for a name the OS gave with surrogate escapes (bytes that are not UTF-8)."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
