"""What a box of the plaza shows: its role's selection, overrides, and a sync group's shared slots."""

from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.playlist import PlaylistSettings, next_entry, playlist_settings
from kiosk.core.rotation import Rotation
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


def group_slots(moment, settings=GROUP, content=None, count=40):
    """The group's slots from `moment`: (start, slide) of each, as a box that can show everything sees them."""
    return [(start, path) for start, path, _ in sequence_from(moment, settings, content, count)]


def on_screen(slots, shown):
    """What a box shows at each of the group's slot starts, from its own entries (start, path, seconds)."""
    found = []
    for start, _ in slots:
        covering = [path for begin, path, seconds in shown if begin <= start < begin + dt.timedelta(seconds=seconds)]
        found.append(covering[0] if covering else None)
    return found


def shown_by(moment, skip, settings=GROUP, content=None, count=40):
    shown = []
    while len(shown) < count:
        entry = synced_entry(content or catalogue(), settings, moment, skip)
        shown.append((moment, entry.path, entry.seconds))
        moment += dt.timedelta(seconds=entry.seconds)
    return shown


def test_a_slot_a_box_cannot_show_is_held_by_the_slide_before_and_the_boundaries_stay_the_groups():
    slots = group_slots(NOON)
    skip = {"answers/a3.jpg"}
    shown = shown_by(NOON, skip, count=30)
    starts = {start for start, _ in slots}
    assert all(start in starts for start, _, _ in shown)  # it changes slides only at the group's boundaries
    screen = on_screen(slots, shown)
    for at, (start, path) in enumerate(slots):
        if start >= shown[-1][0]:
            break
        if path in skip:
            assert screen[at] == screen[at - 1] and screen[at] not in skip  # held, not passed over
        else:
            assert screen[at] == path


def test_boxes_that_found_different_files_unusable_agree_on_every_slot_both_can_show():
    slots = group_slots(NOON, count=60)
    one_skips = {"answers/a3.jpg", "contribute/c1.png"}
    two_skips = {"answers/a5.jpg", "answers/a6.jpg"}
    one = on_screen(slots, shown_by(NOON, one_skips, count=60))
    # The second box restarted 17.3 s later, knowing its unusable files from its saved state.
    late = NOON + dt.timedelta(seconds=17.3)
    two = on_screen(slots, shown_by(late, two_skips, count=60))
    both = [at for at, (start, path) in enumerate(slots)
            if start >= late and path not in one_skips | two_skips and one[at] is not None and two[at] is not None]
    assert len(both) >= 25
    assert all(one[at] == two[at] == slots[at][1] for at in both)
    # Where one box holds, it holds the slide the other showed in the slot before.
    held = [at for at, (start, path) in enumerate(slots) if start >= late and path in one_skips
            and two[at] is not None and slots[at - 1][1] not in one_skips | two_skips]
    assert held and all(one[at] == two[at - 1] for at in held)


def test_a_box_restarted_during_a_slot_it_cannot_show_holds_the_slide_before_until_the_next_boundary():
    slots = group_slots(NOON)
    at = next(i for i, (_, path) in enumerate(slots) if path.startswith("answers/") and i > 1
              and slots[i - 1][1] != path and slots[i + 1][1] != path)
    start, path = slots[at]
    entry = synced_entry(catalogue(), GROUP, start + dt.timedelta(seconds=1.2), {path})
    assert entry.path == slots[at - 1][1]
    assert start + dt.timedelta(seconds=1.2 + entry.seconds) == slots[at + 1][0]  # back in step there
    # The slide held began with its own slot (a video's clock counts from there).
    assert start + dt.timedelta(seconds=1.2 - entry.into) == slots[at - 1][0]


def test_a_slide_held_through_a_run_of_unusable_slots_ends_at_a_boundary_and_nothing_shown_is_the_fallback():
    slots = group_slots(NOON)
    answers = {s.path for s in catalogue().answers}
    entry = synced_entry(catalogue(), GROUP, NOON, answers)  # only the contribute slides can be shown
    assert entry.path.startswith("contribute/")
    assert any(NOON + dt.timedelta(seconds=entry.seconds) == start for start, _ in slots)
    everything = answers | {s.path for s in catalogue().contribute}
    nothing = synced_entry(catalogue(), GROUP, NOON + dt.timedelta(seconds=1), everything)
    assert nothing.is_fallback and NOON + dt.timedelta(seconds=1 + nothing.seconds) in {start for start, _ in slots}


@given(st.floats(min_value=0, max_value=10 * 365 * 86400), st.integers(0, 2), st.integers(1, 9),
       st.sets(st.integers(0, 8)), st.sets(st.integers(0, 2)), st.integers(0, 4))
def test_any_unusable_set_keeps_the_groups_boundaries_and_shows_each_slot_or_holds_it(
        offset, contribute, answers, broken_answers, broken_cards, shift):
    settings = dataclasses.replace(GROUP, sync_offset=shift)
    content = catalogue(contribute=contribute, answers=answers)
    skip = {f"answers/a{i}.jpg" for i in broken_answers} | {f"contribute/c{i}.png" for i in broken_cards}
    start = NOON + dt.timedelta(seconds=offset)
    shown = shown_by(start, skip, settings, content, count=4)
    last = shown[-1][0]
    slots = [(moment, path) for moment, path in group_slots(start, settings, content, count=4 * 3 * 14)
             if moment <= last]
    starts = {moment for moment, _ in slots}
    assert all(moment in starts for moment, _, _ in shown[1:])
    screen = on_screen(slots, shown)
    for at, (_moment, path) in enumerate(slots):
        if screen[at] is None:
            break
        if screen[at] == "(fallback)":
            assert {path for _, path in group_slots(start, settings, content, count=30)} <= skip
        elif path not in skip:
            assert screen[at] == path
        else:
            assert screen[at] not in skip and (at == 0 or screen[at] == screen[at - 1])


@given(st.floats(min_value=0, max_value=10 * 365 * 86400), st.integers(0, 5), st.integers(1, 9))
def test_slots_tile_the_clock_without_gaps_or_overlaps(offset, contribute, answers):
    start = NOON + dt.timedelta(seconds=offset)
    content = catalogue(contribute=contribute, answers=answers)
    entry = synced_entry(content, GROUP, start)
    end = start + dt.timedelta(seconds=entry.seconds)
    following = synced_entry(content, GROUP, end)
    assert 0 < entry.seconds <= 5 and following.seconds in (3.0, 5.0)
    # How far into its slot a box came in, and what was left of it, make up the slot; at a boundary, nothing.
    assert abs(entry.into + entry.seconds - (5.0 if entry.kind == "contribute" else 3.0)) < 0.002
    assert following.into < 0.002  # (the moments are whole milliseconds)


def test_a_video_joined_mid_slot_counts_from_the_slots_start_and_ends_with_it():
    video = Slide("contribute/mayor.mp4", "contribute", 10, 1, SlideMeta(video_seconds=12.0))
    content = Catalogue(contribute=(video,), answers=catalogue(contribute=0, answers=2).answers)
    slots = group_slots(NOON, content=content)
    at = next(i for i, (_, path) in enumerate(slots) if path == video.path)
    start = slots[at][0]
    late = synced_entry(content, GROUP, start + dt.timedelta(seconds=7.5))
    assert late.path == video.path and late.into == 7.5
    assert start + dt.timedelta(seconds=7.5 + late.seconds) == slots[at + 1][0]  # fade and 12 s, then the next
    assert synced_entry(content, GROUP, start).into == 0.0
    assert choose(Rotation(seed=1), content, SETTINGS, start)[0].into is None  # no group, no group clock


def test_two_directors_of_a_group_with_different_unusable_files_agree_on_boundaries_and_slides():
    from kiosk.core.effects import RecordSlide

    from .test_director import FAST, SEOUL, Box, config_of, slides

    group = FAST.replace("seed: 11", "seed: 11\n  sync_group: row-1")
    config = config_of(group)
    begin = dt.datetime(2026, 12, 18, 12, 0, 0, 250000, tzinfo=SEOUL)
    settings = playlist_settings(config)
    # The group's slots, as a box that can show everything sees them.
    slots, moment = {}, begin
    for _ in range(40):
        entry = synced_entry(slides(), settings, moment)
        slots[moment.timestamp()] = entry.path
        moment += dt.timedelta(seconds=entry.seconds)
    boxes = []
    # One box finds a2 broken only when it tries it; the other restarted 4.3 s later, knowing that a3
    # does not decode (its saved state), and finds c2 broken as it goes.
    finds = Box(config, wall=begin)
    finds.broken = {"answers/a2.jpg"}
    knows = Box(config, wall=begin + dt.timedelta(seconds=4.3), unusable={"answers/a3.jpg": (1000, 1)})
    knows.broken = {"contribute/c2.png", "answers/a3.jpg"}
    for box in (finds, knows):
        box.run_until(lambda box=box: len(box.started()) == 18)
        starts = [(dt.datetime.fromisoformat(r.record["time"]).timestamp(), r.record["path"])
                  for r in box.of(RecordSlide)[2:]]  # the first is for what was left of its slot, and its fade
        # delays the second's decode (the fake worker answers in steps); from the third on, on the group's time
        boxes.append(starts)
        assert all(round(moment, 3) in {round(m, 3) for m in slots} for moment, _ in starts)
    unusable = {"answers/a2.jpg", "answers/a3.jpg", "contribute/c2.png"}

    def screen(starts):
        """What the box showed at each of the group's slot starts, from its first start on."""
        found = {}
        for moment in sorted(slots):
            before = [path for start, path in starts if start <= moment + 0.0005]
            if before and moment <= starts[-1][0]:
                found[moment] = before[-1]
        return found

    one, two = screen(boxes[0]), screen(boxes[1])
    both = [moment for moment in one if moment in two and slots[moment] not in unusable]
    assert len(both) >= 8
    assert all(one[moment] == two[moment] == slots[moment] for moment in both)
    # A slot a box cannot show is held by the slide before: never a slide out of the group's turn.
    for shown, own in ((one, finds.broken), (two, knows.broken)):
        assert not set(shown.values()) & own
        held = [moment for moment in shown if slots[moment] in own]
        assert held and all(shown[moment] == shown[previous]
                            for moment, previous in zip(sorted(shown)[1:], sorted(shown)) if moment in held)
