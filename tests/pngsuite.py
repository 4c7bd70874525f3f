"""PngSuite (Willem van Schaik's PNG test images, tests/data/pngsuite) and an independent reference decode.

The reference is pypng, a pure-Python PNG decoder that shares no code with
Pillow or libpng: its raw samples are scaled to 8 bits (rounded to nearest),
the palette, alpha channel or transparent colour (tRNS) gives each pixel's
alpha, and the pixel is laid on the background with straight alpha, as a
box does. gAMA and sBIT are ignored on both sides: a box shows samples as
sRGB (`kiosk check` says when a file asks otherwise).
"""

from __future__ import annotations

from pathlib import Path

import png

FOLDER = Path(__file__).parent / "data" / "pngsuite"
VALID = sorted(path for path in FOLDER.glob("*.png") if not path.name.startswith("x"))
INVALID = sorted(FOLDER.glob("x*.png"))  # the suite's corrupted files: every reader must refuse them


def reference(path: Path, background: tuple[int, int, int] | None) -> tuple[tuple[int, int], list[tuple[int, ...]]]:
    """The picture's size and its pixels, row by row: RGB on `background`, or RGBA if it is None."""
    width, height, samples, info = png.Reader(bytes=path.read_bytes()).read_flat()
    maxval = (1 << info["bitdepth"]) - 1
    planes = info["planes"]
    palette = info.get("palette") if planes == 1 and not info["greyscale"] else None
    key = info.get("transparent")
    keys = (key,) if isinstance(key, int) else tuple(key) if key is not None else None

    def eight(value: int) -> int:
        return (value * 255 + maxval // 2) // maxval

    pixels = []
    for start in range(0, len(samples), planes):
        pixel = tuple(samples[start:start + planes])
        if palette is not None:
            entry = palette[pixel[0]]
            rgb, alpha = tuple(entry[:3]), entry[3] if len(entry) == 4 else 255
        else:
            colour = pixel[:1] * 3 if info["greyscale"] else pixel[:3]
            rgb = tuple(eight(value) for value in colour)
            transparent = keys is not None and pixel[:len(keys)] == keys
            alpha = eight(pixel[-1]) if info["alpha"] else 0 if transparent else 255
        if background is None:
            pixels.append((*rgb, alpha))
        else:
            pixels.append(tuple((c * alpha + b * (255 - alpha) + 127) // 255 for c, b in zip(rgb, background)))
    return (width, height), pixels


def largest_difference(got: list[tuple[int, ...]], expected: list[tuple[int, ...]]) -> int:
    """The largest difference of any channel of any pixel."""
    assert len(got) == len(expected)
    return max((abs(a - b) for x, y in zip(got, expected) for a, b in zip(x, y)), default=0)
