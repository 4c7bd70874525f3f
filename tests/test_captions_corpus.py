"""Captions in 43 languages of a public corpus (tests/data/udhr: Article 1 of the UDHR), each followed by a
Korean line as an answer's is, on a landscape panel and on a tall case: every letter drawn where a font is
bundled, lines that never share ink and never leave the band, the Korean line always shown, no word of Thai,
Lao, Khmer or Burmese broken, and `kiosk check` reporting what the screen draws."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from kiosk.core.assets import DEFAULT_FONT, SYSTEM_CJK_FONTS
from kiosk.core.layout import Layout
from kiosk.picture.compose import Band, overlay_bands
from kiosk.picture.textfit import caption_limits
from kiosk.picture.fonts import RAQM, Face, FontBook
from kiosk.picture.syllables import glued, syllables
from kiosk.picture.textfit import Limits, fit_text
from kiosk.picture.textlayout import ELLIPSIS, itemize

from .conftest import make_picture, write_config

DATA = Path(__file__).parent / "data" / "udhr"
CORPUS = json.loads((DATA / "article1.json").read_text(encoding="utf-8"))["languages"]
WORD_ENDS = json.loads((DATA / "words.json").read_text(encoding="utf-8"))["word_ends"]
KOREAN = "— 세계 이주민의 날"  # "International Migrants Day", the line an answer's Korean stands in
PANELS = {"landscape": (1920, 1080), "portrait": (1080, 1920)}
CJK = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)
HAN_LANGUAGES = {"zh-Hans", "zh-Hant", "ja"}


def caption(lang: str) -> str:
    return f"{CORPUS[lang]['text']}\n{KOREAN}"


def languages() -> list[str]:
    return [lang for lang in CORPUS if CJK is not None or lang not in HAN_LANGUAGES]


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    return FontBook(DEFAULT_FONT)


def caption_band(lang: str, panel: str, fonts: FontBook) -> tuple[Band, Layout]:
    layout = Layout(size=PANELS[panel], font=DEFAULT_FONT)
    (band,) = overlay_bands(caption(lang), "answer", layout, fonts, lang)
    return band, layout


def test_the_corpus_has_at_least_thirty_languages_in_many_scripts():
    assert len(CORPUS) >= 30
    assert {"th", "lo", "km", "my", "ta", "bo", "am", "pa", "gu", "te", "uz-Latn", "ru", "zh-Hant", "ja"} <= set(CORPUS)


@lru_cache(maxsize=None)
def _notdef(face: Face, px: int) -> bytes:
    fonts = FontBook(DEFAULT_FONT)
    canvas = Image.new("L", (3 * px, 3 * px))
    ImageDraw.Draw(canvas).text((px, px), "\U000f0000", font=fonts.at(px, face), fill=255)
    return canvas.tobytes()


@pytest.mark.parametrize("lang", languages())
def test_every_letter_is_drawn_as_a_glyph_never_an_empty_box(lang, fonts):
    from kiosk.picture.textlayout import missing_characters

    text = caption(lang)
    assert missing_characters(text, fonts, lang) == []
    px = 30
    for paragraph in text.split("\n"):
        clusters, _rtl = itemize(paragraph, fonts, lang)
        for cluster in clusters:
            if cluster.text.isspace():
                continue
            canvas = Image.new("L", (3 * px + px * len(cluster.text), 3 * px))
            options = {"direction": "ltr"} if RAQM else {}
            ImageDraw.Draw(canvas).text((px, px), cluster.text, font=fonts.at(px, cluster.face), fill=255, **options)
            assert canvas.getbbox() is not None, cluster
            # What an empty box looks like, alone: a cluster of one character must not draw just that.
            if len(cluster.text) == 1:
                alone = Image.new("L", (3 * px, 3 * px))
                ImageDraw.Draw(alone).text((px, px), cluster.text, font=fonts.at(px, cluster.face), fill=255)
                assert alone.tobytes() != _notdef(cluster.face, px), (lang, cluster)


def test_latin_cyrillic_and_greek_answers_come_from_one_family_and_uzbek_is_never_mixed(fonts):
    for lang in ("en", "vi", "uz-Latn", "ru", "kk", "ky", "mn", "uk", "tg", "el", "tr", "de", "fr"):
        clusters, _rtl = itemize(CORPUS[lang]["text"], fonts, lang)
        faces = {cluster.face.path.name for cluster in clusters if not cluster.text.isspace()}
        assert faces == {"NotoSans-Bold.ttf"}, (lang, faces)


def line_rows(band: Band, layout: Layout, fonts: FontBook) -> list[tuple[int, int]]:
    """The first and last row of ink of each line of the band, each drawn alone where the frame draws it."""
    from kiosk.picture.textlayout import draw_line

    rows = []
    height = band.bottom - band.top
    for line, baseline in zip(band.fit.lines, band.fit.baselines):
        canvas = Image.new("L", (layout.size[0], height))
        draw_line(ImageDraw.Draw(canvas), line, fonts, band.fit.px, layout.size[0] / 2,
                  band.text_top - band.top + baseline, 255, band.stroke, 255)
        box = canvas.getbbox()
        assert box is not None, line.text
        rows.append((box[1], box[3] - 1))
        # Nothing of the line is cut off by the band: its ink stops short of the band's edges.
        assert box[1] > 0 and box[3] < height, (line.text, box, height)
    return rows


@pytest.mark.parametrize("panel", sorted(PANELS))
@pytest.mark.parametrize("lang", languages())
def test_consecutive_lines_never_share_a_row_of_ink_and_the_band_holds_every_mark(lang, panel, fonts):
    band, layout = caption_band(lang, panel, fonts)
    rows = line_rows(band, layout, fonts)
    for (_top, bottom), (next_top, _bottom) in zip(rows, rows[1:]):
        assert bottom < next_top, (lang, panel, rows)
    assert band.fit.touching == ()


@pytest.mark.parametrize("panel", sorted(PANELS))
@pytest.mark.parametrize("lang", languages())
def test_the_korean_line_is_always_shown_whole_and_the_answer_keeps_its_place(lang, panel, fonts):
    band, layout = caption_band(lang, panel, fonts)
    fit = band.fit
    assert fit.lines[-1].text == KOREAN and fit.lines[-1].paragraph == 1
    assert 1 not in fit.cut and fit.dropped == ()
    assert fit.lines[0].paragraph == 0  # the answer is never dropped to make room for its Korean
    assert len(fit.lines) <= layout.caption_lines
    assert fit.height <= caption_limits(layout).max_height
    assert fit.px >= layout.caption_min_px


def test_on_a_tall_case_typical_answers_fit_whole_at_their_size(fonts):
    """One to three sentences and their Korean: every answer of the corpus fits a tall case uncut."""
    cut = [lang for lang in languages() if not caption_band(lang, "portrait", fonts)[0].fit.whole]
    assert cut == []


def breaks_of(text: str, fonts: FontBook, lang: str, width: float, px: int) -> list[int]:
    """Where in `text` (offsets) the lines of its layout at `width` end, but the last."""
    clusters, _rtl = itemize(text, fonts, lang)
    ends: dict[int, int] = {}
    offset = 0
    for cluster in clusters:
        offset += len(cluster.text)
        ends[id(cluster)] = offset
    fitted = fit_text(text, fonts, Limits(px, px, width, 99, 1e9), lang)
    found = []
    for line in fitted.lines[:-1]:
        end = ends[id(line.clusters[-1])]
        while end < len(text) and text[end].isspace():
            end += 1  # the spaces at the end of a line belong to it
        found.append(end)
    return found


@pytest.mark.parametrize("width", [1800, 960, 500, 300])
@pytest.mark.parametrize("lang", ["th", "lo", "km", "my"])
def test_scripts_without_spaces_break_lines_only_between_words(lang, width, fonts):
    text = CORPUS[lang]["text"]
    breaks = breaks_of(text, fonts, lang, width, 40)
    assert breaks or width > 1000
    word_ends = set(WORD_ENDS[lang])
    assert [offset for offset in breaks if offset not in word_ends] == [], lang


@pytest.mark.parametrize("lang", ["th", "lo", "km", "my"])
def test_a_cut_never_parts_a_mark_or_the_burmese_visarga_from_its_syllable(lang, fonts):
    text = CORPUS[lang]["text"]
    for width in (400, 700, 1000):
        fitted = fit_text(f"{text}\n{KOREAN}", fonts, Limits(40, 40, width, 2, 1e9), lang)
        (cut_line,) = [line for line in fitted.lines if line.cut]
        kept = cut_line.text.removesuffix(ELLIPSIS).rstrip()
        assert kept and text.startswith(kept)
        rest = text[len(kept):]
        if rest and not rest[0].isspace():
            # What follows the cut begins a syllable of its own.
            assert not glued(syllables(kept)[-1], syllables(rest)[0]), (kept[-8:], rest[:8])


def test_burmese_keeps_the_visarga_and_medials_in_their_syllable():
    assert syllables("လည်းကောင်း") == ["လည်း", "ကောင်း"]
    assert syllables("ဂုဏ်သိက္ခာ") == ["ဂုဏ်", "သိက္ခာ"]
    assert syllables("ကြည့်") == ["ကြည့်"]
    assert syllables("เกียรติ")[0] == "เกีย"  # a leading vowel never ends a syllable
    assert syllables("មនុស្ស")[-1] == "ស្ស"  # a coeng joins the consonant below


def test_kiosk_check_reports_exactly_the_captions_a_panel_shrinks_or_cuts(tmp_path, capsys, fonts):
    from kiosk.app.cli import main

    slides = tmp_path / "slides"
    for number, lang in enumerate(languages()):
        picture = make_picture(slides / "answers" / f"a{number:02d}.jpg", size=(64, 48))
        doubled = f"{CORPUS[lang]['text']} {CORPUS[lang]['text']}"  # long enough that some are cut
        text = doubled if number % 3 == 0 else CORPUS[lang]["text"]
        sidecar = {"caption": f"{text}\n{KOREAN}", "lang": lang}
        picture.with_suffix(".yaml").write_text(json.dumps(sidecar, ensure_ascii=False), encoding="utf-8")
    (slides / "fleet.yaml").write_text("roles:\n  tall-case:\n    display: {rotation: 90}\n", encoding="utf-8")
    config = write_config(tmp_path, "display:\n  size: [1920, 1080]\n", slides=slides)
    assert main(["check", "--json", "--config", str(config)]) == 0
    report = json.loads(capsys.readouterr().out)
    reported = {(row["where"], row["panel"]): row for row in report["caption_fits"]}
    expected = {}
    for number, lang in enumerate(languages()):
        path = f"answers/a{number:02d}.jpg"
        sidecar = json.loads((slides / path).with_suffix(".yaml").read_text(encoding="utf-8"))
        for size, panel in (((1920, 1080), "1920×1080 landscape"), ((1080, 1920), "1080×1920 portrait")):
            layout = Layout(size=size, font=DEFAULT_FONT)
            (band,) = overlay_bands(sidecar["caption"], "answer", layout, fonts, lang)
            if band.fit.shrunk or not band.fit.whole:
                expected[(path, panel)] = band.fit
    assert set(reported) == set(expected)
    assert any(fit.cut for fit in expected.values()) and any(fit.shrunk for fit in expected.values())
    for key, fit in expected.items():
        row = reported[key]
        assert (row["drawn_px"], row["size_px"], row["cut"], row["shows"]) == (fit.px, fit.base_px, list(fit.cut),
                                                                               fit.shown)
        assert row["box"] == ("this box" if key[1].endswith("landscape") else "role tall-case")


def test_kiosk_check_says_in_words_which_caption_a_tall_case_cuts_and_what_shows(tmp_path, capsys):
    from kiosk.app.cli import main

    slides = tmp_path / "slides"
    picture = make_picture(slides / "answers" / "long.jpg", size=(64, 48))
    long_answer = " ".join([CORPUS["my"]["text"]] * 3)
    picture.with_suffix(".yaml").write_text(json.dumps({"caption": f"{long_answer}\n{KOREAN}", "lang": "my"},
                                                       ensure_ascii=False), encoding="utf-8")
    config = write_config(tmp_path, "display:\n  size: [1080, 1920]\n", slides=slides)
    assert main(["check", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    (line,) = [line for line in out.splitlines() if "caption cut:" in line]
    assert "answers/long.jpg on 1080×1920 portrait (this box): drawn at 35 px instead of 49" in line
    assert "paragraph 1 of 2 cut short with …" in line
    assert line.endswith(f" / {KOREAN}")  # what shows ends with the Korean line, whole


def test_a_sidecars_language_reaches_the_frame_and_a_change_of_it_is_a_new_frame():
    from kiosk.core.catalogue import Slide
    from kiosk.core.config import parse_config
    from kiosk.core.frames import frame_key
    from kiosk.core.playlist import entry_for, playlist_settings
    from kiosk.core.sidecar import SlideMeta

    settings = playlist_settings(parse_config("", Path(".")))
    layout = Layout(size=(1920, 1080), font=DEFAULT_FONT)
    traditional = Slide("answers/a.jpg", "answer", 10, 1, SlideMeta(caption="人人生而自由", lang="zh-Hant"))
    plain = Slide("answers/a.jpg", "answer", 10, 1, SlideMeta(caption="人人生而自由"))
    assert frame_key(entry_for(traditional, settings), layout).lang == "zh-Hant"
    assert frame_key(entry_for(traditional, settings), layout) != frame_key(entry_for(plain, settings), layout)
