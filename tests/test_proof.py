"""Proof of play as counters: time on screen per line, streaming lines, nginx's listing; an oracle for the tally."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.proof import (
    LEFT_GRACE_SECONDS, MAX_LINE_BYTES, ListingProblem, Play, Tally, parse_listing, parse_play_line,
    seconds_on_screen, split_lines,
)

from .hostile import json_texts

KST = dt.timezone(dt.timedelta(hours=9))
START = dt.datetime(2026, 12, 18, 12, 0, tzinfo=KST)


def line(offset: float, path: str, seconds: float, left: float | None = None, kind: str = "answer") -> bytes:
    record = {"time": (START + dt.timedelta(seconds=offset)).isoformat(timespec="milliseconds"), "path": path,
              "kind": kind, "seconds": seconds}
    if left is not None:
        record["left"] = (START + dt.timedelta(seconds=left)).isoformat(timespec="milliseconds")
    return json.dumps(record).encode()


def on_screen(*lines: bytes) -> dict[str, float]:
    tally = Tally()
    for raw in lines:
        tally.add_line(raw)
    tally.finish()
    return {path: round(seconds, 3) for path, (_kind, _plays, seconds) in tally.slides.items()}


# --- time on screen: the shared rule of issue 23 ------------------------------------------------

def test_left_says_how_long_a_slide_was_on_screen():
    # An override planned for a day, withdrawn after 6 s; then a slide that stayed its 8 s.
    assert on_screen(line(0, "override.png", 86400, left=6), line(6.5, "answers/a.jpg", 8, left=14.5)) == {
        "override.png": 6.0, "answers/a.jpg": 8.0}


def test_without_left_the_next_start_cuts_the_planned_time():
    # A slide taken down (or the box paused) after 3 s of its 8, by a box that did not write `left`.
    assert on_screen(line(0, "a.jpg", 8), line(3, "b.jpg", 8), line(20, "c.jpg", 8)) == {
        "a.jpg": 3.0, "b.jpg": 8.0, "c.jpg": 8.0}


def test_the_last_line_of_a_box_that_died_counts_its_planned_time():
    assert on_screen(line(0, "a.jpg", 8), line(8, "b.jpg", 12)) == {"a.jpg": 8.0, "b.jpg": 12.0}


def test_a_left_that_is_not_sane_falls_back():
    assert on_screen(line(0, "before.jpg", 8, left=-1), line(5, "next.jpg", 8, left=13)) == {
        "before.jpg": 5.0, "next.jpg": 8.0}  # left before the start: the next start counts
    late = 8 + LEFT_GRACE_SECONDS + 1
    assert on_screen(line(0, "late.jpg", 8, left=late), line(30, "x.jpg", 8)) == {"late.jpg": 8.0, "x.jpg": 8.0}
    assert on_screen(line(0, "grace.jpg", 8, left=8 + LEFT_GRACE_SECONDS)) == {"grace.jpg": 13.0}
    broken = json.loads(line(0, "odd.jpg", 8))
    for left in ("yesterday", 12, None, "2026-12-18T12:00:05", "9" * 100, ["2026"]):
        assert on_screen(json.dumps({**broken, "left": left}).encode(), line(4, "n.jpg", 8)) == {
            "odd.jpg": 4.0, "n.jpg": 8.0}, left


def test_a_clock_stepped_back_counts_the_planned_time():
    assert on_screen(line(100, "a.jpg", 8), line(0, "b.jpg", 8)) == {"a.jpg": 8.0, "b.jpg": 8.0}


def test_the_rule_for_one_play():
    play = Play(START, "a.jpg", "answer", 8.0, START + dt.timedelta(seconds=2.5))
    assert seconds_on_screen(play, None) == 2.5
    assert seconds_on_screen(play, START + dt.timedelta(seconds=1)) == 2.5  # left wins over the next start
    assert seconds_on_screen(Play(START, "a.jpg", "answer", 8.0), START + dt.timedelta(seconds=30)) == 8.0


def test_since_leaves_out_earlier_days_but_their_lines_still_cut_the_next():
    tally = Tally(since=dt.date(2026, 12, 19))
    tally.add_line(line(0, "a.jpg", 8))
    tally.add_line(line(86400 - 2, "b.jpg", 8))  # the 19th at 11:59:58, taken down after 3 s
    tally.add_line(line(86400 + 1, "c.jpg", 8))
    tally.finish()
    assert {p: s for p, (_k, _n, s) in tally.slides.items()} == {"b.jpg": 3.0, "c.jpg": 8.0}


def test_a_box_naming_endless_slides_or_days_is_refused_not_counted():
    import pytest

    from kiosk.core.proof import TooManyCounters

    tally = Tally(max_counters=100)
    with pytest.raises(TooManyCounters, match="more than 100 slides, days and kinds"):
        for index in range(200):
            tally.add_line(line(index * 8, f"answers/{index}.jpg", 8))
    days = Tally(max_counters=100)
    with pytest.raises(TooManyCounters):
        for index in range(200):
            days.add_line(line(index * 86400, "answers/a.jpg", 8, kind=f"kind-{index}"))
    plenty = Tally(max_counters=100)
    for index in range(10_000):
        plenty.add_line(line(index * 8, f"answers/{index % 50}.jpg", 8))
    plenty.finish()
    assert plenty.result()["plays"] == 10_000


# --- the oracle: streaming counters equal a sum over every line held at once ----------------------

plays = st.lists(st.tuples(
    st.floats(0, 200_000), st.sampled_from(["a.jpg", "b.jpg", "c.png", "안녕.jpg"]),
    st.sampled_from([1, 8, 12.5, 86400]), st.one_of(st.none(), st.floats(-20, 200)),
    st.sampled_from(["answer", "contribute"])), max_size=40)


@given(plays)
@settings(max_examples=200, deadline=None)
def test_the_tally_equals_the_rule_applied_to_all_lines_at_once(items):
    raws = [line(offset, path, seconds, None if left is None else offset + left, kind)
            for offset, path, seconds, left, kind in items]
    parsed = [parse_play_line(raw) for raw in raws]
    expected: dict[str, float] = {}
    for index, play in enumerate(parsed):
        following = parsed[index + 1].start if index + 1 < len(parsed) else None
        expected[play.path] = expected.get(play.path, 0.0) + seconds_on_screen(play, following)
    got = on_screen(*raws)
    assert got.keys() == expected.keys()
    for path, seconds in expected.items():
        assert abs(got[path] - seconds) < 1e-3
    halves = Tally(), Tally()
    for raw in raws:
        halves[0].add_line(raw)
    halves[0].finish()
    halves[1].merge(halves[0])
    assert halves[1].result() == halves[0].result()


# --- the line parser and the line splitter: hostile input ------------------------------------------

@given(st.binary(max_size=400))
@settings(max_examples=300, deadline=None)
def test_any_bytes_are_a_play_or_none(raw):
    play = parse_play_line(raw)
    assert play is None or (0 < play.seconds <= 86400 and "\x1b" not in play.path and "\n" not in play.path)


@given(json_texts())
@settings(max_examples=300, deadline=None)
def test_any_json_is_a_play_or_none(text):
    tally = Tally()
    tally.add_line(text.encode("utf-8", "surrogatepass"))
    tally.finish()
    result = tally.result()
    assert result["plays"] + result["skipped_records"] == 1


def test_names_reach_the_report_escaped():
    play = parse_play_line(json.dumps({"time": "2026-12-18T12:00:00+09:00", "path": "a\x1b[2J\r\nb\u202e.jpg",
                                       "kind": "answer\x07", "seconds": 8}).encode())
    assert play.path == "a\\x1b[2J\\x0d\\x0ab\\u202e.jpg" and play.kind == "answer\\x07"


def test_deep_nesting_and_overlong_lines_are_skipped():
    assert parse_play_line(b"[" * 100_000 + b"]" * 100_000) is None
    assert parse_play_line(b'{"time": "' + b"9" * MAX_LINE_BYTES + b'"}') is None
    assert parse_play_line(None) is None


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(1, 30))
@settings(max_examples=300, deadline=None)
def test_split_lines_yields_the_lines_however_the_bytes_are_cut(pieces, limit):
    data = b"".join(pieces)
    expected = [raw if len(raw) <= limit else None for raw in data.split(b"\n") if raw.strip()]
    assert list(split_lines(pieces, limit)) == expected


def test_split_lines_holds_no_more_than_its_limit_of_an_endless_line():
    def endless():
        for _ in range(10_000):
            yield b"\0" * 65536  # 640 MB without a newline
        yield b"\n" + line(0, "a.jpg", 8) + b"\n"

    assert [parse_play_line(raw) is not None for raw in split_lines(endless())] == [False, True]


# --- nginx's JSON listing ------------------------------------------------------------------------

def test_a_listing_gives_folders_and_files():
    data = json.dumps([{"name": "box-1", "type": "directory", "mtime": "x"},
                       {"name": "play-2026-12-18.jsonl", "type": "file", "size": 3},
                       {"name": "sock", "type": "other"}]).encode()
    assert parse_listing(data) == (["box-1"], ["play-2026-12-18.jsonl"])


def test_a_listing_that_is_not_one_says_why():
    cases = {
        b"<html><body>hello</body></html>": "index.html",
        b"[" * 5000 + b"]" * 5000: "nested",
        b'{"name": "box"}': "not a JSON list",
        b'[{"name": 7, "type": "file"}]': "text name",
        b'["box-1"]': "text name",
        b'[{"name": "../etc", "type": "directory"}]': "no plain file",
        b'[{"name": "..", "type": "directory"}]': "no plain file",
        b"[" + b",".join([b'{"name": "a", "type": "file"}'] * 100_001) + b"]": "more than",
    }
    for data, words in cases.items():
        try:
            parse_listing(data)
        except ListingProblem as exc:
            assert words in str(exc), (data[:40], str(exc))
        else:
            raise AssertionError(f"accepted {data[:40]!r}")


@given(st.one_of(json_texts(), st.binary(max_size=300).map(lambda b: b.decode("latin-1"))))
@settings(max_examples=300, deadline=None)
def test_any_listing_is_names_or_a_listing_problem(text):
    try:
        folders, files = parse_listing(text.encode("utf-8", "surrogatepass"))
    except ListingProblem:
        return
    for name in folders + files:
        assert isinstance(name, str) and "/" not in name and name not in ("", ".", "..")
