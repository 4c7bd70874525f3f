import datetime as dt

from kiosk.playlog import PlayLog, play_record, read_play_log

KST = dt.timezone(dt.timedelta(hours=9))


def test_records_are_json_lines_with_offsets(tmp_path):
    log = PlayLog(tmp_path / "state")
    start = dt.datetime(2026, 12, 18, 9, 30, 0, 123000, tzinfo=KST)
    log.append(play_record(start, "answers/a.jpg", "answer", 8.0))
    log.append(play_record(start, "contribute/c.png", "contribute", 12.0))
    records = read_play_log(tmp_path / "state")
    assert records[0] == {"time": "2026-12-18T09:30:00.123+09:00", "path": "answers/a.jpg", "kind": "answer", "seconds": 8.0}
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
