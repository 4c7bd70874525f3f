from kiosk.folder import list_folder, scan

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
    files, sidecars = listing.files, listing.sidecars
    assert sidecars["answers/a.txt"].reason == "larger than 65536 bytes"
