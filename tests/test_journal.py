"""The saved rotation's pure rules: when a checkpoint is due, what a play-log line carries, how a start resumes."""

import dataclasses
import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.catalogue import FileInfo, build_catalogue
from kiosk.core.journal import (FRESH_IN_LINE, LINE_HOLD_SECONDS, LINE_KEY, UNUSABLE_SECONDS, Checkpoint,
                                checkpoint_due, line_state, lines_due, read_checkpoint, resume, unlogged)
from kiosk.core.playlist import PlaylistSettings, plan
from kiosk.core.rotation import Rotation, SavedState
from kiosk.core.sections import default

NOW = dt.datetime(2026, 12, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))


def catalogue(answers=40, extra=()):
    paths = ["contribute/c1.png", "contribute/c2.png"] + [f"answers/a{i:03d}.jpg" for i in range(answers)] + list(extra)
    return build_catalogue([FileInfo(p, 10, 1) for p in paths], {})


def shown(rotation, cat, count, settings=PlaylistSettings()):
    planned, rotation = plan(rotation, cat, settings, NOW, count)
    return [p.entry.path for p in planned], rotation


def journal_of(states):
    """What a recorder writes: checkpoints when due, and a line per slide start."""
    checkpoint, lines, written, step = None, [], 0, -1
    for moment, state in enumerate(states):
        if checkpoint_due(checkpoint, state, float(moment)):
            checkpoint = Checkpoint(f"cp{written}", state, float(moment))
            written, step = written + 1, -1
        step += 1
        lines.append({"path": "x", LINE_KEY: line_state(checkpoint, state.rotation, step), "on_disk": checkpoint})
    return checkpoint, lines, written


def states_of(rotation, cat, count, settings=PlaylistSettings()):
    states = []
    for _ in range(count):
        _paths, rotation = shown(rotation, cat, 1, settings)
        states.append(SavedState(rotation))
    return states


def test_a_round_needs_one_checkpoint_and_every_slide_resumes_exactly():
    cat = catalogue(40)
    states = states_of(Rotation(seed=3), cat, 40)
    checkpoint, lines, written = journal_of(states)
    assert written == 2  # the first slide (a contribute slide), then the round's first answer; nothing else
    for cut in range(1, len(lines) + 1):
        resumed = resume(lines[cut - 1]["on_disk"], list(reversed(lines[:cut])))
        assert resumed == states[cut - 1]
        # ...and goes on exactly as the uninterrupted show did
        assert shown(resumed.rotation, cat, 5)[0] == shown(states[cut - 1].rotation, cat, 5)[0]


def test_after_a_power_cut_the_marks_keep_the_place_the_lost_lines_held():
    """The kernel had written the play log up to 30 s back; the marks went through at every slide."""
    cat = catalogue(40)
    states = states_of(Rotation(seed=3), cat, 30)
    _checkpoint, lines, _written = journal_of(states)
    for cut in range(1, len(lines) + 1):
        marks = list(reversed(lines[:cut]))[:16]  # the ring keeps the last sixteen
        written_back = list(reversed(lines[:max(0, cut - 4)]))
        assert resume(lines[cut - 1]["on_disk"], written_back, marks) == states[cut - 1]


def test_a_line_further_on_than_the_newest_mark_wins():
    """The ring failed for a while (a disk error) and the play log went on."""
    cat = catalogue(40)
    states = states_of(Rotation(seed=3), cat, 12)
    checkpoint, lines, _written = journal_of(states)
    marks = list(reversed(lines[:5]))
    assert resume(checkpoint, list(reversed(lines)), marks) == states[-1]
    torn = {"path": "x", LINE_KEY: {**lines[-1][LINE_KEY], "drawn": "1e400"}}
    assert resume(checkpoint, list(reversed(lines[:6])), [torn] + marks) == states[5]


def test_many_long_names_since_the_checkpoint_force_a_new_one():
    long_names = tuple(f"answers/{'x' * 200}-{i}.jpg" for i in range(30))
    before = Checkpoint("a", SavedState(Rotation(seed=1, round=1, members=("answers/a.jpg",))))
    grown = SavedState(dataclasses.replace(before.state.rotation, fresh=long_names[:10]))
    assert not checkpoint_due(before, grown, 0.0)
    assert checkpoint_due(before, SavedState(dataclasses.replace(before.state.rotation, fresh=long_names)), 0.0)


def test_a_new_round_writes_a_checkpoint():
    cat = catalogue(5)
    states = states_of(Rotation(seed=3), cat, 20, PlaylistSettings(answers_per_contribute=5))
    _checkpoint, _lines, written = journal_of(states)
    assert written == len({s.rotation.round for s in states})


def test_answers_that_arrive_ride_in_the_lines_until_there_are_too_many():
    cat = catalogue(40)
    _paths, rotation = shown(Rotation(seed=3), cat, 4)
    state = SavedState(rotation)
    checkpoint = Checkpoint("cp", state, 0.0)
    grown = build_catalogue([FileInfo(f"answers/new{i}.jpg", 10, 1) for i in range(3)]
                            + [FileInfo(s.path, 10, 1) for s in cat.slides()], {})
    _paths, after = shown(rotation, grown, 2)  # a contribute slide, then an answer: the new ones join
    assert len(after.fresh) == 3 and not checkpoint_due(checkpoint, SavedState(after), 1.0)
    line = line_state(checkpoint, after)
    assert sorted(line["fresh"]) == [f"answers/new{i}.jpg" for i in range(3)]
    assert resume(checkpoint, [{LINE_KEY: line}]).rotation == after
    flood = dataclasses.replace(after, fresh=tuple(f"answers/f{i}.jpg" for i in range(FRESH_IN_LINE + 1)))
    assert checkpoint_due(checkpoint, SavedState(flood), 1.0)


def test_a_new_unusable_file_waits_a_little_for_its_checkpoint():
    state = SavedState(Rotation(seed=1, round=1, members=("answers/a.jpg",)))
    checkpoint = Checkpoint("cp", state, 100.0)
    broken = SavedState(state.rotation, {"answers/a.jpg": (1, 2)})
    assert not checkpoint_due(checkpoint, broken, 100.0 + UNUSABLE_SECONDS - 1)
    assert checkpoint_due(checkpoint, broken, 100.0 + UNUSABLE_SECONDS)


def test_lines_of_another_checkpoint_and_torn_lines_are_passed_over():
    cat = catalogue(10)
    states = states_of(Rotation(seed=3), cat, 6)
    checkpoint, lines, _written = journal_of(states)
    other = {"path": "x", LINE_KEY: {**lines[-1][LINE_KEY], "checkpoint": "an older life"}}
    torn = {"path": "x", LINE_KEY: {"checkpoint": checkpoint.ident, "round": "1e400"}}
    newest_first = [other, torn, "not even an object"] + list(reversed(lines[:4]))
    assert resume(checkpoint, newest_first) == states[3]


def test_the_file_of_an_earlier_kiosk_resumes_where_it_stood():
    earlier = {
        "rotation": {"seed": 9, "round": 2, "bag": ["answers/a003.jpg", "answers/a001.jpg"],
                     "seen": ["answers/a000.jpg", "answers/a002.jpg"], "last_answer": "answers/a002.jpg",
                     "last_contribute": "contribute/c1.png", "answers_since_contribute": 1},
        "bad": {"answers/a009.jpg": [1, 2]},
    }
    checkpoint = read_checkpoint(earlier)
    assert checkpoint.ident == ""  # written anew at the next slide
    state = resume(checkpoint, [{LINE_KEY: {"checkpoint": ""}}])
    assert state.unusable == {"answers/a009.jpg": (1, 2)}
    cat = catalogue(4)
    paths, _ = shown(state.rotation, cat, 4)
    # The rest of its bag in its order, then a new round; nothing seen comes again before it.
    assert paths[:3] == ["answers/a003.jpg", "answers/a001.jpg", "contribute/c2.png"]


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
                    lambda inner: st.lists(inner, max_size=4)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=6),
                    max_leaves=30))
def test_any_checkpoint_or_line_reads_or_is_refused_with_value_error(data):
    try:
        checkpoint = read_checkpoint({"format": 2, "checkpoint": "c", "rotation": data} if isinstance(data, dict)
                                     else data)
    except ValueError:
        return
    resume(checkpoint, [{LINE_KEY: data}, data])


def logged(number, minute=0):
    return {"time": f"2026-12-18T10:{minute:02d}:{number:02d}.000+09:00", "path": f"answers/a{number:03d}.jpg",
            "kind": "answer", "seconds": 8.0, LINE_KEY: {"checkpoint": "cp", "step": number}}


def test_the_lines_held_when_the_power_went_are_written_back_from_the_marks():
    records = [logged(n) for n in range(12)]
    lines = list(reversed(records[:7]))
    marks = list(reversed(records))[:16]
    assert unlogged(lines, marks) == records[7:]
    assert unlogged(list(reversed(records)), marks) == []


def test_lines_older_than_the_ring_keep_what_is_later_and_a_missing_log_takes_every_mark():
    records = [logged(n) for n in range(40)]
    marks = list(reversed(records))[:16]
    assert unlogged(list(reversed(records[:10])), marks) == records[24:]  # lines 10..23 are lost for good
    assert unlogged([], marks) == records[24:]
    assert unlogged(["torn", {"no": "time"}], ["not a mark", {"time": 3}]) == []


def test_held_lines_are_written_in_batches_in_time_and_at_once_without_marks():
    per_write = default("state.play_log_lines_per_write")
    assert not lines_due(0, 1e9, True, per_write)
    assert not lines_due(per_write - 1, LINE_HOLD_SECONDS - 1, True, per_write)
    assert lines_due(per_write, 0.0, True, per_write)
    assert lines_due(1, LINE_HOLD_SECONDS, True, per_write)
    assert lines_due(1, 0.0, False, per_write)
    assert lines_due(1, 0.0, True, per_write=1)


def test_a_line_that_gained_left_still_names_its_mark():
    import datetime as dt

    from kiosk.core.journal import left_time, unlogged, with_left

    marks = [{"time": f"2026-12-18T10:00:0{n}.000+09:00", "path": f"a{n}.jpg", "rotation": {"step": n}}
             for n in (3, 2, 1)]
    line = with_left(marks[1], "2026-12-18T10:00:09.000+09:00")
    assert unlogged([line], marks) == [marks[0]]
    started = dt.datetime(2026, 12, 18, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert left_time(started, 100.0, 106.25) == "2026-12-18T10:00:06.250+09:00"
    assert left_time(started, 100.0, 99.0) == "2026-12-18T10:00:00.000+09:00"  # never before it began
