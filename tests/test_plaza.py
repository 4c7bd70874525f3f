"""What a box of the plaza shows: its role's selection, overrides, and a sync group's shared slots."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.playlist import PlaylistSettings, Rotation, next_entry
from kiosk.core.plaza import EPOCH, active_overrides, choose, selected, synced_entry
from kiosk.core.sidecar import SlideMeta

NOON = dt.datetime(2026, 12, 18, 12, 0, tzinfo=dt.timezone.utc)


def catalogue(contribute=3, answers=7, overrides=(), version=1) -> Catalogue:
    return Catalogue(
        contribute=tuple(Slide(f"contribute/c{i}.png", "contribute", 10, version) for i in range(contribute)),
        answers=tuple(Slide(f"answers/a{i}.jpg", "answer", 10, version) for i in range(answers)),
        overrides=tuple(Slide(path, "override", 10, version) for path in overrides),
    )


SETTINGS = PlaylistSettings(answers_per_contribute=2, contribute_seconds=5, answer_seconds=3)


# --- selection -------------------------------------------------------------------------

def test_a_tall_case_shows_answers_only():
    chosen = selected(catalogue(), dataclasses.replace(SETTINGS, kinds=("answer",)))
    assert chosen.contribute == () and len(chosen.answers) == 7


def test_include_and_exclude_patterns_on_the_path():
    settings = dataclasses.replace(SETTINGS, include=("answers/a[0-3].jpg", "contribute/*"), exclude=("*/a2.jpg",))
    chosen = selected(catalogue(), settings)
    assert [s.path for s in chosen.answers] == ["answers/a0.jpg", "answers/a1.jpg", "answers/a3.jpg"]
    assert len(chosen.contribute) == 3


def test_overrides_for_everyone_and_for_one_role():
    everything = catalogue(overrides=("override/all.png", "override/tall-case/notice.png", "override/giant-box/x.png"))
    tall = selected(everything, dataclasses.replace(SETTINGS, role="tall-case"))
    assert [s.path for s in tall.overrides] == ["override/all.png", "override/tall-case/notice.png"]
    nobody = selected(everything, SETTINGS)
    assert [s.path for s in nobody.overrides] == ["override/all.png"]


# --- overrides -------------------------------------------------------------------------

def test_overrides_replace_the_rotation_which_waits_where_it_was():
    plain = catalogue()
    entry, rotation = choose(Rotation(seed=1), plain, SETTINGS, NOON)
    entry, rotation = choose(rotation, plain, SETTINGS, NOON)
    waiting = rotation
    with_override = catalogue(overrides=("override/a.png", "override/b.png"))
    shown = []
    for _ in range(3):
        entry, rotation = choose(rotation, with_override, SETTINGS, NOON)
        shown.append(entry.path)
    assert shown == ["override/a.png", "override/b.png", "override/a.png"]
    after, _ = choose(rotation, plain, SETTINGS, NOON)
    expected, _ = next_entry(waiting, plain, SETTINGS, NOON)
    assert after == expected  # back where it left off


def test_an_override_outside_its_dates_is_not_active():
    late = Slide("override/later.png", "override", 10, 1, SlideMeta(start=dt.date(2026, 12, 21)))
    assert active_overrides(Catalogue(overrides=(late,)), NOON) == []


# --- sync groups ---------------------------------------------------------------------------

GROUP = dataclasses.replace(SETTINGS, sync_group="row-1")


def sequence_from(moment, settings=GROUP, content=None, count=20):
    content = content or catalogue()
    shown = []
    for _ in range(count):
        entry = synced_entry(content, settings, moment)
        shown.append((moment, entry.path, entry.seconds))
        moment += dt.timedelta(seconds=entry.seconds)
    return shown


def test_boxes_of_a_group_show_the_same_slide_in_the_same_slots():
    first = sequence_from(NOON)
    # A box started 7.25 s later is in step from its first boundary.
    late = sequence_from(NOON + dt.timedelta(seconds=7.25))
    boundaries = {moment: path for moment, path, _ in first}
    shared = [(moment, path) for moment, path, _ in late[1:] if moment in boundaries]
    assert len(shared) >= 15 and all(boundaries[moment] == path for moment, path in shared)
    assert late[0][2] < 5  # its first slide only for what is left of the slot


def test_a_cycle_shows_every_answer_once_and_the_next_cycle_reshuffles():
    content = catalogue()
    total = 7 * 3 + 4 * 5  # seven answers and four contribute slides between them
    start = EPOCH + dt.timedelta(seconds=total * 1000)
    one = [path for _, path, _ in sequence_from(start, count=11)]
    two = [path for _, path, _ in sequence_from(start + dt.timedelta(seconds=total), count=11)]
    assert sorted(p for p in one if p.startswith("answers/")) == sorted(s.path for s in content.answers)
    assert [p for p in one if p.startswith("answers/")] != [p for p in two if p.startswith("answers/")]


def test_an_offset_shows_the_slide_n_places_on_in_the_same_slots():
    plain = sequence_from(NOON)
    wave = sequence_from(NOON, dataclasses.replace(GROUP, sync_offset=2))
    assert [moment for moment, _, _ in plain] == [moment for moment, _, _ in wave]
    assert [path for _, path, _ in wave[:-2]] == [path for _, path, _ in plain[2:]]


def test_other_groups_differ():
    ours = [path for _, path, _ in sequence_from(NOON)]
    theirs = [path for _, path, _ in sequence_from(NOON, dataclasses.replace(GROUP, sync_group="row-2"))]
    assert ours != theirs


def test_broken_slides_are_passed_over_by_every_box_alike():
    skip = {"answers/a3.jpg"}
    shown = []
    moment = NOON
    for _ in range(30):
        entry = synced_entry(catalogue(), GROUP, moment, skip)
        shown.append(entry.path)
        moment += dt.timedelta(seconds=entry.seconds)
    assert "answers/a3.jpg" not in shown


@given(st.floats(min_value=0, max_value=10 * 365 * 86400), st.integers(0, 5), st.integers(1, 9))
def test_slots_tile_the_clock_without_gaps_or_overlaps(offset, contribute, answers):
    start = NOON + dt.timedelta(seconds=offset)
    content = catalogue(contribute=contribute, answers=answers)
    entry = synced_entry(content, GROUP, start)
    end = start + dt.timedelta(seconds=entry.seconds)
    following = synced_entry(content, GROUP, end)
    assert 0 < entry.seconds <= 5 and following.seconds in (3.0, 5.0)
