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


def _text_problems(config: Config, catalogue: Catalogue) -> tuple[list[dict], list[dict], list[str]]:
    """What the screen would do with each caption, title and footer, by the code that draws them:
    the characters that would show as empty boxes, what cleaning removed, and what the fonts lack."""
    from kiosk.core.textclean import clean_text
    from kiosk.picture.fonts import RAQM, FontBook
    from kiosk.picture.textlayout import missing_characters

    fonts = FontBook(config.captions.font)
    texts = [("overlays.title", config.overlays.title), ("overlays.footer", config.overlays.footer)]
    texts += [(slide.path, slide.meta.caption) for slide in catalogue.slides()]
    glyphs, cleaned = [], []
    needs_shaping = False
    for where, text in texts:
        if not text:
            continue
        missing = missing_characters(text, fonts)
        if missing:
            glyphs.append({"where": where, "characters": missing})
        notes = clean_text(text).notes
        if notes:
            cleaned.append({"where": where, "removed": list(notes)})
        needs_shaping = needs_shaping or any(_shaped(char) for char in text)
    warnings = list(dict.fromkeys(fonts.problems))
    if needs_shaping and not RAQM:
        warnings.append("Pillow's raqm layout is not available (install libfribidi0): Thai, Indic, Khmer, "
                        "Burmese and Arabic captions would show unjoined and out of order")
    return glyphs, cleaned, warnings


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
    selection_warnings = _empty_selections(config, fleet.fleet, catalogue)
    from kiosk.boundary.sync import trust_report

    trust, trust_problem = trust_report(config.sync.root_key, config.state.dir, bool(config.sync.url))
    report = {
        "config_errors": [],
        "slides": slides,
        "content_problems": list(catalogue.problems),
        "missing_glyphs": glyphs,
        "cleaned_text": cleaned,
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


