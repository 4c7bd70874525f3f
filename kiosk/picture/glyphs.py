"""Which characters a TrueType/OpenType font can draw, read from its cmap table.

Used to choose the font of each piece of a caption (kiosk.picture.fonts),
and so by `kiosk check` to report the characters that would show as empty
boxes. Reading the cmap directly is exact; rendering and comparing bitmaps
is not.
"""

from __future__ import annotations

import struct
from functools import lru_cache
from pathlib import Path


@lru_cache(maxsize=32)
def font_codepoints(path: Path, index: int = 0) -> frozenset[int]:
    """The Unicode code points that the font (face `index` of a collection) maps to a glyph.

    ValueError if it is not a font; OSError if it cannot be read.
    """
    data = path.read_bytes()
    try:
        return _codepoints(path, data, index)
    except struct.error:
        raise ValueError(f"{path.name}: not a TrueType/OpenType font (its tables run past its end)") from None


def _codepoints(path: Path, data: bytes, index: int = 0) -> frozenset[int]:
    if data[:4] == b"ttcf":
        (faces,) = struct.unpack_from(">I", data, 8)
        if not 0 <= index < faces:
            raise ValueError(f"{path.name}: no face {index} in a collection of {faces}")
        (offset,) = struct.unpack_from(">I", data, 12 + 4 * index)
    else:
        offset = 0
    (num_tables,) = struct.unpack_from(">H", data, offset + 4)
    cmap_offset = None
    for i in range(num_tables):
        tag, _checksum, table_offset, _length = struct.unpack_from(">4sIII", data, offset + 12 + 16 * i)
        if tag == b"cmap":
            cmap_offset = table_offset
            break
    if cmap_offset is None:
        raise ValueError(f"{path.name}: no cmap table")
    (_version, num_subtables) = struct.unpack_from(">HH", data, cmap_offset)
    best: tuple[int, int] | None = None
    for i in range(num_subtables):
        platform, encoding, sub_offset = struct.unpack_from(">HHI", data, cmap_offset + 4 + 8 * i)
        (fmt,) = struct.unpack_from(">H", data, cmap_offset + sub_offset)
        unicode = platform == 0 or (platform == 3 and encoding in (1, 10))
        if unicode and fmt in (4, 12) and (best is None or fmt > best[0]):
            best = (fmt, cmap_offset + sub_offset)
    if best is None:
        raise ValueError(f"{path.name}: no Unicode cmap subtable")
    fmt, table = best
    return frozenset(_format12(data, table) if fmt == 12 else _format4(data, table))


def _format4(data: bytes, table: int) -> set[int]:
    (seg_x2,) = struct.unpack_from(">H", data, table + 6)
    segs = seg_x2 // 2
    ends = struct.unpack_from(f">{segs}H", data, table + 14)
    starts = struct.unpack_from(f">{segs}H", data, table + 16 + seg_x2)
    deltas = struct.unpack_from(f">{segs}h", data, table + 16 + 2 * seg_x2)
    range_base = table + 16 + 3 * seg_x2
    offsets = struct.unpack_from(f">{segs}H", data, range_base)
    points: set[int] = set()
    for i in range(segs):
        for code in range(starts[i], ends[i] + 1):
            if code == 0xFFFF:
                continue
            if offsets[i] == 0:
                glyph = (code + deltas[i]) & 0xFFFF
            else:
                where = range_base + 2 * i + offsets[i] + 2 * (code - starts[i])
                (glyph,) = struct.unpack_from(">H", data, where)
                if glyph:
                    glyph = (glyph + deltas[i]) & 0xFFFF
            if glyph:
                points.add(code)
    return points


def _format12(data: bytes, table: int) -> set[int]:
    (groups,) = struct.unpack_from(">I", data, table + 12)
    points: set[int] = set()
    for i in range(groups):
        start, end, first_glyph = struct.unpack_from(">III", data, table + 16 + 12 * i)
        for code in range(start, end + 1):
            if first_glyph + (code - start):
                points.add(code)
    return points
