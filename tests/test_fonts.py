"""The font chain: the caption font first, then a font for every script of the answers."""

from kiosk.core.assets import DEFAULT_FONT, FALLBACK_FONT, SCRIPT_FONTS
import pytest

from kiosk.core.assets import CJK_FACES, SYSTEM_CJK_FONTS
from kiosk.picture import fonts as fonts_module
from kiosk.picture import icu
from kiosk.picture.fonts import (
    COMMON, HAN, INHERITED, Face, FontBook, cjk_language, default_fallbacks, drawn, han_language, script_of,
    scripts_used_with,
)

CJK = next((path for path in SYSTEM_CJK_FONTS if path.is_file()), None)


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


def test_scripts_of_letters_come_from_icu():
    assert icu.available(), "the system's ICU (libicu72) is installed here, as on every box"
    assert [script_of(c) for c in "a한移かカกລ،1 \u0301"] == [
        "Latn", "Hang", HAN, HAN, HAN, "Thai", "Laoo", COMMON, COMMON, COMMON, INHERITED]
    assert scripts_used_with("।") >= {"Deva", "Beng", "Guru"}
    assert HAN in scripts_used_with("、") and "Hang" in scripts_used_with("、")
    assert scripts_used_with(" ") == frozenset()


def test_without_icu_scripts_come_from_the_names_of_letters(monkeypatch):
    monkeypatch.setattr(icu, "script", lambda char: None)
    monkeypatch.setattr(icu, "script_extensions", lambda char: None)
    assert [script_of(c) for c in "a한移ก،1 \u0301"] == [
        "Latn", "Hang", HAN, "Thai", COMMON, COMMON, COMMON, INHERITED]
    assert fonts_module.scripts_used_with("।") == frozenset()


def test_latin_cyrillic_and_greek_come_from_one_family_whatever_the_caption_font_has():
    fonts = FontBook(DEFAULT_FONT)
    # Nanum Gothic has Russian's letters, but Kazakh's қ only Noto Sans has: both are drawn in Noto Sans.
    assert fonts.face_for_run("Все люди рождаются", "Cyrl").path == FALLBACK_FONT
    assert fonts.face_for_run("Барлық адамдар", "Cyrl").path == FALLBACK_FONT
    assert fonts.face_for_run("Hoping together", "Latn").path == FALLBACK_FONT
    assert fonts.face_for_run("Όλοι οι άνθρωποι", "Grek").path == FALLBACK_FONT
    assert fonts.face_for_run("boʻlib tugʻiladilar", "Latn").path == FALLBACK_FONT
    # Hangul goes to the caption font.
    assert fonts.face_for_run("함께 희망", "Hang").path == DEFAULT_FONT


@pytest.mark.parametrize("script, name", [
    ("Taml", "NotoSansTamil-Bold.ttf"), ("Laoo", "NotoSansLao-Bold.ttf"), ("Guru", "NotoSansGurmukhi-Bold.ttf"),
    ("Gujr", "NotoSansGujarati-Bold.ttf"), ("Telu", "NotoSansTelugu-Bold.ttf"), ("Ethi", "NotoSansEthiopic-Bold.ttf"),
    ("Tibt", "NotoSerifTibetan-Bold.ttf"), ("Geor", "NotoSansGeorgian-Bold.ttf"), ("Armn", "NotoSansArmenian-Bold.ttf"),
])
def test_every_bundled_script_has_its_font(script, name):
    samples = {"Taml": "மனிதப்", "Laoo": "ມະນຸດ", "Guru": "ਮਨੁੱਖੀ", "Gujr": "માનવો", "Telu": "మానవులు",
               "Ethi": "የሰው ልጅ", "Tibt": "འགྲོ་བ་མི", "Geor": "ადამიანი", "Armn": "մարդիկ"}
    assert FontBook(DEFAULT_FONT).face_for_run(samples[script], script).path.name == name


@pytest.mark.skipif(CJK is None, reason="no Noto Sans CJK on this machine (install fonts-noto-cjk)")
def test_han_is_drawn_in_the_face_of_its_language():
    fonts = FontBook(DEFAULT_FONT)
    assert fonts.face_for_run("人人生而自由", HAN, "zh-Hant") == Face(CJK, CJK_FACES["zh-Hant"])
    assert fonts.face_for_run("人人生而自由", HAN, "ja") == Face(CJK, CJK_FACES["ja"])
    assert fonts.face_for_run("人人生而自由", HAN) == Face(CJK, CJK_FACES["zh-Hans"])


def test_the_language_of_han_comes_from_the_paragraph_then_the_sidecar_then_a_safe_guess():
    assert han_language("모든 인간은 自由") == "ko"
    assert han_language("すべての人間は") == "ja"
    assert han_language("人人生而自由", "zh-Hant") == "zh-Hant"
    assert han_language("人人生而自由，在尊嚴和權利上一律平等。") == "zh-Hant"  # 嚴 and 權: Traditional only
    assert han_language("人人生而自由,在尊严和权利上一律平等。") == "zh-Hans"
    assert han_language("人人生而自由") == "zh-Hans"  # nothing tells: Simplified, the documented default
    assert han_language("すべての人間は", "zh-Hant") == "ja"  # the text's own kana win over the sidecar


@pytest.mark.parametrize("tag, key", [
    ("zh-Hant", "zh-Hant"), ("zh-TW", "zh-Hant"), ("zh-Hant-TW", "zh-Hant"), ("zh-HK", "zh-HK"),
    ("yue", "zh-HK"), ("zh", "zh-Hans"), ("zh-CN", "zh-Hans"), ("zh-Hans", "zh-Hans"), ("ja", "ja"),
    ("ko", "ko"), ("ko-KR", "ko"), ("en", None), ("", None), ("vi", None),
])
def test_language_tags_choose_a_cjk_face(tag, key):
    assert cjk_language(tag) == key


def test_an_unreadable_font_is_said_and_skipped(tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(b"not a font")
    fonts = FontBook(broken)
    assert fonts.face_for("hope").path == FALLBACK_FONT
    assert any("cannot read the font" in problem for problem in fonts.problems)
    assert fonts.at(20) is not None  # Pillow's own font stands in for drawing


def test_default_fallbacks_are_faces():
    assert all(isinstance(face, Face) for face in default_fallbacks())
