"""Text from outside cleaned before it is drawn, with notes saying what went."""

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.textclean import MAX_MARKS, clean_text


def test_clean_text_is_left_alone():
    for text in ("Migration means hope", "이주는 희망입니다", "ہجرت کا مطلب امید ہے", "Di cư\nnghĩa là hy vọng",
                 "සංක්\u200dරමණය", "नमस्ते", "Hope\u200f!"):
        assert clean_text(text) == clean_text(text)
        assert clean_text(text).notes == () and clean_text(text).text == text


def test_terminal_escapes_go_whole_and_are_counted():
    cleaned = clean_text("\x1b[1;31mHope\x1b[0m and \x1b]0;title\x07peace")
    assert cleaned.text == "Hope and peace"
    assert cleaned.notes == ("removed 3 terminal escape sequences",)


def test_control_characters_go_tabs_become_spaces_and_line_breaks_stay():
    cleaned = clean_text("one\ttwo\x00\x08\r\nthree\u2028four\x85five")
    assert cleaned.text == "one two\nthree\nfour\nfive"
    assert cleaned.notes == ("removed 2 control characters",)


def test_bidi_overrides_that_could_reverse_the_text_go_but_marks_stay():
    cleaned = clean_text("\u202eevil\u202c \u2067isolate\u2069 and\u200f marks")
    assert cleaned.text == "evil isolate and\u200f marks"
    assert cleaned.notes == ("removed 4 bidi overrides or isolates (they could reverse the text)",)


def test_a_stack_of_combining_marks_is_cut_to_the_limit():
    zalgo = "H" + "\u0301" * 50 + "i"
    cleaned = clean_text(zalgo)
    assert cleaned.text == "H" + "\u0301" * MAX_MARKS + "i"
    assert cleaned.notes == (f"removed 46 combining marks stacked past {MAX_MARKS} on one letter",)


def test_vietnamese_typed_decomposed_is_composed_and_kept_whole():
    decomposed = "Vie\u0323\u0302t"  # ệ as e + dot below + circumflex
    assert clean_text(decomposed).text == "Việt" and clean_text(decomposed).notes == ()


def test_byte_order_marks_and_noncharacters_go():
    assert clean_text("\ufeffhope\uffff\ufdd0").text == "hope"


@given(st.text(max_size=300))
def test_any_text_comes_out_drawable_and_cleaning_twice_changes_nothing(text):
    cleaned = clean_text(text)
    assert "\x1b" not in cleaned.text and not any(0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069
                                                 for c in cleaned.text)
    assert all(c == "\n" or not (ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0) for c in cleaned.text)
    again = clean_text(cleaned.text)
    assert again.text == cleaned.text and again.notes == ()
