"""`kiosk check`: what is wrong with the box's config and content, before a passer-by sees it.

Every slide is read by the code that shows it: a picture decoded, a video
decoded to its last frame (a file damaged half-way fails here, not on the
plaza), each caption laid out with the fonts the screen uses. Nothing here
needs a screen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, Callable

from kiosk.app.common import EXIT_FAILURE, EXIT_OK
from kiosk.boundary.folder import scan
from kiosk.core.catalogue import Catalogue
from kiosk.core.config import Config
from kiosk.core.errors import ConfigError, ContentError, PassingError
from kiosk.core.fleet import Fleet, empty_selections
from kiosk.core.playlist import playlist_settings
from kiosk.core.plaza import selected
from kiosk.core.videofacts import is_video


TYPICAL_PANEL = (1920, 1080)  # a box's panel when its config does not say (display.size)


def _text_problems(config: Config, catalogue: Catalogue) -> tuple[list[dict], list[dict], list[str]]:
    """What the screen would do with each caption, title and footer, by the code that draws them:
    the characters that would show as empty boxes, what cleaning removed, and what the fonts lack."""
    from kiosk.core.textclean import clean_text
    from kiosk.picture import icu
    from kiosk.picture.fonts import RAQM, FontBook
    from kiosk.picture.textlayout import missing_characters

    fonts = FontBook(config.captions.font)
    texts = [("overlays.title", config.overlays.title, ""), ("overlays.footer", config.overlays.footer, "")]
    texts += [(slide.path, slide.meta.caption, slide.meta.lang) for slide in catalogue.slides()]
    glyphs, cleaned = [], []
    needs_shaping = needs_words = False
    for where, text, lang in texts:
        if not text:
            continue
        missing = missing_characters(text, fonts, lang)
        if missing:
            glyphs.append({"where": where, "characters": missing})
        notes = clean_text(text).notes
        if notes:
            cleaned.append({"where": where, "removed": list(notes)})
        needs_shaping = needs_shaping or any(_shaped(char) for char in text)
        needs_words = needs_words or any(_without_spaces(char) for char in text)
    warnings = list(dict.fromkeys(fonts.problems))
    if needs_shaping and not RAQM:
        warnings.append("Pillow's raqm layout is not available (install libfribidi0): Thai, Indic, Khmer, "
                        "Burmese and Arabic captions would show unjoined and out of order")
    if needs_words and not icu.available():
        warnings.append("ICU is not available (install libicu72, or the libicu of this release): Thai, Lao, "
                        "Khmer and Burmese captions would break lines between syllables, not between words")
    return glyphs, cleaned, warnings


def _without_spaces(char: str) -> bool:
    """A letter of Thai, Lao, Myanmar or Khmer: scripts written without spaces between words."""
    return 0x0E00 <= ord(char) <= 0x0EFF or 0x1000 <= ord(char) <= 0x109F or 0x1780 <= ord(char) <= 0x17FF


def _panels(args: argparse.Namespace, config: Config, fleet: Fleet | None) -> list[tuple[str, Config]]:
    """This box's config, and each role's of the fleet file in force: every panel a caption is fitted to."""
    from kiosk.boundary.configfile import load_config

    panels = [("this box" + (f" (role {config.box.role})" if config.box.role else ""), config)]
    if fleet is not None:
        for role in sorted(fleet.roles):
            if role == config.box.role:
                continue
            try:
                panels.append((f"role {role}", load_config(args.config, fleet, as_role=role)))
            except ConfigError:
                continue  # the role's settings are refused: check says so under the fleet file
    return panels


def _caption_fits(args: argparse.Namespace, config: Config, fleet: Fleet | None,
                  catalogue: Catalogue) -> list[dict]:
    """Each caption that a panel would draw smaller than its `captions.size`, or cut, with what shows:
    for this box and for each role of the fleet file, by the code that draws the frame."""
    from kiosk.core.layout import Layout
    from kiosk.picture.textfit import caption_limits
    from kiosk.picture.fonts import FontBook
    from kiosk.picture.textfit import fit_text

    found = []
    for name, panel_config in _panels(args, config, fleet):
        if not panel_config.captions.enabled:
            continue
        layout = Layout.from_config(panel_config, panel_config.display.size or TYPICAL_PANEL)
        limits = caption_limits(layout)
        fonts = FontBook(panel_config.captions.font)
        width, height = layout.size
        shown_slides = selected(catalogue, playlist_settings(panel_config))
        for slide in shown_slides.slides():
            meta = slide.meta
            if not meta.caption.strip():
                continue
            fit = fit_text(meta.caption, fonts, limits, meta.lang)
            if fit.whole and not fit.shrunk and not fit.touching:
                continue
            found.append({
                "where": slide.path, "panel": f"{width}×{height} {'portrait' if layout.portrait else 'landscape'}",
                "box": name, "size_px": fit.base_px, "drawn_px": fit.px, "lines": len(fit.lines),
                "paragraphs": fit.paragraphs, "cut": list(fit.cut), "dropped": list(fit.dropped),
                "touching": list(fit.touching), "shows": fit.shown,
            })
    return found


def _describe_fit(row: dict) -> str:
    """One line of what a panel does with a caption, as staff read it."""
    said = [f"drawn at {row['drawn_px']} px instead of {row['size_px']}"] if row["drawn_px"] < row["size_px"] else []
    if row["cut"]:
        numbers = ", ".join(str(number + 1) for number in row["cut"])
        said.append(f"paragraph {numbers} of {row['paragraphs']} cut short with …")
    if row["dropped"]:
        numbers = ", ".join(str(number + 1) for number in row["dropped"])
        said.append(f"paragraph {numbers} of {row['paragraphs']} left out (more paragraphs than lines)")
    if row["touching"]:
        said.append("lines would touch")
    shows = row["shows"].replace("\n", " / ")
    return f"{row['where']} on {row['panel']} ({row['box']}): {'; '.join(said)}; shows: {shows}"


def _shaped(char: str) -> bool:
    """Whether a letter belongs to a script that needs shaping or runs right to left."""
    import unicodedata

    return unicodedata.bidirectional(char) in ("R", "AL") or 0x0900 <= ord(char) <= 0x1CFF


def cmd_check(args: argparse.Namespace) -> int:
    from kiosk.picture.decoder import decode_picture, picture_facts

    from kiosk.boundary.fleetfile import load_box_config

    try:
        config, fleet = load_box_config(args.config)
    except ConfigError as exc:
        if args.json:
            print(json.dumps({"config_errors": exc.problems, "slides": []}, ensure_ascii=False, indent=2))
        else:
            for problem in exc.problems:
                print(f"config error: {problem}")
        return EXIT_FAILURE
    catalogue = scan(config.slides.folder)
    slides = []
    for slide in catalogue.slides():
        if is_video(slide.path):
            slides.append(_video_row(config.slides.folder, slide.path, slide.kind))
            continue
        error = None
        try:
            decode_picture(config.slides.folder / slide.path, config.decoding.max_pixels).close()
        except ContentError as exc:
            error = str(exc)
        facts = picture_facts(config.slides.folder / slide.path, config.slides.folder) if error is None else {}
        slides.append({"path": slide.path, "kind": slide.kind, "ok": error is None, "error": error, **facts})
    glyphs, cleaned, text_warnings = _text_problems(config, catalogue)
    fits = _caption_fits(args, config, fleet.fleet, catalogue)
    selection_warnings = _empty_selections(config, fleet.fleet, catalogue)
    from kiosk.boundary.sync import trust_report

    trust, trust_problem = trust_report(config.sync.root_key, config.state.dir, bool(config.sync.url))
    report = {
        "config_errors": [],
        "slides": slides,
        "content_problems": list(catalogue.problems),
        "missing_glyphs": glyphs,
        "cleaned_text": cleaned,
        "caption_fits": fits,
        "text_warnings": text_warnings,
        "fleet": fleet.status(),
        "selection_warnings": selection_warnings,
        "trust": trust,
        "trust_problem": trust_problem,
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return EXIT_FAILURE if trust_problem else EXIT_OK
    bad = [s for s in slides if not s["ok"]]
    print(f"config: ok ({config.source})" + (f", with fleet.yaml {fleet.version}" if fleet.version else ""))
    for problem in fleet.refused:
        print(f"  fleet file refused: {problem}")
    for warning in selection_warnings:
        print(f"  warning: {warning}")
    _print_trust(trust, trust_problem, config.sync.root_key)
    print(
        f"slides: {catalogue.count('contribute')} contribute, {catalogue.count('answer')} answers, "
        f"{len(bad)} unusable"
    )
    for row in bad:
        print(f"  unusable: {row['path']}: {row['error']}")
    formats: dict[str, int] = {}
    for row in slides:
        if row.get("format"):
            formats[row["format"]] = formats.get(row["format"], 0) + 1
    if formats:
        print("  formats: " + ", ".join(f"{count} {name}" for name, count in sorted(formats.items())))
    for row in slides:
        if row.get("video") and row["ok"]:
            print(f"  video: {row['path']}: {describe_video(row['video'])}")
    _print_some(slides, "colour_profile", "carry a colour profile and are shown converted to sRGB", str)
    _print_some(slides, "shown_differently", "are not shown exactly as their files ask", "; ".join)
    _print_some(slides, "private_metadata", "carry private metadata, which `kiosk publish` leaves out of its "
                "renditions", ", ".join)
    for problem in catalogue.problems:
        print(f"  problem: {problem}")
    for glyph in glyphs:
        chars = " ".join(f"{c!r} U+{ord(c):04X}" for c in glyph["characters"])
        print(f"  no font can draw in {glyph['where']} (shown as empty boxes): {chars}")
    for item in cleaned:
        print(f"  text cleaned in {item['where']}: {'; '.join(item['removed'])}")
    for row in fits:
        print(f"  caption {'cut' if row['cut'] or row['dropped'] else 'shrunk'}: {_describe_fit(row)}")
    for warning in text_warnings:
        print(f"  text: {warning}")
    if not config.slides.folder.is_dir():
        print(f"  slide folder {config.slides.folder} does not exist: the fallback slide will show")
    return EXIT_FAILURE if trust_problem else EXIT_OK


def _video_row(folder: Path, path: str, kind: str) -> dict[str, Any]:
    """A video as `check` reports it: its facts, once every frame has decoded (or the first that fails)."""
    from kiosk.picture.video import open_video

    try:
        with open_video(folder / path, None, root=folder) as video:
            facts = video.facts
            count = sum(1 for _frame in video.raw_frames())
        if facts.frames is not None and count < facts.frames:
            raise ContentError(f"{path}: truncated: it ends after {count} of the {facts.frames} frames its "
                               "header counts")
    except (ContentError, PassingError) as exc:
        return {"path": path, "kind": kind, "ok": False, "error": str(exc).removeprefix(f"{path}: ")}
    return {"path": path, "kind": kind, "ok": True, "error": None, "format": f"{facts.codec.upper()} video",
            "video": {**facts.as_dict(), "decoded_frames": count},
            "private_metadata": list(facts.private_metadata)}


def describe_video(facts: dict[str, Any]) -> str:
    """One line of a video's facts, as staff read them."""
    width, height = facts["size"]
    turned = f", turned {facts['rotation']}° upright" if facts["rotation"] else ""
    sound = f"sound ({facts['audio']})" if facts["audio"] else "no sound"
    private = ", ".join(facts["private_metadata"]) or "none"
    return (f"{facts['codec']} {width}×{height}{turned}, {facts['frame_rate']:g} fps, {facts['seconds']:.1f} s "
            f"({facts['decoded_frames']} frames), {sound}, private metadata: {private}")


def _print_trust(trust: dict, problem: str | None, root_key: Path | None) -> None:
    """One line on whether synced content must be signed (docs/trust.md)."""
    if problem:
        print(f"trust: every manifest will be refused: {problem}")
    elif trust["state"] == "unpinned":
        print("trust: unpinned: unsigned content accepted (sync.root_key is empty; see docs/trust.md)")
    elif trust["pinned"]:
        print(f"trust: signed content only, root key {root_key}"
              + (f"; last accepted serial {trust['version']}, expires {trust['expires']}" if trust["version"]
                 else "; nothing accepted yet"))


def _empty_selections(config: Config, fleet: Fleet | None, catalogue: Catalogue) -> list[str]:
    """Each role or box of the fleet file in force, and this box itself, that would be left no slide."""
    found = empty_selections(fleet, [slide.path for slide in catalogue.slides()]) if fleet is not None else []
    mine = selected(catalogue, playlist_settings(config))
    if catalogue.contribute + catalogue.answers and not mine.contribute + mine.answers:
        role = f" (role {config.box.role})" if config.box.role else ""
        found.append(f"this box{role} shows no slide: its playlist.kinds, include and exclude leave it "
                     f"none of the {len(catalogue.contribute) + len(catalogue.answers)} slides; it shows the "
                     "fallback card")
    return found


def _print_some(slides: list[dict], key: str, what: str, describe: Callable[[Any], str]) -> None:
    """One line for the slides whose `key` is set: how many, and the first five with it."""
    found = [slide for slide in slides if slide.get(key)]
    if found:
        print(f"  {len(found)} slides {what}: "
              + ", ".join(f"{slide['path']} ({describe(slide[key])})" for slide in found[:5])
              + (", ..." if len(found) > 5 else ""))


