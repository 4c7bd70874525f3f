"""The font chain: the caption font first, then a font for every script of the answers."""

from kiosk.core.assets import DEFAULT_FONT, FALLBACK_FONT, SCRIPT_FONTS
from kiosk.picture.fonts import Face, FontBook, default_fallbacks, drawn, script_of


def test_the_chain_starts_with_the_caption_font_then_the_bundled_ones():
    fonts = FontBook(DEFAULT_FONT)
    paths = [face.path for face in fonts.chain]
    assert paths[0] == DEFAULT_FONT and paths[1] == FALLBACK_FONT
    assert all(path in paths for path in SCRIPT_FONTS)
    assert all(path.is_file() for path in SCRIPT_FONTS)


def test_the_caption_font_is_not_listed_twice():
    fonts = FontBook(FALLBACK_FONT)
    assert [face.path for face in fonts.chain].count(FALLBACK_FONT) == 1


def test_the_first_font_that_has_every_letter_is_chosen():
    fonts = FontBook(DEFAULT_FONT)
    assert fonts.face_for("희망").path == DEFAULT_FONT
    assert fonts.face_for("hy vọng").path == FALLBACK_FONT
    assert fonts.face_for("ความหวัง").path.name == "NotoSansThai-Bold.ttf"
    assert fonts.face_for("ক্ষ").path.name == "NotoSansBengali-Bold.ttf"
    assert fonts.face_for("\U0001fae0") is None  # no font has it
    assert fonts.missing("a\U0001fae0", fonts.chain[0]) == ["\U0001fae0"]


def test_joiners_and_variation_selectors_need_no_glyph():
    assert drawn("a\u200db\ufe0f c") == [ord("a"), ord("b"), ord("c")]


def test_scripts_of_letters():
    assert [script_of(c) for c in "a한移ก،1 "] == ["LATIN", "HANGUL", "HAN", "THAI", None, None, None]


def test_an_unreadable_font_is_said_and_skipped(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    fonts = FontBook(broken)
    assert fonts.face_for("hope").path == FALLBACK_FONT
    assert any("cannot read the font" in problem for problem in fonts.problems)
    assert fonts.at(20) is not None  # Pillow's own font stands in for drawing


def test_default_fallbacks_are_faces():
    assert all(isinstance(face, Face) for face in default_fallbacks())
