import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kiosk.core.catalogue import FileInfo, build_catalogue
from kiosk.core.playlist import PlaylistSettings, plan
from kiosk.core.rotation import Rotation
from kiosk.core.schedule import Schedule, parse_dates, parse_hours, parse_range

SEOUL = ZoneInfo("Asia/Seoul")


def at(day, hour, minute=0, second=0, zone=SEOUL):
    return dt.datetime(2026, 12, day, hour, minute, second, tzinfo=zone)


def schedule(hours, dates=None):
    first, last = parse_dates(dates)
    return Schedule(parse_hours(hours), first, last)


def test_ranges():
    assert parse_range("07:00-23:00") == (420, 1380)
    assert parse_range("18:00-02:00") == (1080, 1560)
    assert parse_range("00:00-24:00") == (0, 1440)
    for bad in ("7-23", "25:00-26:00", "07:00-24:30", "07:61-08:00"):
        with pytest.raises(ValueError):
            parse_range(bad)


def test_the_minute_the_screen_turns_on_and_off():
    daily = schedule("07:00-23:00")
    assert not daily.is_on(at(18, 6, 59, 59))
    assert daily.is_on(at(18, 7, 0, 0))
    assert daily.is_on(at(18, 22, 59, 59))
    assert not daily.is_on(at(18, 23, 0, 0))
    assert daily.next_on(at(18, 23, 30)) == at(19, 7)
    assert daily.next_off(at(18, 12)) == at(18, 23)


def test_overnight_range_belongs_to_the_day_it_starts():
    # 18 December 2026 is a Friday.
    evenings = schedule({"fri": "18:00-02:00"})
    assert evenings.is_on(at(18, 18, 0))
    assert evenings.is_on(at(19, 1, 59))  # Saturday early morning
    assert not evenings.is_on(at(19, 2, 0))
    assert not evenings.is_on(at(18, 1, 0))  # Friday early morning belongs to Thursday: off
    assert evenings.next_off(at(18, 20)) == at(19, 2)
    assert evenings.next_on(at(19, 3)) == at(25, 18)


def test_weekday_spans_and_unlisted_days():
    week = schedule({"mon-fri": "07:00-23:00", "sat": ["10:00-12:00", "14:00-20:00"]})
    assert week.is_on(at(21, 8))  # Monday
    assert week.is_on(at(19, 11)) and not week.is_on(at(19, 13)) and week.is_on(at(19, 14))  # Saturday
    assert not week.is_on(at(20, 12))  # Sunday is not listed: off
    with pytest.raises(ValueError):
        parse_hours({"someday": "07:00-08:00"})


def test_campaign_dates_with_overnight_hours_on_the_last_day():
    campaign = schedule("18:00-02:00", ["2026-12-18", "2026-12-24"])
    assert not campaign.is_on(at(17, 20))
    assert campaign.is_on(at(18, 20))
    assert campaign.is_on(at(25, 1))  # the last evening runs past midnight
    assert not campaign.is_on(at(25, 20))
    assert campaign.next_on(at(10, 12)) == at(18, 18)
    assert campaign.next_on(at(25, 3)) is None


def test_time_zones_are_respected():
    daily = schedule("07:00-23:00")
    moment = dt.datetime(2026, 12, 18, 14, 30, tzinfo=dt.timezone.utc)  # 23:30 in Seoul, 14:30 in London
    assert not daily.is_on(moment.astimezone(SEOUL))
    assert daily.is_on(moment.astimezone(ZoneInfo("Europe/London")))


def test_always_on_by_default():
    always = Schedule()
    assert always.always_on and always.is_on(at(18, 3)) and always.next_off(at(18, 3)) is None


def test_bad_dates():
    with pytest.raises(ValueError):
        parse_dates(["2026-12-24", "2026-12-18"])
    with pytest.raises(ValueError):
        parse_dates("2026-12-18")


# --- plan follows the schedule ---------------------------------------------------

CATALOGUE = build_catalogue(
    [FileInfo(p, 1, 1) for p in ("contribute/c1.png", "answers/a1.jpg", "answers/a2.jpg")], {}
)
SETTINGS = PlaylistSettings(answers_per_contribute=2, contribute_seconds=12, answer_seconds=8)


def test_no_entry_starts_while_the_screen_is_off_and_the_first_after_starts_exactly_at_on():
    daily = schedule("07:00-23:00")
    planned, _ = plan(Rotation(seed=1), CATALOGUE, SETTINGS, at(18, 22, 59, 30), 6, schedule=daily)
    starts = [p.start for p in planned]
    assert all(daily.is_on(s) for s in starts)
    assert starts[:3] == [at(18, 22, 59, 30), at(18, 22, 59, 42), at(18, 22, 59, 50)]
    # The third slide would end at 22:59:58; the fourth would start at 22:59:58 and be cut at 23:00.
    assert starts[3] == at(18, 22, 59, 58)
    assert starts[4] == at(19, 7, 0, 0)


def test_plan_from_an_off_time_starts_at_the_next_on_time():
    daily = schedule("07:00-23:00")
    planned, _ = plan(Rotation(seed=1), CATALOGUE, SETTINGS, at(18, 3, 0), 1, schedule=daily)
    assert planned[0].start == at(18, 7, 0)


def test_plan_stops_when_the_campaign_is_over():
    campaign = schedule("07:00-23:00", ["2026-12-18", "2026-12-18"])
    planned, _ = plan(Rotation(seed=1), CATALOGUE, SETTINGS, at(18, 22, 59, 50), 5, schedule=campaign)
    assert len(planned) == 1
