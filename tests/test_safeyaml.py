import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core import safeyaml
from kiosk.core.safeyaml import YamlRefused

from .hostile import alias_bomb, yaml_documents


def test_plain_documents_load():
    assert safeyaml.load("a: 1\nb: [x, y]\nc: {d: 2026-12-18}\n")["b"] == ["x", "y"]
    assert safeyaml.load("") is None


def test_deep_nesting_is_refused_without_recursion():
    text = "caption: " + "[" * 1500 + "]" * 1500
    with pytest.raises(YamlRefused, match="nested more than 24 levels deep") as caught:
        safeyaml.load(text)
    assert caught.value.line == 1


def test_a_billion_laughs_is_refused_before_it_expands():
    with pytest.raises(YamlRefused, match="once its aliases are expanded"):
        safeyaml.load(alias_bomb(9, 9))


def test_a_few_aliases_are_fine():
    assert safeyaml.load("a: &x [1, 2]\nb: *x\n") == {"a": [1, 2], "b": [1, 2]}


@pytest.mark.parametrize("text", ["x: !!python/object:os.system {}\n", "x: !!binary aGVsbG8=\n", "x: !custom 3\n"])
def test_tags_other_than_plain_ones_are_refused_with_their_line(text):
    with pytest.raises(YamlRefused, match="tag") as caught:
        safeyaml.load("ok: 1\n" + text)
    assert caught.value.line == 2


def test_a_second_document_is_refused():
    with pytest.raises(YamlRefused, match="more than one YAML document"):
        safeyaml.load("a: 1\n---\nb: 2\n")


def test_syntax_errors_name_the_line():
    with pytest.raises(YamlRefused, match="YAML syntax error") as caught:
        safeyaml.load("a: 1\nb: [unclosed\n")
    assert caught.value.line is not None


def test_impossible_timestamps_are_a_refusal_not_a_crash():
    with pytest.raises(YamlRefused, match="cannot read the value"):
        safeyaml.load("start: 2026-13-45\n")


@settings(deadline=None)
@given(yaml_documents(["caption", "seconds", "start", "end", "timing", "slides"]))
def test_any_document_loads_or_is_refused_shortly(text):
    try:
        safeyaml.load(text)
    except YamlRefused as exc:
        assert len(str(exc)) < 400


@settings(deadline=None)
@given(st.text(max_size=300))
def test_any_text_loads_or_is_refused(text):
    with contextlib.suppress(YamlRefused):
        safeyaml.load(text)
