from kiosk.boundary.folder import list_folder, scan

from .conftest import make_picture


def test_scan_reads_pictures_and_sidecars(tmp_path):
    make_picture(tmp_path / "contribute" / "01.png")
    make_picture(tmp_path / "answers" / "nested" / "a.jpg")
    (tmp_path / "answers" / "nested" / "a.txt").write_text("안녕하세요", encoding="utf-8")
    (tmp_path / "answers" / "b.jpg.part").write_bytes(b"partial")
    (tmp_path / "answers" / ".b.jpg.XyZ123").write_bytes(b"rsync temp")
    make_picture(tmp_path / "answers" / ".syncthing-folder" / "c.jpg")
    make_picture(tmp_path / "elsewhere" / "d.jpg")
    catalogue = scan(tmp_path)
    assert [s.path for s in catalogue.contribute] == ["contribute/01.png"]
    assert [s.path for s in catalogue.answers] == ["answers/nested/a.jpg"]
    assert catalogue.get("answers/nested/a.jpg").meta.caption == "안녕하세요"


def test_missing_folder_is_an_empty_catalogue(tmp_path):
    assert len(scan(tmp_path / "not-there")) == 0


def test_non_utf8_sidecar_is_reported(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    (tmp_path / "answers" / "a.txt").write_bytes("캡션".encode("euc-kr"))
    catalogue = scan(tmp_path)
    assert catalogue.problems == ("answers/a.txt: sidecar ignored: not UTF-8 text",)
    assert catalogue.get("answers/a.jpg") is not None


def test_oversized_sidecar_is_not_read(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    (tmp_path / "answers" / "a.txt").write_text("x" * 100_000)
    listing = list_folder(tmp_path)
    assert listing.sidecars["answers/a.txt"].reason == "larger than 65536 bytes"
    assert "answers/a.jpg" in [info.path for info in listing.files]


# --- names and links that one publish could bring to every box --------------------

import json
import os
import threading

from hypothesis import HealthCheck, given, settings

from .hostile import file_names

CP949_NAME = "사진-답변.jpg".encode("cp949")


def test_a_name_that_is_not_utf8_is_skipped_with_one_printable_problem(tmp_path):
    make_picture(tmp_path / "answers" / "good.jpg")
    os.rename(make_picture(tmp_path / "answers" / "x.jpg"), os.fsencode(tmp_path / "answers") + b"/" + CP949_NAME)
    catalogue = scan(tmp_path)
    assert [s.path for s in catalogue.answers] == ["answers/good.jpg"]
    assert len(catalogue.problems) == 1
    problem = catalogue.problems[0]
    assert "the name is not UTF-8" in problem and problem.startswith("answers/\\x")
    json.dumps(problem, ensure_ascii=False).encode("utf-8")  # status.json and the log can hold it


def test_two_links_to_the_folder_itself_neither_hang_nor_repeat(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    os.symlink(".", tmp_path / "answers" / "loop")
    os.symlink("..", tmp_path / "answers" / "up")
    done = threading.Event()
    result = {}
    thread = threading.Thread(target=lambda: (result.update(c=scan(tmp_path)), done.set()), daemon=True)
    thread.start()
    assert done.wait(10), "the listing hangs on link loops"
    catalogue = result["c"]
    assert [s.path for s in catalogue.answers] == ["answers/a.jpg"]
    assert any("answers/loop: ignored: a link to a folder that is already listed" in p for p in catalogue.problems)


def test_a_link_to_outside_the_slide_folder_is_ignored(tmp_path):
    outside = tmp_path / "outside"
    make_picture(outside / "private.jpg")
    (outside / "secret.txt").write_text("PASSWORD=hunter2")
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    os.symlink(outside, root / "answers" / "archive")
    os.symlink(outside / "secret.txt", root / "answers" / "a.txt")
    os.symlink("/proc/self/environ", root / "answers" / "b.txt")
    catalogue = scan(root)
    assert [s.path for s in catalogue.answers] == ["answers/a.jpg"]
    assert catalogue.get("answers/a.jpg").meta.caption == ""
    assert "answers/archive: ignored: a link to outside the slide folder" in catalogue.problems
    assert "answers/a.txt: ignored: a link to outside the slide folder" in catalogue.problems


def test_a_link_inside_the_slide_folder_is_followed_once(tmp_path):
    make_picture(tmp_path / "contribute" / "01.png")
    make_picture(tmp_path / "answers" / "a.jpg")
    os.symlink("../contribute", tmp_path / "answers" / "featured")
    os.symlink("a.jpg", tmp_path / "answers" / "b.jpg")
    catalogue = scan(tmp_path)
    assert [s.path for s in catalogue.contribute] == ["contribute/01.png"]
    assert [s.path for s in catalogue.answers] == ["answers/a.jpg", "answers/b.jpg"]


def test_a_fifo_is_never_opened(tmp_path):
    make_picture(tmp_path / "answers" / "a.jpg")
    os.mkfifo(tmp_path / "answers" / "a.txt")
    os.mkfifo(tmp_path / "answers" / "b.jpg")
    catalogue = scan(tmp_path)  # would block forever reading the FIFO
    assert [s.path for s in catalogue.answers] == ["answers/a.jpg"]


@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=file_names())
def test_any_file_name_lists_as_utf8_or_a_printable_problem(tmp_path, names):
    folder = os.fsencode(tmp_path / "answers")
    os.makedirs(folder, exist_ok=True)
    for entry in os.listdir(folder):
        os.unlink(os.path.join(folder, entry))
    with open(os.path.join(folder, names + b".jpg"), "wb") as handle:
        handle.write(b"x")
    listing = list_folder(tmp_path)
    for info in listing.files:
        info.path.encode("utf-8")
    for problem in listing.problems:
        problem.encode("utf-8")


def test_a_video_is_listed_with_its_length_read_once_per_version(tmp_path, monkeypatch):
    from tests.clips import make_clip

    clip = make_clip(tmp_path / "contribute" / "v.mp4", frames=30, rate=20)
    reads = []
    import kiosk.picture.video as video

    original = video.video_seconds
    monkeypatch.setattr(video, "video_seconds", lambda *a, **k: reads.append(a[0]) or original(*a, **k))
    first = scan(tmp_path).get("contribute/v.mp4")
    assert first.meta.video_seconds == 1.5
    assert scan(tmp_path).get("contribute/v.mp4").meta.video_seconds == 1.5
    assert len(reads) == 1  # the second listing knew this version
    make_clip(clip, frames=40, rate=20)  # a new version of the file: read again
    assert scan(tmp_path).get("contribute/v.mp4").meta.video_seconds == 2.0
    assert len(reads) == 2


def test_a_hostile_or_empty_video_is_skipped_with_one_problem_naming_it(tmp_path):
    from tests.clips import make_audio_only, make_claiming_duration

    (tmp_path / "answers").mkdir()
    make_audio_only(tmp_path / "answers" / "sound.m4v")
    make_claiming_duration(tmp_path / "answers" / "ten-hours.mkv", 36_000)
    (tmp_path / "answers" / "text.mp4").write_text("not a video", encoding="utf-8")
    (tmp_path / "answers" / "empty.webm").write_bytes(b"")
    catalogue = scan(tmp_path)
    assert catalogue.answers == ()
    problems = "\n".join(catalogue.problems)
    assert "answers/sound.m4v: skipped: audio only, no video stream" in problems
    assert "answers/ten-hours.mkv: skipped: " in problems
    assert "answers/text.mp4: skipped: cannot open" in problems
    assert "answers/empty.webm: skipped: an empty file" in problems
    assert len(catalogue.problems) == 4


def test_a_changed_path_looked_at_alone_gets_its_length_too(tmp_path):
    from kiosk.boundary.folder import look_at
    from tests.clips import make_clip

    make_clip(tmp_path / "answers" / "new.webm", codec="libvpx-vp9", frames=10, rate=10)
    [info] = look_at(tmp_path, "answers/new.webm").files
    assert info.length == 1.0
