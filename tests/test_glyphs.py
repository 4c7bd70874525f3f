import pytest

from kiosk.core.assets import CJK_FACE, DEFAULT_FONT, SYSTEM_CJK_FONTS
from kiosk.picture.glyphs import font_codepoints


def test_bundled_font_covers_every_hangul_syllable_and_latin():
    covered = font_codepoints(DEFAULT_FONT)
    assert all(code in covered for code in range(0xAC00, 0xD7A4))
    assert all(code in covered for code in range(0x20, 0x7F))
    assert 0x00B7 in covered and 0x2026 in covered  # middle dot and ellipsis used by overlays


def test_a_file_that_is_not_a_font_is_a_value_error(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    with pytest.raises(ValueError, match="not a TrueType"):
        font_codepoints(broken)


def test_a_face_of_a_collection_is_read_and_a_face_past_its_end_refused():
    cjk = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)
    if cjk is None:
        pytest.skip("no Noto Sans CJK on this machine (install fonts-noto-cjk)")
    simplified = font_codepoints(cjk, CJK_FACE)
    assert ord("们") in simplified and ord("移") in simplified and ord("한") in simplified
    with pytest.raises(ValueError, match="no face 99"):
        font_codepoints(cjk, 99)
