import datetime as dt

from PIL import Image

from kiosk.core.assets import DEFAULT_FONT
from kiosk.core.playlist import play_record
from kiosk.app.report import build_report, draw_chart, report_text

KST = dt.timezone(dt.timedelta(hours=9))


def records():
    out = []
    for day in (18, 19):
        start = dt.datetime(2026, 12, day, 9, 0, tzinfo=KST)
        for path, kind, seconds in [
            ("contribute/01.png", "contribute", 12), ("answers/a.jpg", "answer", 8),
            ("answers/b.jpg", "answer", 8), ("answers/a.jpg", "answer", 8),
        ]:
            out.append(play_record(start, path, kind, seconds))
            start += dt.timedelta(seconds=seconds)  # each slide stayed its planned time
    out.append({"time": "broken"})
    return out


def test_report_counts_per_slide_kind_and_day():
    report = build_report(records())
    assert report["plays"] == 8
    assert report["per_kind"]["answer"] == {"plays": 6, "seconds": 48.0}
    assert report["per_day"]["2026-12-18"]["contribute"] == {"plays": 1, "seconds": 12.0}
    assert {s["path"]: s["plays"] for s in report["per_slide"]} == {
        "answers/a.jpg": 4, "answers/b.jpg": 2, "contribute/01.png": 2,
    }
    assert report["answer_fairness"] == {"answers": 2, "fewest_plays": 2, "most_plays": 4}


def test_since_filters_days():
    report = build_report(records(), since=dt.date(2026, 12, 19))
    assert list(report["per_day"]) == ["2026-12-19"] and report["plays"] == 4


def test_text_and_chart(tmp_path):
    report = build_report(records())
    text = report_text(report)
    assert "answers: 2, each shown 2 to 4 times" in text
    draw_chart(report, tmp_path / "chart.png", DEFAULT_FONT)
    chart = Image.open(tmp_path / "chart.png")
    assert chart.size == (1200, 600)
    assert len(set(chart.convert("RGB").resize((60, 30)).getcolors(4096) or [])) > 3


def test_times_with_and_without_a_zone_and_bad_seconds_are_skipped_and_counted():
    good = play_record(dt.datetime(2026, 12, 18, 9, tzinfo=KST), "answers/a.jpg", "answer", 8)
    bad = [
        {**good, "time": "2026-12-18T09:00:00"},  # no offset: cannot be ordered with the rest
        {**good, "seconds": float("nan")},
        {**good, "seconds": float("inf")},
        {**good, "seconds": -1e9},
        {**good, "seconds": "8"},
        {**good, "path": ["not", "text"]},
        "not a record",
    ]
    report = build_report([good, *bad, good])
    assert report["plays"] == 2 and report["skipped_records"] == len(bad)
    text = report_text(report)
    assert "7 unreadable play-log lines skipped" in text
    assert "nan" not in text and "inf" not in text and "-2777" not in text


# --- the fleet: the uploaded play logs of every box ---------------------------------------------

def test_the_fleet_report_adds_up_every_box_and_says_how_fairly_answers_were_exposed(tmp_path, capsys):
    import csv
    import json

    from kiosk.app.cli import main

    fleet = tmp_path / "fleet"
    plays = {
        "giant-box-1": [("contribute/c1.png", "contribute", 12), ("answers/a1.jpg", "answer", 8),
                        ("answers/a2.jpg", "answer", 8)],
        "tall-case-1": [("answers/a1.jpg", "answer", 10), ("answers/a1.jpg", "answer", 10)],
    }
    for box, records in plays.items():
        (fleet / box).mkdir(parents=True)
        starts = [sum(seconds for _p, _k, seconds in records[:index]) for index in range(len(records))]
        lines = [json.dumps({"time": f"2026-12-18T12:00:{start:02d}.000+09:00", "path": path, "kind": kind,
                             "seconds": seconds}) for start, (path, kind, seconds) in zip(starts, records)]
        (fleet / box / "play-2026-12-18.jsonl").write_text("\n".join(lines) + "\n{torn\n")
    out = tmp_path / "report.csv"
    assert main(["report", str(fleet), "--json", "--csv", str(out), "--png", str(tmp_path / "chart.png")]) == 0
    report = json.loads(capsys.readouterr().out)
    assert sorted(report["boxes"]) == ["giant-box-1", "tall-case-1"]
    assert report["plaza"]["plays"] == 5 and report["plaza"]["skipped_records"] == 2
    assert report["boxes"]["tall-case-1"]["per_kind"] == {"answer": {"plays": 2, "seconds": 20.0}}
    assert report["fleet_fairness"] == {"answers": 2, "fewest_seconds": 8.0, "most_seconds": 28.0,
                                        "fewest_screens": 1, "most_screens": 2}
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert {"box": "plaza", "path": "answers/a1.jpg", "kind": "answer", "plays": "3", "seconds": "28.0"} in rows
    assert (tmp_path / "chart.png").stat().st_size > 1000
    # One box's folder works too, and so does text.
    assert main(["report", str(fleet / "tall-case-1")]) == 0
    assert "the plaza, 1 box:" in capsys.readouterr().out


# --- what reaches a spreadsheet or a terminal ------------------------------------------------

def test_csv_cells_a_spreadsheet_would_run_are_neutralised(tmp_path):
    import csv
    import json

    from kiosk.app.cli import main
    from kiosk.app.report import csv_cell

    hostile = ["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "=1\n=2"]
    for cell in hostile:
        assert csv_cell(cell).startswith("'"), cell
    assert csv_cell("answers/a.jpg") == "answers/a.jpg" and csv_cell(-1.5) == -1.5 and csv_cell(3) == 3
    fleet = tmp_path / "fleet"
    for box in ("=cmd|' -C calc'!A0", "box-1"):
        (fleet / box).mkdir(parents=True)
        lines = [json.dumps({"time": f"2026-12-18T12:0{index}:00+09:00", "path": path, "kind": "+answer",
                             "seconds": 8}) for index, path in enumerate(hostile)]
        (fleet / box / "play-2026-12-18.jsonl").write_text("\n".join(lines) + "\n")
    out = tmp_path / "plays.csv"
    assert main(["report", str(fleet), "--csv", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert len(rows) == 3 * len(hostile)
    for row in rows:
        for cell in row[:3]:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")) and "\n" not in cell, row


def test_the_text_report_escapes_control_characters_and_ansi_escapes(tmp_path, capsys):
    import json

    from kiosk.app.cli import main

    fleet = tmp_path / "fleet"
    box = fleet / "box\x1b]0;owned\x07"
    box.mkdir(parents=True)
    (box / "play-2026-12-18.jsonl").write_text(json.dumps(
        {"time": "2026-12-18T12:00:00+09:00", "path": "a\x1b[2J\x1b[31mred\r\nforged line\u202egpj.exe",
         "kind": "answer\x9b1m", "seconds": 8}) + "\n")
    assert main(["report", str(fleet)]) == 0
    text = capsys.readouterr().out
    assert not any(ord(c) < 0x20 and c != "\n" or 0x7F <= ord(c) < 0xA0 or c == "\u202e" for c in text)
    assert "a\\x1b[2J\\x1b[31mred\\x0d\\x0aforged line\\u202egpj.exe" in text
    assert "box box\\x1b]0;owned\\x07:" in text and "answer\\x9b1m" in text
    assert main(["report", str(fleet), "--json"]) == 0
    assert "\x1b" not in capsys.readouterr().out


def test_one_box_name_in_two_places_given_is_counted_twice_under_two_names_never_lost(tmp_path, capsys):
    import json

    from kiosk.app.cli import main

    for place, starts in (("old-server", ["10:00:00"]), ("new-server", ["11:00:00", "11:00:08"])):
        (tmp_path / place / "box-1").mkdir(parents=True)
        (tmp_path / place / "box-1" / "play-2026-12-18.jsonl").write_text("".join(json.dumps(
            {"time": f"2026-12-18T{start}+09:00", "path": "answers/a.jpg", "kind": "answer", "seconds": 8}) + "\n"
            for start in starts))
    assert main(["report", str(tmp_path / "old-server"), str(tmp_path / "new-server"), "--json"]) == 0
    printed = capsys.readouterr()
    report = json.loads(printed.out)
    assert report["plaza"]["plays"] == 3
    assert {name: box["plays"] for name, box in report["boxes"].items()} == {"box-1": 1, "box-1 (2)": 2}
    assert "the box name box-1 is taken" in printed.err and "counted as box-1 (2)" in printed.err


def test_a_box_named_like_the_plazas_totals_never_passes_for_them_in_the_csv(tmp_path):
    import csv
    import json

    from kiosk.app.cli import main

    for box in ("plaza", "box-1"):
        (tmp_path / "fleet" / box).mkdir(parents=True)
        (tmp_path / "fleet" / box / "play-2026-12-18.jsonl").write_text(json.dumps(
            {"time": "2026-12-18T10:00:00+09:00", "path": "answers/a.jpg", "kind": "answer", "seconds": 8}) + "\n")
    out = tmp_path / "plays.csv"
    assert main(["report", str(tmp_path / "fleet"), "--csv", str(out)]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        rows = [(row["box"], row["plays"]) for row in csv.DictReader(handle)]
    assert sorted(rows) == [("box-1", "1"), ("plaza", "2"), ("plaza (2)", "1")]
