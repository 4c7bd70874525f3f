import datetime as dt

import pytest

from kiosk.errors import SidecarError
from kiosk.sidecar import SlideMeta, parse_sidecar, within_window

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
