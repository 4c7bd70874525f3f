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
