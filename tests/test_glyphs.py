from kiosk.core.assets import DEFAULT_FONT
from kiosk.picture.glyphs import font_codepoints, missing_characters


def test_bundled_font_covers_every_hangul_syllable_and_latin():
    covered = font_codepoints(DEFAULT_FONT)
    assert all(code in covered for code in range(0xAC00, 0xD7A4))
    assert all(code in covered for code in range(0x20, 0x7F))
    assert 0x00B7 in covered and 0x2026 in covered  # middle dot and ellipsis used by overlays


def test_missing_characters_lists_each_once_and_ignores_spaces():
    text = "Migration means 희망 \U0001f600 \U0001f600 Nguyễn"
    assert missing_characters(text, DEFAULT_FONT) == ["\U0001f600", "ễ"]


def test_demo_captions_are_fully_covered():
    from .conftest import REPO

    for sidecar in sorted((REPO / "slides").rglob("*.*")):
        if sidecar.suffix in (".yaml", ".txt"):
            assert missing_characters(sidecar.read_text(encoding="utf-8"), DEFAULT_FONT) == [], sidecar


def test_a_file_that_is_not_a_font_is_a_value_error(tmp_path):
    import pytest

    from kiosk.picture.glyphs import font_codepoints

    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(ValueError, match="not a TrueType"):
        font_codepoints(broken)


def test_characters_count_as_drawable_if_any_font_of_the_chain_has_them():
    from kiosk.core.assets import DEFAULT_FONT, FALLBACK_FONT
    from kiosk.picture.glyphs import missing_characters

    text = "이주 ễ 😀"
    assert missing_characters(text, DEFAULT_FONT) == ["ễ", "😀"]
    assert missing_characters(text, DEFAULT_FONT, FALLBACK_FONT) == ["😀"]
