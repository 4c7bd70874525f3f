"""The slide folder's side of the sync, on plain folders: what it holds, staging, and the move into place."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from kiosk.boundary.mirror import STAGING, Mirror
from kiosk.core.errors import SyncFailed
from kiosk.core.manifest import ManifestFile


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


@pytest.fixture
def mirror(tmp_path) -> Mirror:
    (tmp_path / "state").mkdir()
    return Mirror(tmp_path / "slides", tmp_path / "state")


def test_the_folder_is_hashed_once_and_what_a_link_reaches_is_not_its_own(mirror, tmp_path):
    write(mirror.folder / "answers" / "a.jpg", b"a")
    write(tmp_path / "elsewhere" / "b.jpg", b"b")
    os.symlink(tmp_path / "elsewhere", mirror.folder / "answers" / "linked")
    assert mirror.hashes() == {"answers/a.jpg": digest(b"a")}
    mirror.keep_index()
    index = (mirror.state_dir / "sync-index.json").stat().st_mtime_ns
    assert mirror.hashes() == {"answers/a.jpg": digest(b"a")}
    mirror.keep_index()  # unchanged: not written again
    assert (mirror.state_dir / "sync-index.json").stat().st_mtime_ns == index


def test_a_path_written_through_a_link_or_over_a_folder_is_refused(mirror, tmp_path):
    (tmp_path / "outside").mkdir()
    mirror.folder.mkdir()
    os.symlink(tmp_path / "outside", mirror.folder / "answers")
    with pytest.raises(SyncFailed, match="answers is a link"):
        mirror.check_target("answers/a.jpg")
    (mirror.folder / "contribute" / "c.jpg").mkdir(parents=True)
    with pytest.raises(SyncFailed, match="contribute/c.jpg is a folder where the manifest has a file"):
        mirror.check_target("contribute/c.jpg")
    mirror.check_target("new/d.jpg")  # nothing there yet: fine


def test_a_held_object_is_copied_not_downloaded_then_placed_before_the_stale_go(mirror):
    write(mirror.folder / "answers" / "old.jpg", b"kept photo")
    write(mirror.folder / "gone" / "stale.jpg", b"withdrawn")
    local = mirror.hashes()
    missing = [ManifestFile("answers/renamed.jpg", digest(b"kept photo"), 10),
               ManifestFile("answers/new.jpg", digest(b"new photo"), 9)]
    asked = []

    def download(sha256: str, size: int, staging: Path) -> Path:
        asked.append(sha256)
        return write(staging / f"{sha256}.part", b"new photo")

    placements = mirror.stage(missing, local, download)
    assert asked == [digest(b"new photo")]
    mirror.place(missing, placements, ["gone/stale.jpg"])
    assert (mirror.folder / "answers" / "renamed.jpg").read_bytes() == b"kept photo"
    assert (mirror.folder / "answers" / "new.jpg").read_bytes() == b"new photo"
    assert not (mirror.folder / "gone").exists() and not (mirror.folder / STAGING).exists()
    assert set(mirror.hashes()) == {"answers/old.jpg", "answers/renamed.jpg", "answers/new.jpg"}


def test_an_interrupted_download_keeps_only_its_part(mirror):
    write(mirror.folder / STAGING / "abc.part", b"half")
    write(mirror.folder / STAGING / "0.abc.place", b"staged")
    mirror.clean_staging(keep_partial=True)
    assert [p.name for p in (mirror.folder / STAGING).iterdir()] == ["abc.part"]
    mirror.clean_staging(keep_partial=False)
    assert not (mirror.folder / STAGING).exists()
