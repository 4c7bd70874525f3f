import datetime as dt
from collections import Counter

import pytest

from kiosk.core.catalogue import FileInfo, build_catalogue
from kiosk.core.playlist import FALLBACK_PATH, PlaylistSettings, next_entry, plan
from kiosk.core.rotation import Rotation

KST = dt.timezone(dt.timedelta(hours=9))
NOW = dt.datetime(2026, 12, 18, 10, 0, tzinfo=KST)


def catalogue(contribute: int = 3, answers: int = 5, sidecars: dict | None = None):
    paths = [f"contribute/c{i}.png" for i in range(1, contribute + 1)]
    paths += [f"answers/a{i}.jpg" for i in range(1, answers + 1)]
    return build_catalogue([FileInfo(p, 10, 1) for p in paths], sidecars or {})


def run(cat, count, settings=PlaylistSettings(), rotation=None, skip=(), start=NOW):
    planned, rotation = plan(rotation or Rotation(seed=7), cat, settings, start, count, skip)
    return [p.entry for p in planned], rotation


def test_pattern_one_contribute_then_n_answers():
    entries, _ = run(catalogue(), 12, PlaylistSettings(answers_per_contribute=3))
    assert [e.kind for e in entries] == (["contribute"] + ["answer"] * 3) * 3
    assert [e.path for e in entries if e.kind == "contribute"] == [
        "contribute/c1.png", "contribute/c2.png", "contribute/c3.png"
    ]


def test_contribute_order_wraps_round():
    entries, _ = run(catalogue(3, 0), 5)
    assert [e.path for e in entries] == [
        "contribute/c1.png", "contribute/c2.png", "contribute/c3.png", "contribute/c1.png", "contribute/c2.png"
    ]


def test_zero_answers_per_contribute_shows_contribute_only():
    entries, _ = run(catalogue(), 7, PlaylistSettings(answers_per_contribute=0))
    assert {e.kind for e in entries} == {"contribute"}


def test_no_contribute_slides_shows_answers_alone():
    entries, _ = run(catalogue(0, 4), 8)
    assert {e.kind for e in entries} == {"answer"}


def test_no_answers_shows_contribute_alone():
    entries, _ = run(catalogue(2, 0), 4, PlaylistSettings(answers_per_contribute=3))
    assert [e.path for e in entries] == ["contribute/c1.png", "contribute/c2.png"] * 2


def test_nothing_to_show_gives_the_fallback():
    entries, _ = run(catalogue(0, 0), 2)
    assert [e.path for e in entries] == [FALLBACK_PATH, FALLBACK_PATH]
    assert entries[0].is_fallback


@pytest.mark.parametrize("answers", [2, 5, 37])
def test_every_answer_once_before_any_repeats_and_never_twice_in_a_row(answers):
    entries, _ = run(catalogue(0, answers), answers * 40)
    paths = [e.path for e in entries]
    for start in range(0, len(paths), answers):
        assert len(set(paths[start:start + answers])) == answers, "a round repeated an answer"
    assert all(a != b for a, b in zip(paths, paths[1:])), "the same answer twice in a row"
    assert set(Counter(paths).values()) == {40}


def test_rounds_are_shuffled_differently():
    entries, _ = run(catalogue(0, 10), 30)
    rounds = [tuple(e.path for e in entries[i:i + 10]) for i in (0, 10, 20)]
    assert len(set(rounds)) == 3


def test_same_seed_same_order_other_seed_other_order():
    cat = catalogue(0, 12)
    first, _ = run(cat, 12, rotation=Rotation(seed=1))
    again, _ = run(cat, 12, rotation=Rotation(seed=1))
    other, _ = run(cat, 12, rotation=Rotation(seed=2))
    assert first == again
    assert first != other


def test_sorted_order():
    entries, _ = run(catalogue(0, 4), 8, PlaylistSettings(order="sorted"))
    assert [e.path for e in entries] == [f"answers/a{i}.jpg" for i in (1, 2, 3, 4)] * 2


def test_durations_come_from_kind_or_sidecar():
    cat = catalogue(1, 2, {"answers/a1.yaml": "seconds: 20\ncaption: hi\n"})
    settings = PlaylistSettings(answers_per_contribute=2, order="sorted", contribute_seconds=12, answer_seconds=8)
    entries, _ = run(cat, 3, settings)
    assert [(e.path, e.seconds, e.caption) for e in entries] == [
        ("contribute/c1.png", 12, ""), ("answers/a1.jpg", 20, "hi"), ("answers/a2.jpg", 8, "")
    ]


def test_plan_starts_follow_durations():
    planned, _ = plan(Rotation(seed=1), catalogue(1, 2), PlaylistSettings(answers_per_contribute=2), NOW, 4)
    starts = [p.start for p in planned]
    assert [(b - a).total_seconds() for a, b in zip(starts, starts[1:])] == [12.0, 8.0, 8.0]


def test_slides_outside_their_dates_are_not_shown():
    sidecars = {
        "contribute/c1.yaml": "end: 2026-12-17\n",
        "answers/a1.yaml": "start: 2026-12-19\n",
        "answers/a2.yaml": "start: 2026-12-18 10:00\nend: 2026-12-18 10:01\n",
    }
    cat = catalogue(2, 3, sidecars)
    entries, _ = run(cat, 8, PlaylistSettings(answers_per_contribute=1, answer_seconds=30, contribute_seconds=30,
                                              order="sorted"))  # a2 comes first, in its minute
    paths = [e.path for e in entries]
    assert "contribute/c1.png" not in paths
    assert "answers/a1.jpg" not in paths
    # a2 only inside its one minute: 10:00:00 to 10:01:00
    a2_starts = [NOW + dt.timedelta(seconds=30 * i) for i, e in enumerate(entries) if e.path == "answers/a2.jpg"]
    assert a2_starts and all(s < dt.datetime(2026, 12, 18, 10, 1, tzinfo=KST) for s in a2_starts)


def test_dated_answer_joins_when_its_day_comes():
    cat = catalogue(0, 2, {"answers/a1.yaml": "start: 2026-12-19\n"})
    before, rotation = run(cat, 3)
    assert {e.path for e in before} == {"answers/a2.jpg"}
    after, _ = run(cat, 2, rotation=rotation, start=dt.datetime(2026, 12, 19, 9, 0, tzinfo=KST))
    assert "answers/a1.jpg" in {e.path for e in after}


def test_skipped_paths_are_passed_over():
    entries, _ = run(catalogue(2, 3), 12, skip={"contribute/c1.png", "answers/a2.jpg"})
    paths = {e.path for e in entries}
    assert "contribute/c1.png" not in paths and "answers/a2.jpg" not in paths
    assert {"contribute/c2.png", "answers/a1.jpg", "answers/a3.jpg"} <= paths


def test_removed_answers_leave_and_new_answers_join_the_current_round():
    cat = catalogue(0, 6)
    shown, rotation = run(cat, 2)
    shown_paths = {e.path for e in shown}
    gone = next(f"answers/a{i}.jpg" for i in range(1, 7) if f"answers/a{i}.jpg" not in shown_paths)
    paths = [f"answers/a{i}.jpg" for i in range(1, 7) if f"answers/a{i}.jpg" != gone] + ["answers/new.jpg"]
    changed = build_catalogue([FileInfo(p, 10, 1) for p in paths], {})
    rest, _ = run(changed, 4, rotation=rotation)
    rest_paths = [e.path for e in rest]
    assert gone not in rest_paths
    assert "answers/new.jpg" in rest_paths, "a new answer waits for the next round"
    assert set(e.path for e in shown).isdisjoint(rest_paths), "an answer repeated inside a round"


def test_plan_is_pure():
    cat = catalogue()
    rotation = Rotation(seed=3)
    first, _ = run(cat, 10, rotation=rotation)
    second, _ = run(cat, 10, rotation=rotation)
    assert first == second


def test_next_entry_returns_new_rotation_without_changing_the_old():
    rotation = Rotation(seed=1)
    entry, after = next_entry(rotation, catalogue(), PlaylistSettings(), NOW)
    assert rotation == Rotation(seed=1)
    assert after.last_contribute == entry.path


# --- video slides ---------------------------------------------------------------------------

def _video(sidecar: str = "", length: float = 6.0):
    from kiosk.core.playlist import entry_for

    cat = build_catalogue([FileInfo("contribute/v.mp4", 10, 1, length)], {"contribute/v.yaml": sidecar} if sidecar
                          else {})
    return lambda settings=PlaylistSettings(fade_seconds=1.0): entry_for(cat.get("contribute/v.mp4"), settings)


@pytest.mark.parametrize("sidecar, video, turn", [
    ("", 6.0, 7.0),  # its own length, after one second on its first frame while it fades in
    ("loop: 3\n", 18.0, 19.0),
    ("seconds: 4\n", 4.0, 5.0),  # trimmed
    ("seconds: 15\nloop: 2\n", 15.0, 16.0),  # seconds rule over loop: looped to fill them
])
def test_a_video_is_on_screen_for_its_plays_or_its_seconds(sidecar, video, turn):
    entry = _video(sidecar)()
    assert entry.video.length == video and entry.seconds == turn
    assert _video(sidecar)(PlaylistSettings(fade_seconds=0.0)).seconds == video  # a cut: no fade to add


def test_a_video_in_the_plan_lasts_its_length_whatever_its_kind_would_last():
    cat = build_catalogue([FileInfo("contribute/c1.png", 10, 1), FileInfo("answers/v.mp4", 10, 1, 2.5),
                           FileInfo("answers/a1.jpg", 10, 1)], {})
    entries, _ = run(cat, 3, PlaylistSettings(answers_per_contribute=2, fade_seconds=0.5))
    assert [(e.path, e.seconds) for e in entries] == [
        ("contribute/c1.png", 12.0), ("answers/a1.jpg", 8.0), ("answers/v.mp4", 3.0)]


def test_a_turn_never_exceeds_a_day_however_many_loops():
    entry = _video("loop: 1000\n", length=3600.0)()
    assert entry.video.length == 86_400.0 and entry.seconds == 86_400.0
