import math

import pytest
from hypothesis import given, settings

from kiosk.core.values import excerpt, is_utf8_name, loads_json, number_problem, printable_name

from .hostile import json_texts


def test_excerpt_quotes_only_the_start_of_a_long_value():
    text = excerpt("x" * 50_000_000)
    assert len(text) < 100 and "50,000,000 characters" in text
    assert excerpt(list(range(10**6))) == "a list of 1,000,000 items"
    assert excerpt("short") == "'short'"


@pytest.mark.parametrize(
    "value, problem",
    [
        (float("inf"), "must be a finite number"),
        (float("nan"), "must be a finite number"),
        ("1.0e12", "which YAML reads as text"),
        ("5", "which is text"),
        (True, "got True"),
        (0, "got 0"),
        (86_401, "got 86401"),
    ],
)
def test_number_problems_say_why(value, problem):
    assert problem in number_problem(value, 0, 86_400, low_open=True)


def test_good_numbers_have_no_problem():
    assert number_problem(8, 0, 86_400, low_open=True) is None
    assert number_problem(0.0, 0, 60) is None


def test_json_refuses_infinities_and_deep_nesting():
    for text in ("1e400", '{"a": -1e400}', "NaN", "[Infinity]", "[" * 3000, "[" * 40 + "]" * 40):
        with pytest.raises(ValueError):
            loads_json(text)
    assert loads_json('{"a": [1, 2.5]}') == {"a": [1, 2.5]}


@settings(deadline=None)
@given(json_texts())
def test_json_gives_finite_values_or_a_value_error(text):
    try:
        value = loads_json(text)
    except ValueError:
        return
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            assert math.isfinite(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def test_names_that_are_not_utf8_print_as_escapes():
    name = "사진-답변.jpg".encode("cp949").decode("utf-8", "surrogateescape")
    assert not is_utf8_name(name)
    printable = printable_name(name)
    printable.encode("utf-8")  # never raises
    assert printable.endswith(".jpg") and "\\x" in printable
