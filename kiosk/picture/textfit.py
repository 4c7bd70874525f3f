"""What of a text shows in a band, and where its lines go: shrink before cutting, never lose the last
paragraph, lines spaced by their ink.

`fit_text` wraps each paragraph (kiosk.picture.textlayout) into balanced
lines at the largest size, from the configured one down to the minimum, at
which the band's lines and height hold it whole; only what still does not
fit at the minimum is cut with "…", never a whole paragraph, the last (by
convention the Korean line) least of all. Lines are spaced by the ink the
shaper reports for each run (HarfBuzz, by raqm) and the first font's
ascent, so Burmese and Khmer stacks never reach the next line, and the band
is as tall as its ink. `kiosk check` reports from the same `TextFit` that
the screen draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw, ImageFont

from kiosk.core.layout import Layout
from kiosk.core.rules import Colour
from kiosk.core.textclean import clean_text
from kiosk.picture.fonts import FontBook
from kiosk.picture.textlayout import (
    ELLIPSIS, Cluster, Line, Measure, remember, trimmed, balanced_lines, break_lines, draw_line, itemize,
)

FITS_KEPT = 256  # fitted captions remembered per font book: a caption comes back every rotation
SHRINK_STEP = 0.92  # each try at a smaller size: 8 % smaller
LINE_PITCH = 1.35  # baseline to baseline, in letter sizes, where the ink asks for no more
INK_GAP = 0.06  # the least space between one line's ink and the next line's, in letter sizes


@dataclass(frozen=True)
class TextFit:
    """What shows of a text in a band: the lines at one size, where their baselines are, how tall the block
    of text is (from the first line's highest ink to the last line's lowest), and what was given up."""

    lines: tuple[Line, ...]
    px: int  # the letter size drawn
    base_px: int  # the letter size asked for
    baselines: tuple[int, ...]  # each line's baseline, from the top of the block
    height: int
    paragraphs: int  # paragraphs in the text (blank ones included)
    cut: tuple[int, ...] = ()  # paragraphs shown only in part, ending in "…"
    dropped: tuple[int, ...] = ()  # paragraphs not shown at all (more paragraphs than lines)
    touching: tuple[int, ...] = ()  # lines whose ink would reach the next line's: none, unless ink is absurd

    @property
    def shrunk(self) -> bool:
        return self.px < self.base_px

    @property
    def whole(self) -> bool:
        return not self.cut and not self.dropped

    @property
    def shown(self) -> str:
        """The text as drawn, one line per line."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Limits:
    """Where a text must fit: its letter size and the smallest it may shrink to, the width of a line, how
    many lines and how tall a block of them, and the outline drawn around the letters."""

    base_px: int
    min_px: int
    width: float
    max_lines: int
    max_height: float
    stroke: int = 0


def fit_text(text: str, fonts: FontBook, limits: Limits, lang: str = "") -> TextFit:
    """What shows of `text` within `limits` (remembered: a caption comes back every rotation)."""
    key = (text, lang, limits)
    known = fonts.fits.get(key)
    if known is not None:
        fonts.fits.move_to_end(key)
        return known
    fitted = _fit(text, fonts, limits, lang)
    remember(fonts.fits, key, fitted, FITS_KEPT)
    return fitted


def _fit(text: str, fonts: FontBook, limits: Limits, lang: str) -> TextFit:
    paragraphs = [itemize(paragraph, fonts, lang) for paragraph in clean_text(text).text.split("\n")]
    while paragraphs and not paragraphs[-1][0]:
        paragraphs.pop()  # blank lines at the end are nothing to show
    count = len(paragraphs)
    if not count:
        return TextFit((), limits.base_px, limits.base_px, (), 0, 0)
    base = max(1, limits.base_px)
    minimum = max(1, min(base, limits.min_px))
    px = base
    while True:
        measure = Measure(fonts, px, limits.stroke)
        wrapped = [balanced_lines(clusters, rtl, measure, limits.width, number) or [Line((), rtl, number)]
                   for number, (clusters, rtl) in enumerate(paragraphs)]
        lines = [line for group in wrapped for line in group]
        if len(lines) <= limits.max_lines:
            fitted = _placed(lines, measure, base, count)
            if fitted.height <= limits.max_height:
                return fitted
        if px <= minimum:
            break
        px = max(minimum, min(px - 1, round(px * SHRINK_STEP)))
    return _cut(paragraphs, measure, limits, base)


def _cut(paragraphs: list[tuple[list[Cluster], bool]], measure: Measure, limits: Limits, base: int) -> TextFit:
    """At the smallest size, each paragraph given lines, the last paragraph first, then each before it;
    a paragraph given fewer lines than it needs ends in "…"; lines taken back from the longest while the
    block is too tall. A paragraph is left out only when there are more paragraphs than lines (then those
    in the middle), or when a single line of each is too tall."""
    count = len(paragraphs)
    full = [break_lines(clusters, rtl, measure, limits.width, number) or [Line((), rtl, number)]
            for number, (clusters, rtl) in enumerate(paragraphs)]
    kept = [number for number in range(count) if paragraphs[number][0]] or [count - 1]
    most = max(1, limits.max_lines)
    if len(kept) > most:
        kept = kept[:most - 1] + [kept[-1]]
    allot = {number: 1 for number in kept}
    budget = most - len(kept)
    for number in reversed(kept):  # the last first, then back to the first: the Korean before the answer
        extra = min(len(full[number]) - 1, budget)
        allot[number] += extra
        budget -= extra

    even: dict[int, list[Line]] = {}  # a paragraph shown whole is balanced, as it would be uncut

    def shown() -> list[Line]:
        lines: list[Line] = []
        for number in kept:
            if allot[number] >= len(full[number]):
                if number not in even:
                    clusters, rtl = paragraphs[number]
                    even[number] = balanced_lines(clusters, rtl, measure, limits.width, number) or full[number]
                lines += even[number]
                continue
            given = full[number][:allot[number]]
            given[-1] = _with_ellipsis(given[-1], measure, limits.width)
            lines += given
        return lines

    lines = shown()
    fitted = _placed(lines, measure, base, count)
    while fitted.height > limits.max_height:
        longer = [number for number in kept if allot[number] > 1]
        if longer:
            # From the paragraph with the most lines; of equals, not the last paragraph, then the first.
            number = max(longer, key=lambda n: (allot[n], n != kept[-1], -n))
            allot[number] -= 1
        elif len(kept) > 1:
            kept.pop(len(kept) // 2 if len(kept) > 2 else 0)  # from the middle, never the last
        else:
            break
        lines = shown()
        fitted = _placed(lines, measure, base, count)
    cut = tuple(number for number in kept if allot[number] < len(full[number]))
    dropped = tuple(number for number in range(count) if number not in kept and paragraphs[number][0])
    return TextFit(fitted.lines, fitted.px, base, fitted.baselines, fitted.height, count, cut, dropped,
                   fitted.touching)


def _placed(lines: list[Line], measure: Measure, base: int, paragraphs: int) -> TextFit:
    """The lines stacked: each baseline below the last by the usual pitch, or more where the ink asks."""
    px = measure.px
    ascent = _ascent(measure)
    usual_above, usual_below = ascent, max(1, round(LINE_PITCH * px) - ascent)
    gap = max(1, round(INK_GAP * px))
    baselines: list[int] = []
    inks = [measure.line_ink(line) for line in lines]
    above_first = max(usual_above, inks[0][0]) if lines else 0
    y = above_first
    below_last = 0
    for index, (above, below) in enumerate(inks):
        if index:
            previous_below = inks[index - 1][1]
            y += max(round(LINE_PITCH * px), previous_below + above + gap)
        baselines.append(y)
        below_last = max(usual_below, below)
    touching = tuple(index for index in range(len(lines) - 1)
                     if baselines[index] + inks[index][1] >= baselines[index + 1] - inks[index + 1][0])
    height = (baselines[-1] + below_last) if lines else 0
    return TextFit(tuple(lines), px, base, tuple(baselines), height, paragraphs, touching=touching)


def _ascent(measure: Measure) -> int:
    font = measure.fonts.at(measure.px)
    if isinstance(font, ImageFont.FreeTypeFont):
        return int(font.getmetrics()[0])
    return int(font.getbbox("A")[3])  # Pillow's bitmap font has no metrics: the top of its box is the baseline


def _with_ellipsis(line: Line, measure: Measure, max_width: float) -> Line:
    """The line cut by whole syllables until an ellipsis fits after it."""
    fonts = measure.fonts
    kept = list(line.clusters)
    last_face = kept[-1].face if kept else fonts.chain[0]
    face = last_face if not fonts.missing(ELLIPSIS, last_face) else (fonts.face_for(ELLIPSIS) or fonts.chain[0])
    ellipsis = Cluster(ELLIPSIS, face, 1 if line.rtl else 0, -1)
    while kept and measure.line(kept + [ellipsis]) > max_width:
        kept.pop()
    return Line(tuple(trimmed(kept) + [ellipsis]), line.rtl, line.paragraph, cut=True)


def draw_fit(draw: ImageDraw.ImageDraw, fit: TextFit, fonts: FontBook, centre_x: float, top: float,
             fill: Colour, stroke_width: int, stroke_fill: Colour) -> None:
    """Draws every line of a fit, its block's top at `top`."""
    for line, baseline in zip(fit.lines, fit.baselines):
        draw_line(draw, line, fonts, fit.px, centre_x, top + baseline, fill, stroke_width, stroke_fill)


def band_margin(base_px: int) -> int:
    return max(8, round(base_px * 0.6))


def outline(px: int) -> int:
    """A thin outline in the band colour keeps letters crisp over busy photos."""
    return max(1, round(px * LINE_PITCH / 40))


def caption_limits(layout: Layout) -> Limits:
    """Where a caption must fit on this layout: its size and minimum, the line's width, and the lines and
    height its band may take on a screen of this orientation."""
    width, height = layout.size
    base_px = layout.caption_px
    margin = band_margin(base_px)
    return Limits(base_px, layout.caption_min_px, width - 4 * margin, layout.caption_lines,
                  max(1.0, height * layout.caption_share - 2 * margin), outline(base_px))
