"""Captions in the scripts of Korea's migrant communities: drawn as glyphs, shaped, in order, wrapped."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from uniseg.graphemecluster import grapheme_clusters

from kiosk.core.assets import CJK_FACE, DEFAULT_FONT, FALLBACK_FONT, SYSTEM_CJK_FONTS
from kiosk.picture.bidi import visual_order
from kiosk.picture.fonts import RAQM, Face, FontBook
from kiosk.picture.textfit import Limits, fit_text
from kiosk.picture.textlayout import ELLIPSIS, Line, Measure, draw_line, itemize, missing_characters, runs_of

SINHALA_MIGRATION = "සංක්\u200dරමණය"  # the joiner makes the rakaransaya, as Sinhala writers type it

# Two real answers per script: "migration means hope", "... a new beginning", and the like.
ANSWERS = {
    "Korean": ("이주는 함께 희망하는 것입니다", "이주는 새로운 시작입니다"),
    "Chinese (Simplified)": ("移民意味着希望", "移民就是一起创造新生活"),
    "Chinese (Traditional)": ("移民代表希望與勇氣", "移民就是一起創造新生活"),
    "Vietnamese": ("Di cư nghĩa là hy vọng", "Di cư là cùng nhau xây dựng tương lai"),
    "Thai": ("การย้ายถิ่นฐานคือความหวัง", "การย้ายถิ่นฐานคือโอกาสใหม่"),
    "Khmer": ("ការធ្វើចំណាកស្រុកមានន័យថាក្តីសង្ឃឹម", "ចំណាកស្រុកគឺជាការចាប់ផ្តើមថ្មី"),
    "Nepali": ("बसाइँसराइ भनेको आशा हो", "बसाइँसराइ भनेको नयाँ सुरुवात हो"),
    "Sinhala": (f"{SINHALA_MIGRATION} යනු බලාපොරොත්තුවයි", f"{SINHALA_MIGRATION} යනු නව ආරම්භයකි"),
    "Burmese": ("ရွှေ့ပြောင်းနေထိုင်ခြင်းသည် မျှော်လင့်ချက်ဖြစ်သည်", "ရွှေ့ပြောင်းနေထိုင်ခြင်းသည် အစသစ်ဖြစ်သည်"),
    "Mongolian (Cyrillic)": ("Цагаачлал бол итгэл найдвар", "Цагаачлал бол шинэ эхлэл"),
    "Russian": ("Миграция — это надежда", "Миграция — это новое начало"),
    "Uzbek (Latin)": ("Migratsiya — bu umid", "Migratsiya — bu yangi boshlanish"),
    "Uzbek (Cyrillic)": ("Миграция — бу умид", "Миграция — бу янги ҳаёт"),
    "Bengali": ("অভিবাসন মানে আশা", "অভিবাসন মানে নতুন শুরু"),
    "Urdu": ("ہجرت کا مطلب امید ہے", "ہجرت کا مطلب نئی شروعات ہے"),
    "Filipino": ("Ang migrasyon ay pag-asa", "Ang migrasyon ay bagong simula"),
    "Indonesian": ("Migrasi berarti harapan", "Migrasi berarti awal yang baru"),
    "Hebrew": ("הגירה פירושה תקווה", "הגירה היא התחלה חדשה"),
}


def fit_lines(text: str, fonts: FontBook, px: int, width: float, most: int) -> tuple[list[Line], int]:
    """The lines and size of `text` fitted `most` lines deep (no limit on height), shrinking to 70 %."""
    fitted = fit_text(text, fonts, Limits(px, round(px * 0.7), width, most, 1e9))
    return list(fitted.lines), fitted.px


CJK = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)
needs_cjk = pytest.mark.skipif(CJK is None, reason="no Noto Sans CJK on this machine (install fonts-noto-cjk)")


@pytest.fixture(scope="module")
def fonts() -> FontBook:
    return FontBook(DEFAULT_FONT)


def rendered(text: str, fonts: FontBook, px: int = 40, width: int = 1400) -> Image.Image:
    """`text` laid out and drawn on one line (or more), as the caption band draws it."""
    lines, px = fit_lines(text, fonts, px, width - 40, 4)
    canvas = Image.new("L", (width, 70 * len(lines) + 20))
    draw = ImageDraw.Draw(canvas)
    for index, line in enumerate(lines):
        draw_line(draw, line, fonts, px, width / 2, 10 + fonts.at(px).getmetrics()[0] + index * 70, 255, 0, 0)
    return canvas


def notdef(face: Face, fonts: FontBook, px: int = 40) -> bytes:
    """What the face draws for a character it does not have: the empty box."""
    canvas = Image.new("L", (120, 120))
    ImageDraw.Draw(canvas).text((20, 20), "\U000f0000", font=fonts.at(px, face), fill=255)
    return canvas.tobytes()


def drawn_alone(cluster: str, face: Face, fonts: FontBook, px: int = 40) -> bytes:
    canvas = Image.new("L", (120, 120))
    options = {"direction": "ltr"} if RAQM else {}
    ImageDraw.Draw(canvas).text((20, 20), cluster, font=fonts.at(px, face), fill=255, **options)
    return canvas.tobytes()


@pytest.mark.parametrize("language", sorted(ANSWERS))
def test_every_answer_is_drawn_in_glyphs_never_boxes(language, fonts):
    if language.startswith("Chinese") and CJK is None:
        pytest.skip("no Noto Sans CJK on this machine (install fonts-noto-cjk)")
    first, second = ANSWERS[language]
    for text in (first, second):
        assert missing_characters(text, fonts) == [], language
        clusters, _rtl = itemize(text, fonts)
        for cluster in clusters:
            if not cluster.text.isspace():
                assert drawn_alone(cluster.text, cluster.face, fonts) != notdef(cluster.face, fonts), cluster
    # Two different answers of one script draw different pixels (boxes would all look alike).
    assert rendered(first, fonts).tobytes() != rendered(second, fonts).tobytes()


def test_vietnamese_and_korean_in_one_caption_each_get_a_font_that_has_them(fonts):
    text = "Xin chào, di cư nghĩa là hy vọng — 이주는 희망입니다"
    assert missing_characters(text, fonts) == []
    clusters, _rtl = itemize(text, fonts)
    by_text = {cluster.text: cluster.face.path for cluster in clusters}
    assert by_text["ư"] == FALLBACK_FONT and by_text["ọ"] == FALLBACK_FONT
    assert by_text["희"] == DEFAULT_FONT
    # The Vietnamese phrase is drawn in one font, not letter by letter.
    vietnamese = [c.face.path for c in clusters if c.text.isascii() and c.text.isalpha()]
    assert set(vietnamese) == {FALLBACK_FONT}


def test_an_urdu_word_inside_an_english_caption_reads_in_order(fonts):
    line = fit_lines("Migration means امید hope", fonts, 40, 2000, 1)[0][0]
    runs, levels = runs_of(line.clusters)
    order = [runs[index] for index in visual_order(levels) if runs[index].text.strip()]
    # The word stays between the English words, and only it runs right to left.
    assert [run.text.strip() for run in order] == ["Migration means", "امید", "hope"]
    assert [run.rtl for run in order] == [False, True, False]


def test_english_inside_an_urdu_caption_puts_the_urdu_on_the_right(fonts):
    line = fit_lines("امید means hope", fonts, 40, 2000, 1)[0][0]
    runs, levels = runs_of(line.clusters)
    assert line.rtl
    order = [runs[index].text.strip() for index in visual_order(levels)]
    assert order[0] == "means hope" and order[-1] == "امید"


@pytest.mark.skipif(not RAQM, reason="Pillow without raqm")
def test_an_arabic_run_is_shaped_right_to_left_as_harfbuzz_shapes_it(fonts):
    from PIL import ImageFont

    word = "امید"
    face = itemize(word, fonts)[0][0].face
    ours = rendered(word, fonts)
    baseline = 10 + fonts.at(40).getmetrics()[0]
    shaped = fonts.at(40, face)
    unshaped = ImageFont.truetype(str(face.path), 40, layout_engine=ImageFont.Layout.BASIC)
    for font, same in ((shaped, True), (unshaped, False)):
        canvas = Image.new("L", ours.size)
        width = font.getlength(word)
        ImageDraw.Draw(canvas).text((ours.width / 2 - width / 2, baseline), word, font=font, fill=255, anchor="ls")
        # Shaped by HarfBuzz and read right to left, not letters in isolation left to right.
        assert (canvas.tobytes() == ours.tobytes()) is same


def visible_clusters(text: str) -> list[str]:
    return [cluster for cluster in grapheme_clusters(text) if not cluster.isspace()]


def assert_wraps_within(text, fonts, width, expected_lines):
    lines, px = fit_lines(text, fonts, 40, width, 10)
    measure = Measure(fonts, px)
    assert len(lines) >= expected_lines
    assert all(measure.line(line.clusters) <= width for line in lines)
    # Nothing lost, and no cluster split: the lines are whole clusters of the text, in order.
    assert [c for line in lines for c in visible_clusters(line.text)] == visible_clusters(text)
    return lines


@needs_cjk
def test_a_chinese_caption_wraps_between_ideographs(fonts):
    text = "对我来说，移民意味着和大家一起创造新的生活，一起希望。"
    lines = assert_wraps_within(text, fonts, 300, 3)
    assert all(line.text for line in lines)


def test_a_thai_caption_without_spaces_wraps_between_clusters(fonts):
    text = "การย้ายถิ่นฐานคือความหวังและโอกาสใหม่สำหรับครอบครัวของเรา"
    assert_wraps_within(text, fonts, 260, 3)


def test_a_long_caption_ends_in_an_ellipsis_that_never_splits_a_cluster(fonts):
    text = "बसाइँसराइ भनेको आशा हो " * 12
    lines, _px = fit_lines(text, fonts, 40, 400, 2)
    assert len(lines) == 2 and lines[-1].text.endswith(ELLIPSIS)
    shown = [c for line in lines for c in visible_clusters(line.text)][:-1]
    assert shown == visible_clusters(text)[: len(shown)]


def test_control_characters_and_escapes_are_not_drawn(fonts):
    dirty = "Migration\x1b[31m means\x07 hope\u202e evil"
    clean = "Migration means hope evil"
    assert rendered(dirty, fonts).tobytes() == rendered(clean, fonts).tobytes()


def test_a_flood_of_combining_marks_stays_inside_the_band(fonts):
    from kiosk.core.layout import Layout
    from kiosk.picture.compose import compose_frame

    layout = Layout(size=(640, 360), font=DEFAULT_FONT, fit="contain", captions=True, caption_scale=0.06)
    picture = Image.new("RGB", (640, 360), (30, 120, 200))
    zalgo = "H" + "\u0301\u0300\u0302\u0303\u0304\u0306" * 40 + "ope"
    frame = compose_frame(picture, zalgo, "answer", layout, fonts)
    plain = compose_frame(picture, "Hope", "answer", layout, fonts)

    def band_top(image: Image.Image) -> int:
        return next(y for y in range(360) if image.getpixel((5, y)) != (30, 120, 200))

    # The four marks kept on the H make the band taller, so they are inside it; above it, the photo is untouched.
    assert band_top(frame) < band_top(plain)
    top = band_top(frame)
    assert frame.crop((0, 0, 640, top)).tobytes() == picture.crop((0, 0, 640, top)).tobytes()


@given(st.text(max_size=80))
def test_any_text_lays_out_within_the_width_and_the_line_count(text):
    fonts = FontBook(DEFAULT_FONT)
    lines, px = fit_lines(text, fonts, 30, 300, 3)
    measure = Measure(fonts, px)
    assert len(lines) <= 3
    for line in lines:
        assert measure.line(line.clusters) <= 300 or len(line.clusters) == 1
        assert isinstance(line, Line)


# Paragraphs of words from the scripts the answers come in, and the odd hostile character.
_WORDS = ["hope", "together", "희망", "함께", "ความหวัง", "ក្តីសង្ឃឹម", "မျှော်လင့်ချက်", "ລາວ", "आशा", "امید",
          "希望", "boʻlib", "надежда", "\u0301", "\u200d", "…", "—", "1.7", " ", "  "]
_PARAGRAPHS = st.lists(st.lists(st.sampled_from(_WORDS), min_size=0, max_size=30).map("".join), min_size=1,
                       max_size=5).map("\n".join)


@settings(deadline=None, max_examples=60)
@given(_PARAGRAPHS, st.integers(1, 8), st.integers(120, 900))
def test_any_caption_fits_its_limits_keeps_every_paragraph_it_can_and_its_lines_never_touch(text, most, width):
    fonts = FontBook(DEFAULT_FONT)
    limits = Limits(30, 20, width, most, 30 * 1.35 * most + 60)
    fitted = fit_text(text, fonts, limits)
    measure = Measure(fonts, fitted.px)
    assert len(fitted.lines) <= most
    assert limits.min_px <= fitted.px <= limits.base_px
    assert fitted.touching == ()
    assert list(fitted.baselines) == sorted(fitted.baselines)
    for line in fitted.lines:
        assert measure.line(line.clusters) <= width or len(line.clusters) == 1 or line.cut
    paragraphs = [p for p in text.split("\n")]
    shown = {line.paragraph for line in fitted.lines if line.clusters}
    written = [number for number, p in enumerate(paragraphs) if p.strip()]
    if written and len(written) <= most:
        assert shown >= set(written) or fitted.height > limits.max_height or set(fitted.dropped)
        assert written[-1] in shown  # the last paragraph is never the one left out
    if fitted.whole and fitted.lines:
        assert fitted.height <= limits.max_height


def test_a_chain_without_the_system_cjk_font_reports_chinese_as_missing():
    fonts = FontBook(DEFAULT_FONT, fallbacks=(Face(FALLBACK_FONT),))
    text = "对我来说，移民意味着和大家一起创造新的生活"
    # Nanum Gothic has the Hanja Korean uses, not these simplified forms.
    assert missing_characters(text, fonts) == ["对", "来", "说", "创"]
    if CJK is not None:
        with_cjk = FontBook(DEFAULT_FONT, fallbacks=(Face(FALLBACK_FONT), Face(CJK, CJK_FACE)))
        assert missing_characters(text, with_cjk) == []


def test_kiosk_check_names_exactly_what_the_screen_draws_as_boxes(tmp_path, capsys, fonts):
    import json

    from kiosk.app.cli import main

    from .conftest import make_picture, write_config

    caption = "Hope \U0001fae0 ᠮᠣᠩᠭᠣᠯ — di cư nghĩa là hy vọng — 이주는 희망입니다 — ความหวัง"
    slides = tmp_path / "slides"
    make_picture(slides / "answers" / "a.jpg")
    (slides / "answers" / "a.txt").write_text(caption + "\n\x1b[31mred\x1b[0m\n", encoding="utf-8")
    assert main(["check", "--json", "--config", str(write_config(tmp_path, slides=slides))]) == 0
    report = json.loads(capsys.readouterr().out)
    (reported,) = report["missing_glyphs"]
    assert reported["where"] == "answers/a.jpg"
    assert report["cleaned_text"] == [{"where": "answers/a.jpg", "removed": ["removed 2 terminal escape sequences"]}]
    # The pixels agree: each reported character is drawn as its font's empty box, every other one is not.
    boxes = set(reported["characters"])
    assert boxes == {"\U0001fae0", *"ᠮᠣᠩᠭᠣᠯ"}
    clusters, _rtl = itemize(caption, fonts)
    for cluster in clusters:
        if cluster.text.isspace():
            continue
        is_box = drawn_alone(cluster.text, cluster.face, fonts) == notdef(cluster.face, fonts)
        assert is_box == (cluster.text in boxes), cluster
