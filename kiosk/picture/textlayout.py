"""Captions laid out the way their writers write: shaped, in both directions, wrapped by Unicode's rules.

A paragraph is cleaned (kiosk.core.textclean), cut into grapheme clusters
and into the pieces between which a line may break (UAX #14, by uniseg:
between words, and between CJK ideographs), and each cluster is given a
font (kiosk.picture.fonts) and a bidi level (kiosk.picture.bidi). Lines are
filled greedily; a piece wider than a line (a long Thai, Khmer or Burmese
phrase, which UAX #14 leaves to a dictionary) is broken between grapheme
clusters, so nothing overflows and no cluster is ever split. Each line is
drawn as runs of one font and one direction, placed in visual order, each
shaped by raqm (HarfBuzz) in its own direction, on one baseline.
"""

from __future__ import annotations

from dataclasses import dataclass

from PIL import ImageDraw, ImageFont
from uniseg.graphemecluster import grapheme_clusters
from uniseg.linebreak import line_break_units

from kiosk.core.rules import Colour
from kiosk.core.textclean import clean_text
from kiosk.picture.bidi import embedding_levels, visual_order
from kiosk.picture.fonts import RAQM, Face, FontBook, script_of

ELLIPSIS = "\u2026"
ITEMIZED_KEPT = 512  # paragraphs remembered per font book
WIDTHS_KEPT = 8192  # run widths remembered per font book


@dataclass(frozen=True)
class Cluster:
    """One grapheme cluster: what a reader sees as one character, with its font and bidi level."""

    text: str
    face: Face
    level: int
    unit: int  # the line-break piece it belongs to: a line may break only between pieces


@dataclass(frozen=True)
class Line:
    """One laid-out line: its clusters in logical order, and the paragraph's direction."""

    clusters: tuple[Cluster, ...]
    rtl: bool = False

    @property
    def text(self) -> str:
        return "".join(cluster.text for cluster in self.clusters)


@dataclass(frozen=True)
class Run:
    """Clusters drawn in one call: one font, one direction."""

    text: str
    face: Face
    rtl: bool


def itemize(paragraph: str, fonts: FontBook) -> tuple[list[Cluster], bool]:
    """The paragraph's clusters with their fonts and levels, and whether it reads right to left."""
    known = fonts.itemized.get(paragraph)
    if known is not None:
        fonts.itemized.move_to_end(paragraph)
        return list(known[0]), known[1]
    clusters, rtl = _itemize(paragraph, fonts)
    fonts.itemized[paragraph] = (tuple(clusters), rtl)
    if len(fonts.itemized) > ITEMIZED_KEPT:
        fonts.itemized.popitem(last=False)
    return clusters, rtl


def _itemize(paragraph: str, fonts: FontBook) -> tuple[list[Cluster], bool]:
    if not paragraph:
        return [], False
    levels, rtl = embedding_levels(paragraph)
    units = list(line_break_units(paragraph))
    faces = _faces_for_units(units, fonts)
    clusters: list[Cluster] = []
    offset = 0
    for number, unit in enumerate(units):
        for text in grapheme_clusters(unit):
            face = faces[number] or fonts.face_for(text) or fonts.chain[0]
            clusters.append(Cluster(text, face, levels[offset], number))
            offset += len(text)
    return clusters, rtl


def _faces_for_units(units: list[str], fonts: FontBook) -> list[Face | None]:
    """One font for a whole run of one script if a font has it all, else for each piece; None: by cluster."""
    faces: list[Face | None] = [None] * len(units)
    for run in _script_runs(units):
        face = fonts.face_for("".join(units[i] for i in run))
        for index in run:
            faces[index] = face or fonts.face_for(units[index])
    return faces


def _script_runs(units: list[str]) -> list[list[int]]:
    """Consecutive pieces of one script (spaces, digits and punctuation go with their neighbours)."""
    runs: list[list[int]] = []
    current: list[int] = []
    script: str | None = None
    for index, unit in enumerate(units):
        scripts = {script_of(char) for char in unit} - {None}
        if len(scripts) > 1:
            if current:
                runs.append(current)
            runs.append([index])
            current, script = [], None
            continue
        mine = next(iter(scripts), None)
        if mine is None or script is None or mine == script:
            current.append(index)
            script = script or mine
        else:
            runs.append(current)
            current, script = [index], mine
    if current:
        runs.append(current)
    return runs


def runs_of(clusters: tuple[Cluster, ...] | list[Cluster]) -> tuple[list[Run], list[int]]:
    """The runs of a line in logical order, and their levels."""
    runs: list[Run] = []
    levels: list[int] = []
    for cluster in clusters:
        if runs and runs[-1].face == cluster.face and levels[-1] == cluster.level:
            runs[-1] = Run(runs[-1].text + cluster.text, cluster.face, runs[-1].rtl)
        else:
            runs.append(Run(cluster.text, cluster.face, cluster.level % 2 == 1))
            levels.append(cluster.level)
    return runs, levels


class Measure:
    """Widths of runs at one size, remembered in the font book (a caption is measured many times while it
    is wrapped, and again when it is drawn)."""

    def __init__(self, fonts: FontBook, px: int) -> None:
        self.fonts = fonts
        self.px = px

    def run(self, run: Run) -> float:
        widths = self.fonts.widths
        key = (self.px, run)
        width = widths.get(key)
        if width is None:
            font = self.fonts.at(self.px, run.face)
            if RAQM:
                width = font.getlength(run.text, direction="rtl" if run.rtl else "ltr")
            else:
                width = font.getlength(run.text)
            widths[key] = width
            if len(widths) > WIDTHS_KEPT:
                widths.popitem(last=False)
        return width

    def line(self, clusters: tuple[Cluster, ...] | list[Cluster]) -> float:
        runs, _levels = runs_of(_trimmed(clusters))
        return sum(self.run(run) for run in runs)


def _trimmed(clusters: tuple[Cluster, ...] | list[Cluster]) -> list[Cluster]:
    """Without the spaces at either end of a line."""
    items = list(clusters)
    while items and items[-1].text.isspace():
        items.pop()
    while items and items[0].text.isspace():
        items.pop(0)
    return items


def break_lines(clusters: list[Cluster], rtl: bool, measure: Measure, max_width: float) -> list[Line]:
    """Greedy lines between line-break pieces; a piece wider than a line breaks between clusters."""
    pieces: list[list[Cluster]] = []
    for cluster in clusters:
        if pieces and pieces[-1][0].unit == cluster.unit:
            pieces[-1].append(cluster)
        else:
            pieces.append([cluster])
    lines: list[list[Cluster]] = []
    current: list[Cluster] = []
    for piece in pieces:
        if measure.line(current + piece) <= max_width:
            current += piece
            continue
        if current:
            lines.append(current)
            current = []
        if measure.line(piece) <= max_width:
            current = list(piece)
            continue
        for cluster in piece:
            if current and measure.line(current + [cluster]) > max_width:
                lines.append(current)
                current = []
            current.append(cluster)
    if current:
        lines.append(current)
    return [Line(tuple(_trimmed(line)), rtl) for line in lines]


def fit_lines(text: str, fonts: FontBook, base_px: int, max_width: float, max_lines: int) -> tuple[list[Line], int]:
    """The text wrapped at the base size, shrunk to 70% before it is cut with an ellipsis."""
    paragraphs = [itemize(paragraph, fonts) for paragraph in clean_text(text).text.split("\n")]
    px = base_px
    minimum = max(10, round(base_px * 0.7))
    while True:
        measure = Measure(fonts, px)
        lines: list[Line] = []
        for clusters, rtl in paragraphs:
            lines += break_lines(clusters, rtl, measure, max_width) or [Line((), rtl)]
        while lines and not lines[-1].clusters:
            lines.pop()
        if len(lines) <= max_lines or px <= minimum:
            break
        px = max(minimum, round(px * 0.9))
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _with_ellipsis(lines[-1], fonts, measure, max_width)
    return lines, px


def _with_ellipsis(line: Line, fonts: FontBook, measure: Measure, max_width: float) -> Line:
    """The line cut by whole clusters until an ellipsis fits after it."""
    kept = list(line.clusters)
    last_face = kept[-1].face if kept else fonts.chain[0]
    face = last_face if not fonts.missing(ELLIPSIS, last_face) else (fonts.face_for(ELLIPSIS) or fonts.chain[0])
    ellipsis = Cluster(ELLIPSIS, face, 1 if line.rtl else 0, -1)
    while kept and measure.line(kept + [ellipsis]) > max_width:
        kept.pop()
    return Line(tuple(_trimmed(kept) + [ellipsis]), line.rtl)


def missing_characters(text: str, fonts: FontBook) -> list[str]:
    """The distinct characters of `text` that the font chosen to draw them lacks: what shows as an empty box."""
    missing: list[str] = []
    for paragraph in clean_text(text).text.split("\n"):
        clusters, _rtl = itemize(paragraph, fonts)
        for cluster in clusters:
            for char in fonts.missing(cluster.text, cluster.face):
                if char not in missing:
                    missing.append(char)
    return missing


def draw_line(
    draw: ImageDraw.ImageDraw, line: Line, fonts: FontBook, px: int, centre_x: float, top: float,
    fill: Colour, stroke_width: int, stroke_fill: Colour,
) -> None:
    """Draws one line centred at `centre_x`, its runs in visual order on the first font's baseline."""
    runs, levels = runs_of(line.clusters)
    if not runs:
        return
    measure = Measure(fonts, px)
    widths = [measure.run(run) for run in runs]
    x = centre_x - sum(widths) / 2
    first = fonts.at(px)
    # Pillow without FreeType has only its bitmap font, without metrics: the top of its box is the baseline then.
    baseline = top + (first.getmetrics()[0] if isinstance(first, ImageFont.FreeTypeFont) else first.getbbox("A")[3])
    for index in visual_order(levels):
        run = runs[index]
        font = fonts.at(px, run.face)
        options: dict = {"direction": "rtl" if run.rtl else "ltr"} if RAQM else {}
        text = run.text if RAQM or not run.rtl else "".join(reversed(list(grapheme_clusters(run.text))))
        draw.text((x, baseline), text, font=font, fill=fill, anchor="ls",
                  stroke_width=stroke_width, stroke_fill=stroke_fill, **options)
        x += widths[index]
