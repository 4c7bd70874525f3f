import datetime as dt

import pytest
from hypothesis import given, settings

from kiosk.core.errors import SidecarError
from kiosk.core.sidecar import SlideMeta, parse_sidecar, within_window

from .hostile import alias_bomb, yaml_documents

KST = dt.timezone(dt.timedelta(hours=9))


def test_yaml_sidecar_with_every_key():
    meta = parse_sidecar(
        "caption: |\n  To me, migration means hoping together.\n  함께 희망하는 것\nseconds: 12\n"
        "start: 2026-12-18\nend: 2026-12-21 18:00\n",
        ".yaml",
    )
    assert meta.caption == "To me, migration means hoping together.\n함께 희망하는 것"
    assert meta.seconds == 12.0
    assert meta.start == dt.date(2026, 12, 18)
    assert meta.end == dt.datetime(2026, 12, 21, 18, 0)


def test_txt_sidecar_is_only_a_caption():
    assert parse_sidecar("\ufeff이주란 용기입니다.\r\nMigration means courage.\r\n", ".txt") == SlideMeta(
        caption="이주란 용기입니다.\nMigration means courage."
    )


def test_empty_yaml_is_no_settings():
    assert parse_sidecar("", ".yaml") == SlideMeta()


@pytest.mark.parametrize(
    "text, message",
    [
        ("caption: [unclosed\n", "YAML syntax error"),
        ("- a list\n", "must be a mapping"),
        ("captoin: hi\n", "unknown key 'captoin'"),
        ("seconds: -2\n", "seconds must be a number of seconds > 0 and <= 86400, got -2"),
        ("seconds: true\n", "seconds must be a number of seconds > 0 and <= 86400, got True"),
        ("start: next week\n", "start must be a date"),
        ("start: 2026-12-22\nend: 2026-12-21\n", "is after end"),
        ("caption: {a: 1}\n", "caption must be text"),
    ],
)
def test_broken_sidecars_raise(text, message):
    with pytest.raises(SidecarError, match=message):
        parse_sidecar(text, ".yaml")


def test_date_window_covers_whole_days():
    meta = SlideMeta(start=dt.date(2026, 12, 18), end=dt.date(2026, 12, 21))
    assert not within_window(meta, dt.datetime(2026, 12, 17, 23, 59, tzinfo=KST))
    assert within_window(meta, dt.datetime(2026, 12, 18, 0, 0, tzinfo=KST))
    assert within_window(meta, dt.datetime(2026, 12, 21, 23, 59, tzinfo=KST))
    assert not within_window(meta, dt.datetime(2026, 12, 22, 0, 0, tzinfo=KST))


def test_naive_datetimes_are_wall_clock_time_of_the_box():
    meta = SlideMeta(end=dt.datetime(2026, 12, 21, 18, 0))
    assert within_window(meta, dt.datetime(2026, 12, 21, 17, 59, tzinfo=KST))
    assert not within_window(meta, dt.datetime(2026, 12, 21, 18, 0, tzinfo=KST))


def test_aware_datetimes_compare_across_zones():
    meta = SlideMeta(start=dt.datetime(2026, 12, 21, 9, 0, tzinfo=dt.timezone.utc))
    assert not within_window(meta, dt.datetime(2026, 12, 21, 17, 59, tzinfo=KST))
    assert within_window(meta, dt.datetime(2026, 12, 21, 18, 0, tzinfo=KST))


# --- hostile sidecars (one published file reaches every box) -------------------



def test_a_deeply_nested_sidecar_is_a_clear_error_not_a_recursion_error():
    with pytest.raises(SidecarError, match="line 1: nested more than"):
        parse_sidecar("caption: " + "[" * 1500 + "]" * 1500, ".yaml")


def test_an_alias_bomb_is_refused_and_its_message_is_short():
    with pytest.raises(SidecarError) as caught:
        parse_sidecar(alias_bomb(9, 9).replace("a0:", "caption:", 1), ".yaml")
    assert "aliases are expanded" in str(caught.value) and len(str(caught.value)) < 200


def test_a_caption_made_of_aliases_is_quoted_shortly():
    text = 'a: &a ["' + "x" * 1000 + '"]\ncaption: [*a, *a, *a, *a, *a]\n'
    with pytest.raises(SidecarError) as caught:
        parse_sidecar(text.replace("a: &a", "start: &a"), ".yaml")
    assert len(str(caught.value)) < 200


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan", "1e400", "1.0e12", "100000"])
def test_absurd_seconds_are_refused(value):
    with pytest.raises(SidecarError, match="seconds must be a"):
        parse_sidecar(f"seconds: {value}\n", ".yaml")


def test_a_python_tag_is_refused_with_its_line():
    with pytest.raises(SidecarError, match="line 2: the tag"):
        parse_sidecar("caption: hi\nseconds: !!python/object:os.system {}\n", ".yaml")


def test_a_huge_caption_is_refused():
    with pytest.raises(SidecarError, match="over the limit of 2,000"):
        parse_sidecar("x" * 5000, ".txt")


@settings(deadline=None)
@given(yaml_documents(["caption", "lang", "seconds", "start", "end"]))
def test_any_sidecar_gives_meta_or_a_short_error(text):
    try:
        meta = parse_sidecar(text, ".yaml")
    except SidecarError as exc:
        assert len(str(exc)) < 400
        return
    assert meta.seconds is None or 0 < meta.seconds <= 86_400
    assert len(meta.caption) <= 2_000
    assert len(meta.lang) <= 35 and (not meta.lang or meta.lang.replace("-", "").isalnum())


def test_a_video_sidecar_may_say_how_often_it_plays_and_whether_it_keeps_its_sound():
    meta = parse_sidecar("caption: hoping together\nloop: 3\naudio: true\n", ".yaml")
    assert (meta.loop, meta.audio, meta.seconds) == (3, True, None)
    assert parse_sidecar("caption: x\n", ".yaml").loop is None and not parse_sidecar("", ".yaml").audio


@pytest.mark.parametrize("text, message", [
    ("loop: 0\n", "loop must be a whole number of plays from 1 to 1000, got 0"),
    ("loop: 1001\n", "from 1 to 1000"),
    ("loop: 2.5\n", "whole number"),
    ("loop: true\n", "whole number"),
    ("loop: '3'\n", "whole number"),
    ("audio: yes please\n", "audio must be true or false"),
    ("audio: 1\n", "audio must be true or false"),
])
def test_a_wrong_loop_or_audio_is_refused(text, message):
    with pytest.raises(SidecarError, match=message):
        parse_sidecar(text, ".yaml")


def test_a_sidecar_may_name_its_captions_language():
    meta = parse_sidecar("caption: 人人生而自由\nlang: zh-Hant\n", ".yaml")
    assert (meta.caption, meta.lang) == ("人人生而自由", "zh-Hant")
    assert parse_sidecar("caption: x\n", ".yaml").lang == ""
    assert parse_sidecar("lang: uz-Latn\n", ".yaml").lang == "uz-Latn"


@pytest.mark.parametrize("text", [
    "lang: 7\n", "lang: true\n", "lang: [zh]\n", "lang: chinese traditional\n", "lang: z\n",
    "lang: zh_Hant\n", "lang: zh-\n", "lang: x" + "-abcdefgh" * 6 + "\n", "lang: \"zh\\nHant\"\n",
])
def test_a_language_that_is_not_a_tag_is_refused(text):
    with pytest.raises(SidecarError, match="lang must be a language tag such as ko, zh-Hant or ja"):
        parse_sidecar(text, ".yaml")
