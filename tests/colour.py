"""Colour profiles for tests and benchmarks: a Display P3 ICC profile, built here byte by byte.

Phones tag their photos with Display P3: the DCI-P3 primaries, the D65 white
and the sRGB tone curve. No such profile ships with this machine, and
ImageCms can only make sRGB, so this writes a version 2 matrix/TRC display
profile: the primaries' XYZ adapted to the D50 connection space (Bradford),
and the sRGB curve as a 1024-point table.
"""

from __future__ import annotations

import struct

D50 = (0.9642, 1.0, 0.8249)
_BRADFORD = ((0.8951, 0.2664, -0.1614), (-0.7502, 1.7135, 0.0367), (0.0389, -0.0685, 1.0296))


def _xyz(x: float, y: float) -> tuple[float, float, float]:
    return (x / y, 1.0, (1 - x - y) / y)


def _solve(m: list[list[float]], v: tuple[float, ...]) -> list[float]:
    """m⁻¹·v for a 3×3 matrix (Cramer's rule)."""
    def det(a):
        return (a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
                + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]))
    whole = det(m)
    out = []
    for column in range(3):
        replaced = [[v[row] if c == column else m[row][c] for c in range(3)] for row in range(3)]
        out.append(det(replaced) / whole)
    return out


def _mul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(3)) for j in range(3)] for i in range(3)]


def _inverse(m):
    columns = [_solve(m, tuple(1.0 if r == c else 0.0 for r in range(3))) for c in range(3)]
    return [[columns[c][r] for c in range(3)] for r in range(3)]


def rgb_to_xyz_d50(primaries, white) -> list[list[float]]:
    """The matrix from linear RGB to D50 XYZ, for primaries and white given as (x, y)."""
    columns = [_xyz(*p) for p in primaries]
    m = [[columns[c][r] for c in range(3)] for r in range(3)]
    white_xyz = _xyz(*white)
    scale = _solve(m, white_xyz)
    to_xyz = [[m[r][c] * scale[c] for c in range(3)] for r in range(3)]
    cone_src = [sum(_BRADFORD[r][k] * white_xyz[k] for k in range(3)) for r in range(3)]
    cone_dst = [sum(_BRADFORD[r][k] * D50[k] for k in range(3)) for r in range(3)]
    diag = [[cone_dst[r] / cone_src[r] if r == c else 0.0 for c in range(3)] for r in range(3)]
    adapt = _mul(_inverse(_BRADFORD), _mul(diag, _BRADFORD))
    return _mul(adapt, to_xyz)


def _s15(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def _padded(data: bytes) -> bytes:
    return data + bytes(-len(data) % 4)


def _srgb_curve() -> bytes:
    points = []
    for i in range(1024):
        v = i / 1023
        linear = v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
        points.append(round(linear * 65535))
    return b"curv" + bytes(4) + struct.pack(">I", len(points)) + struct.pack(f">{len(points)}H", *points)


def display_p3_profile(description: str = "Display P3 (kiosk tests)") -> bytes:
    """An ICC profile of Display P3, as phones embed it in their photos."""
    matrix = rgb_to_xyz_d50(((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), (0.3127, 0.3290))
    text = description.encode("ascii") + b"\0"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = _srgb_curve()
    tags = [
        (b"desc", desc),
        (b"wtpt", b"XYZ " + bytes(4) + b"".join(_s15(v) for v in D50)),
        (b"rXYZ", b"XYZ " + bytes(4) + b"".join(_s15(matrix[r][0]) for r in range(3))),
        (b"gXYZ", b"XYZ " + bytes(4) + b"".join(_s15(matrix[r][1]) for r in range(3))),
        (b"bXYZ", b"XYZ " + bytes(4) + b"".join(_s15(matrix[r][2]) for r in range(3))),
        (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve),
        (b"cprt", b"text" + bytes(4) + b"No copyright, use freely\0"),
    ]
    table_size = 4 + 12 * len(tags)
    offset = 128 + table_size
    entries, body = [], b""
    for signature, data in tags:
        entries.append(struct.pack(">4sII", signature, offset + len(body), len(data)))
        body += _padded(data)
    size = 128 + table_size + len(body)
    header = (struct.pack(">I", size) + b"lcms" + struct.pack(">I", 0x02100000) + b"mntrRGB XYZ "
              + struct.pack(">6H", 2026, 12, 1, 0, 0, 0) + b"acsp" + b"APPL" + bytes(4) + bytes(4) + bytes(4)
              + bytes(8) + struct.pack(">I", 0) + b"".join(_s15(v) for v in D50) + bytes(4) + bytes(16) + bytes(28))
    assert len(header) == 128
    return header + struct.pack(">I", len(tags)) + b"".join(entries) + body
