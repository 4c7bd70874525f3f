"""Captions laid out the way their writers write: shaped, in both directions, wrapped where words end,
fitted whole into the band, with lines that never touch.

A paragraph is cleaned (kiosk.core.textclean) and cut three ways:

* into the pieces between which a line may break: ICU's line breaker
  (kiosk.picture.icu), which finds the words of Thai, Lao, Khmer and Burmese
  in its dictionaries as browsers do; Korean keeps its words whole
  (`word-break: keep-all`); without ICU, Unicode's rules alone (UAX #14, by
  uniseg);
* into syllables (kiosk.picture.syllables): grapheme clusters glued where a
  reader's syllable holds them together, the smallest piece a line or an
  ellipsis may cut;
* into runs of one script, Common and Inherited characters (spaces, digits,
  punctuation, modifier letters such as Uzbek ʻ) joining the run around them
  by their Script_Extensions, each run drawn in the font made for its
  script (kiosk.picture.fonts).

Lines are filled greedily between pieces, and balanced; what of a caption
fits a band, and where its lines go, is kiosk.picture.textfit.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from PIL import ImageDraw, ImageFont
from uniseg.linebreak import line_break_units

from kiosk.core.rules import Colour
from kiosk.core.textclean import clean_text
from kiosk.picture import icu
from kiosk.picture.bidi import embedding_levels, visual_order
from kiosk.picture.fonts import COMMON, INHERITED, RAQM, Face, FontBook, han_language, script_of, scripts_used_with
from kiosk.picture.syllables import syllables

ELLIPSIS = "\u2026"
ITEMIZED_KEPT = 512  # paragraphs remembered per font book
WIDTHS_KEPT = 8192  # run widths remembered per font book
MOST_INK = 4.0  # a run's ink is taken to reach this many letter sizes at most from its baseline
BALANCE_STEPS = 7  # halvings of the width while balancing a paragraph's lines


@dataclass(frozen=True, slots=True)
class Cluster:
    """One syllable: what a line or an ellipsis never cuts (one grapheme cluster in most scripts), with its
    font and bidi level."""

    text: str
    face: Face
    level: int
    unit: int  # the line-break piece it belongs to: a line may break only between pieces
    word: int = 0  # the word it belongs to: a piece wider than a line breaks between words, then syllables


@dataclass(frozen=True, slots=True)
class Line:
    """One laid-out line: its clusters in logical order, the paragraph's direction, which paragraph of the
    text it comes from, and whether an ellipsis ends it."""

    clusters: tuple[Cluster, ...]
    rtl: bool = False
    paragraph: int = 0
    cut: bool = False

    @property
    def text(self) -> str:
        return "".join(cluster.text for cluster in self.clusters)


@dataclass(frozen=True, slots=True)
class Run:
    """Clusters drawn in one call: one font, one direction."""

    text: str
    face: Face
    rtl: bool


def itemize(paragraph: str, fonts: FontBook, lang: str = "") -> tuple[list[Cluster], bool]:
    """The paragraph's syllables with their fonts and levels, and whether it reads right to left."""
    key = (paragraph, lang)
    known = fonts.itemized.get(key)
    if known is not None:
        fonts.itemized.move_to_end(key)
        return list(known[0]), known[1]
    clusters, rtl = _itemize(paragraph, fonts, lang)
    fonts.itemized[key] = (tuple(clusters), rtl)
    if len(fonts.itemized) > ITEMIZED_KEPT:
        fonts.itemized.popitem(last=False)
    return clusters, rtl


def _itemize(paragraph: str, fonts: FontBook, lang: str) -> tuple[list[Cluster], bool]:
    if not paragraph:
        return [], False
    levels, rtl = embedding_levels(paragraph)
    pieces = break_pieces(paragraph)
    scripts = resolved_scripts(paragraph)
    han = han_language(paragraph, lang)
    word_ends = icu.word_breaks(paragraph) or []
    # (syllable, piece number, offset of its first character)
    cut: list[tuple[str, int, int]] = []
    offset = 0
    for number, piece in enumerate(pieces):
        for syllable in syllables(piece):
            cut.append((syllable, number, offset))
            offset += len(syllable)
    faces = _faces(cut, scripts, fonts, han)
    clusters = []
    word, ends = 0, iter(word_ends)
    end = next(ends, len(paragraph))
    for (text, number, start), face in zip(cut, faces):
        while start >= end:
            word, end = word + 1, next(ends, len(paragraph))
        clusters.append(Cluster(text, face, levels[start], number, word))
    return clusters, rtl


def break_pieces(paragraph: str) -> list[str]:
    """The paragraph cut where a line may break: ICU's words, Korean kept whole, or Unicode's rules alone."""
    offsets = icu.line_breaks(paragraph)
    if offsets is None:
        units = list(line_break_units(paragraph))
        offsets, position = [], 0
        for unit in units:
            position += len(unit)
            offsets.append(position)
    pieces: list[str] = []
    start = 0
    for end in offsets:
        if end <= start or end > len(paragraph):
            continue
        if pieces and _hangul(paragraph[start - 1]) and _hangul(paragraph[start]):
            pieces[-1] += paragraph[start:end]  # keep-all: a Korean word is broken only where it ends
        else:
            pieces.append(paragraph[start:end])
        start = end
    if start < len(paragraph):
        pieces.append(paragraph[start:])
    return pieces


def _hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7a3" or "\u1100" <= char <= "\u11ff" or "\u3130" <= char <= "\u318f"


def resolved_scripts(paragraph: str) -> list[str]:
    """Each character's script, with Common and Inherited characters given the script of the run they
    belong to: the one before them (a mark, a space, a digit, a modifier letter), unless their
    Script_Extensions name scripts it is not, or they come before any letter; COMMON if there is no
    letter at all."""
    own = [script_of(char) for char in paragraph]
    resolved: list[str] = list(own)
    following: str | None = None
    after: list[str | None] = [None] * len(own)
    for index in range(len(own) - 1, -1, -1):  # the next letter's script, for each position
        after[index] = following
        if own[index] not in (COMMON, INHERITED):
            following = own[index]
    current: str | None = None
    for index, (char, script) in enumerate(zip(paragraph, own)):
        if script not in (COMMON, INHERITED):
            current = script
            continue
        used_with = scripts_used_with(char) if script == COMMON else frozenset()
        if used_with and current not in used_with:
            nxt = after[index]
            resolved[index] = nxt if nxt in used_with else (current or nxt or sorted(used_with)[0])
        else:
            resolved[index] = current or after[index] or COMMON
    return resolved


def _faces(cut: list[tuple[str, int, int]], scripts: list[str], fonts: FontBook, han: str) -> list[Face]:
    """One face per syllable: for a run of one script the font made for it, or the first that has the whole
    run; else one for each piece of the run; else for each syllable."""
    faces: list[Face] = []
    run: list[int] = []
    run_script: str | None = None

    def close() -> None:
        if not run:
            return
        text = "".join(cut[i][0] for i in run)
        face = fonts.face_for_run(text, run_script or COMMON, han)
        if face is not None:
            faces.extend([face] * len(run))
            return
        by_piece: dict[int, list[int]] = {}
        for i in run:
            by_piece.setdefault(cut[i][1], []).append(i)
        for members in by_piece.values():
            piece_face = fonts.face_for("".join(cut[i][0] for i in members))
            for i in members:
                faces.append(piece_face or fonts.face_for(cut[i][0]) or fonts.chain[0])

    for index, (_text, _piece, start) in enumerate(cut):
        script = scripts[start] if start < len(scripts) else COMMON
        if run and script != run_script:
            close()
            run = []
        run_script = script
        run.append(index)
    close()
    return faces


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


def remember(cache: OrderedDict, key: object, value: object, most: int) -> None:
    cache[key] = value
    if len(cache) > most:
        cache.popitem(last=False)


class Measure:
    """Widths and ink of runs at one size, remembered in the font book (a caption is measured many times
    while it is wrapped, and again when it is drawn)."""

    def __init__(self, fonts: FontBook, px: int, stroke: int = 0) -> None:
        self.fonts = fonts
        self.px = px
        self.stroke = stroke

    def run(self, run: Run) -> float:
        key = (self.px, run)
        width = self.fonts.widths.get(key)
        if width is None:
            font = self.fonts.at(self.px, run.face)
            if RAQM:
                width = font.getlength(run.text, direction="rtl" if run.rtl else "ltr")
            else:
                width = font.getlength(run.text)
            remember(self.fonts.widths, key, width, WIDTHS_KEPT)
        return width

    def line(self, clusters: tuple[Cluster, ...] | list[Cluster]) -> float:
        runs, _levels = runs_of(trimmed(clusters))
        return sum(self.run(run) for run in runs)

    def ink(self, run: Run) -> tuple[int, int]:
        """How far the run's ink reaches above and below its baseline, outline included (at most
        MOST_INK letter sizes each way)."""
        key = (self.px, self.stroke, run)
        known = self.fonts.inks.get(key)
        if known is not None:
            return known
        font = self.fonts.at(self.px, run.face)
        above = below = 0
        if run.text.strip() and isinstance(font, ImageFont.FreeTypeFont):
            options: dict = {"direction": "rtl" if run.rtl else "ltr"} if RAQM else {}
            _left, top, _right, bottom = font.getbbox(run.text, anchor="ls", stroke_width=self.stroke, **options)
            most = round(MOST_INK * self.px)
            above, below = min(most, max(0, -int(top))), min(most, max(0, int(bottom)))
        remember(self.fonts.inks, key, (above, below), WIDTHS_KEPT)
        return above, below

    def line_ink(self, line: Line) -> tuple[int, int]:
        runs, _levels = runs_of(line.clusters)
        inks = [self.ink(run) for run in runs]
        return max((a for a, _b in inks), default=0), max((b for _a, b in inks), default=0)


def trimmed(clusters: tuple[Cluster, ...] | list[Cluster]) -> list[Cluster]:
    """Without the spaces at either end of a line."""
    items = list(clusters)
    while items and items[-1].text.isspace():
        items.pop()
    while items and items[0].text.isspace():
        items.pop(0)
    return items


def _groups(clusters: list[Cluster], same: str) -> list[list[Cluster]]:
    """Consecutive clusters of one line-break piece (`same="unit"`) or of one word (`same="word"`)."""
    groups: list[list[Cluster]] = []
    for cluster in clusters:
        if groups and getattr(groups[-1][0], same) == getattr(cluster, same):
            groups[-1].append(cluster)
        else:
            groups.append([cluster])
    return groups


def break_lines(clusters: list[Cluster], rtl: bool, measure: Measure, max_width: float,
                paragraph: int = 0) -> list[Line]:
    """Greedy lines between line-break pieces; a piece wider than a line breaks between its words, and a word
    wider than a line between syllables."""
    lines: list[list[Cluster]] = []
    current: list[Cluster] = []
    for piece in _groups(clusters, "unit"):
        if measure.line(current + piece) <= max_width:
            current += piece
            continue
        if current:
            lines.append(current)
            current = []
        if measure.line(piece) <= max_width:
            current = list(piece)
            continue
        for word in _groups(piece, "word"):  # too wide: broken between words, a word too wide between syllables
            if measure.line(current + word) <= max_width:
                current += word
                continue
            if current:
                lines.append(current)
                current = []
            for cluster in word:
                if current and measure.line(current + [cluster]) > max_width:
                    lines.append(current)
                    current = []
                current.append(cluster)
    if current:
        lines.append(current)
    return [Line(tuple(trimmed(line)), rtl, paragraph) for line in lines]


def balanced_lines(clusters: list[Cluster], rtl: bool, measure: Measure, max_width: float,
                   paragraph: int = 0) -> list[Line]:
    """As few lines as greedy wrapping gives, made as even as they can be: the narrowest width that needs
    no more lines (a caption is centred; a last line of one word under a full one reads badly)."""
    lines = break_lines(clusters, rtl, measure, max_width, paragraph)
    if len(lines) < 2:
        return lines
    widest = max(measure.line(line.clusters) for line in lines)
    low, high = widest / len(lines), min(widest, max_width)
    best = lines
    for _ in range(BALANCE_STEPS):
        middle = (low + high) / 2
        trial = break_lines(clusters, rtl, measure, middle, paragraph)
        if len(trial) <= len(lines) and all(measure.line(line.clusters) <= middle for line in trial):
            best, high = trial, middle
        else:
            low = middle
    return best


def missing_characters(text: str, fonts: FontBook, lang: str = "") -> list[str]:
    """The distinct characters of `text` that the font chosen to draw them lacks: what shows as an empty box."""
    missing: list[str] = []
    for paragraph in clean_text(text).text.split("\n"):
        clusters, _rtl = itemize(paragraph, fonts, lang)
        for cluster in clusters:
            for char in fonts.missing(cluster.text, cluster.face):
                if char not in missing:
                    missing.append(char)
    return missing


def draw_line(
    draw: ImageDraw.ImageDraw, line: Line, fonts: FontBook, px: int, centre_x: float, baseline: float,
    fill: Colour, stroke_width: int, stroke_fill: Colour,
) -> None:
    """Draws one line centred at `centre_x`, its runs in visual order on the baseline at `baseline`."""
    from uniseg.graphemecluster import grapheme_clusters

    runs, levels = runs_of(line.clusters)
    if not runs:
        return
    measure = Measure(fonts, px)
    widths = [measure.run(run) for run in runs]
    x = centre_x - sum(widths) / 2
    for index in visual_order(levels):
        run = runs[index]
        font = fonts.at(px, run.face)
        options: dict = {"direction": "rtl" if run.rtl else "ltr"} if RAQM else {}
        text = run.text if RAQM or not run.rtl else "".join(reversed(list(grapheme_clusters(run.text))))
        draw.text((x, baseline), text, font=font, fill=fill, anchor="ls",
                  stroke_width=stroke_width, stroke_fill=stroke_fill, **options)
        x += widths[index]
