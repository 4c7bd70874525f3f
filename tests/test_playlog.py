import datetime as dt
import json

from kiosk.boundary.playlog import PlayLog, read_play_log
from kiosk.core.playlist import play_record

KST = dt.timezone(dt.timedelta(hours=9))


def test_records_are_json_lines_with_offsets(tmp_path):
    log = PlayLog(tmp_path / "state")
    start = dt.datetime(2026, 12, 18, 9, 30, 0, 123000, tzinfo=KST)
    log.append(play_record(start, "answers/a.jpg", "answer", 8.0))
    log.append(play_record(start, "contribute/c.png", "contribute", 12.0))
    records = read_play_log(tmp_path / "state")
    assert records[0] == {"time": "2026-12-18T09:30:00.123+09:00", "path": "answers/a.jpg", "kind": "answer",
                          "seconds": 8.0}
    assert len(records) == 2


def test_torn_last_line_is_skipped(tmp_path):
    (tmp_path / "play.jsonl").write_text('{"path": "a"}\n{"path": "b"')
    assert read_play_log(tmp_path) == [{"path": "a"}]


def test_unwritable_log_warns_once(tmp_path, caplog):
    blocker = tmp_path / "blocked"
    blocker.write_text("file")
    log = PlayLog(blocker)
    for _ in range(3):
        log.append({"path": "a"})
    assert caplog.text.count("cannot write the play log") == 1


def record(day, hour=12, path="answers/a.jpg"):
    return play_record(dt.datetime(2026, 12, day, hour, 0, tzinfo=KST), path, "answer", 8.0)


def test_a_new_day_starts_a_new_file(tmp_path):
    log = PlayLog(tmp_path)
    log.append(record(18))
    log.append(record(18, 23))
    log.append(record(19, 0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["play-2026-12-18.jsonl", "play.jsonl"]
    assert [r["time"][:10] for r in read_play_log(tmp_path)] == ["2026-12-18", "2026-12-18", "2026-12-19"]


def test_size_limit_rotates_within_a_day(tmp_path):
    log = PlayLog(tmp_path, max_bytes=300)
    for _ in range(10):
        log.append(record(18))
    names = sorted(p.name for p in tmp_path.iterdir())
    assert "play-2026-12-18.jsonl" in names and "play-2026-12-18.1.jsonl" in names
    assert all(p.stat().st_size <= 300 for p in tmp_path.iterdir())
    assert len(read_play_log(tmp_path)) == 10


def test_only_the_newest_rotated_files_are_kept(tmp_path):
    log = PlayLog(tmp_path, keep=3)
    for day in range(1, 11):
        log.append(record(day))
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "play-2026-12-07.jsonl", "play-2026-12-08.jsonl", "play-2026-12-09.jsonl", "play.jsonl",
    ]


def test_rotation_resumes_after_a_restart(tmp_path):
    PlayLog(tmp_path).append(record(18))
    PlayLog(tmp_path).append(record(19))  # a new process, a new day
    assert sorted(p.name for p in tmp_path.iterdir()) == ["play-2026-12-18.jsonl", "play.jsonl"]


# --- corrupt play logs: a bad line is skipped and counted, never fatal ---------------

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk.boundary.playlog import load_play_logs
from kiosk.app.report import build_report, report_text

from .hostile import json_texts


def test_a_deeply_nested_last_line_does_not_stop_a_start(tmp_path):
    good = '{"time": "2026-12-18T09:00:00+09:00", "path": "a", "kind": "answer", "seconds": 8}\n'
    (tmp_path / "play.jsonl").write_text(good + "[" * 2000 + "\n")
    log = PlayLog(tmp_path)  # reads the day of the last record
    log.append(play_record(dt.datetime(2026, 12, 18, 10, tzinfo=KST), "b", "answer", 8.0))
    records, skipped = load_play_logs(tmp_path)
    assert [r["path"] for r in records] == ["a", "b"] and skipped == 1


def test_lines_that_are_not_utf8_or_json_are_counted(tmp_path):
    good = b'{"time": "2026-12-18T09:00:00+09:00", "path": "a", "kind": "answer", "seconds": 8}\n'
    (tmp_path / "play.jsonl").write_bytes(good + b"\xff\xfe\n" + b"[1e400]\n" + b"42\n" + good)
    records, skipped = load_play_logs(tmp_path)
    assert len(records) == 2 and skipped == 3


def test_a_name_that_is_not_utf8_is_logged_escaped(tmp_path):
    name = "answers/" + "사진.jpg".encode("cp949").decode("utf-8", "surrogateescape")
    log = PlayLog(tmp_path)
    log.append(play_record(dt.datetime(2026, 12, 18, 10, tzinfo=KST), name, "answer", 8.0))
    records, skipped = load_play_logs(tmp_path)
    assert skipped == 0 and records[0]["path"].startswith("answers/\\x")


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.one_of(json_texts(), st.builds(
    lambda t, p, s: '{"time": %s, "path": %s, "kind": "answer", "seconds": %s}' % (t, p, s),
    st.sampled_from(['"2026-12-18T09:00:00+09:00"', '"2026-12-18T09:00:00"', '"not a time"', "1", "null"]),
    st.sampled_from(['"a.jpg"', '"b.jpg"', "3", "[]"]),
    st.sampled_from(["8", "1e308", "-5", "0", '"8"', "1e400", "NaN", "true"]),
)), max_size=8))
def test_any_play_log_reports_finite_numbers(tmp_path, lines):
    data = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
    (tmp_path / "play.jsonl").write_bytes(data)
    records, skipped = load_play_logs(tmp_path)
    report = build_report(records, skipped=skipped)
    report_text(report)
    assert report["plays"] + report["skipped_records"] == len([line for line in data.split(b"\n") if line.strip()])
    for slide in report["per_slide"]:
        # A play replaced in the same second it began was on screen for no time at all.
        assert 0 <= slide["seconds"] <= 86_400 * slide["plays"] and slide["plays"] > 0


def test_a_play_replaced_at_the_instant_it_began_counts_as_a_play_of_no_seconds(tmp_path):
    lines = ['{"time": "2026-12-18T09:00:00+09:00", "path": "%s", "kind": "answer", "seconds": 8}' % name
             for name in ("a.jpg", "b.jpg")]
    (tmp_path / "play.jsonl").write_text("\n".join(lines) + "\n")
    records, skipped = load_play_logs(tmp_path)
    report = build_report(records, skipped=skipped)
    seconds = {slide["path"]: (slide["plays"], slide["seconds"]) for slide in report["per_slide"]}
    assert seconds == {"a.jpg": (1, 0.0), "b.jpg": (1, 8.0)}


def test_a_play_log_linked_to_a_device_is_refused_named_and_never_read(tmp_path):
    from kiosk.boundary.playlog import PLAY_LOG_FILE, last_records, load_play_logs

    (tmp_path / PLAY_LOG_FILE).symlink_to("/dev/zero")
    log = PlayLog(tmp_path)
    assert PLAY_LOG_FILE in log.problem and "not a regular file" in log.problem
    log.append(record(18))
    assert "not a regular file" in log.problem
    assert last_records(tmp_path, 64) == [] and load_play_logs(tmp_path) == ([], 0)


def test_an_endless_line_is_skipped_a_piece_at_a_time(tmp_path):
    from kiosk.boundary.playlog import MAX_LINE_BYTES, PLAY_LOG_FILE, load_play_logs

    good = json.dumps(record(18)) + "\n"
    (tmp_path / PLAY_LOG_FILE).write_text(good + "x" * (5 * MAX_LINE_BYTES) + "\n" + good)
    records, skipped = load_play_logs(tmp_path)
    assert len(records) == 2 and skipped == 1
