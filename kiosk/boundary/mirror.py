"""The slide folder as the sync keeps it: what it holds, what is staged, and the move into place.

Every object is staged in `.kiosk-sync/` inside the slide folder (which the
kiosk never shows); only when all are staged are they renamed into place,
then the files that left the manifest are removed: additions before
removals, so the screen never runs empty. The sha256 of each file is kept
in `<state.dir>/sync-index.json` by size and mtime, so an unchanged file is
never hashed twice. Nothing here touches the network: `stage()` is given
the function that downloads.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path
from typing import Callable

from kiosk.boundary.files import fsync_file, fsync_folder, read_json_object, sha256_cached, write_atomically
from kiosk.boundary.folder import list_folder
from kiosk.core.errors import SyncFailed
from kiosk.core.manifest import ManifestFile, is_publishable

STAGING = ".kiosk-sync"
INDEX_FILE = "sync-index.json"

Download = Callable[[str, int, Path], Path]  # (sha256, size, staging folder) -> the verified file


def free_bytes(folder: Path) -> int:
    """Bytes an unprivileged writer may still use on the folder's filesystem."""
    usage = os.statvfs(folder if folder.exists() else folder.parent)
    return usage.f_bavail * usage.f_frsize


class Mirror:
    """One slide folder brought in line with a manifest, and the index of its files' sha256."""

    def __init__(self, folder: Path, state_dir: Path) -> None:
        self.folder = folder
        self.state_dir = state_dir
        self._index: dict[str, list] = {}
        self._index_on_disk: dict = {}

    def hashes(self) -> dict[str, str]:
        """sha256 of every publishable file in the folder, re-hashing only changed files.

        Files reached through a link to a folder are not the mirror's: never
        counted, so never removed.
        """
        index = read_json_object(self.state_dir / INDEX_FILE)
        self._index_on_disk = index
        self._index = {}
        hashes: dict[str, str] = {}
        for info in list_folder(self.folder).files:
            if not is_publishable(info.path) or _through_link(self.folder, info.path):
                continue
            try:
                digest = sha256_cached(index, info.path, self.folder / info.path, info.size, info.mtime_ns)
            except OSError:
                continue
            hashes[info.path] = digest
            self._index[info.path] = [info.size, info.mtime_ns, digest]
        return hashes

    def keep_index(self) -> None:
        """Writes the index `hashes()` made, only if it changed (an fsynced write a minute wears an SD card)."""
        if self._index != self._index_on_disk:
            write_atomically(self.state_dir / INDEX_FILE, json.dumps(self._index))

    def check_target(self, path: str) -> None:
        """Refuses, before anything changes, a path the sync could only write through a link."""
        current = self.folder
        for part in path.split("/")[:-1]:
            current = current / part
            try:
                info = os.lstat(current)
            except FileNotFoundError:
                return
            if stat.S_ISLNK(info.st_mode):
                raise SyncFailed(
                    f"local folder: {current.relative_to(self.folder)} is a link; the sync never writes through "
                    "links (remove it); nothing changed", retry=False,
                )
            if not stat.S_ISDIR(info.st_mode):
                raise SyncFailed(f"local folder: {current.relative_to(self.folder)} is a file where the manifest "
                                 "has a folder; nothing changed", retry=False)
        try:
            info = os.lstat(self.folder / path)
        except FileNotFoundError:
            return
        if stat.S_ISDIR(info.st_mode):
            raise SyncFailed(f"local folder: {path} is a folder where the manifest has a file; nothing changed",
                             retry=False)

    def stage(self, missing: list[ManifestFile], local: dict[str, str], download: Download) -> dict[str, Path]:
        """A verified, fsynced file in the staging folder for every path to add or change.

        Objects the box already holds under another name are copied, not
        downloaded: a rename or a duplicate on the server costs nothing.
        """
        staging = self.folder / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        held = {digest: path for path, digest in local.items()}
        downloaded: dict[str, Path] = {}
        for item in missing:
            if item.sha256 not in held and item.sha256 not in downloaded:
                downloaded[item.sha256] = download(item.sha256, item.size, staging)
        placements: dict[str, Path] = {}
        used: set[str] = set()
        for number, item in enumerate(missing):
            staged = staging / f"{number}.{item.sha256}.place"
            if item.sha256 in downloaded and item.sha256 not in used and \
                    sum(1 for other in missing if other.sha256 == item.sha256) == 1:
                os.replace(downloaded[item.sha256], staged)  # used once: moved, not copied (no double disk use)
                used.add(item.sha256)
            else:
                source = self.folder / held[item.sha256] if item.sha256 in held else downloaded[item.sha256]
                shutil.copyfile(source, staged)
                fsync_file(staged)
            placements[item.path] = staged
        return placements

    def place(self, missing: list[ManifestFile], placements: dict[str, Path], stale: list[str]) -> None:
        """Renames the staged files into place, then removes the stale ones, then keeps the index."""
        for item in missing:  # additions first: the screen never runs empty
            target = self.folder / item.path
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(placements[item.path], target)
            fsync_folder(target.parent)
        for path in stale:
            (self.folder / path).unlink(missing_ok=True)  # a link itself, never its target
            _remove_empty_parents(self.folder / path, self.folder)
        self.clean_staging(keep_partial=False)
        self._save_index({item.path: item.sha256 for item in missing})

    def clean_staging(self, keep_partial: bool) -> None:
        """Removes the staging folder after a sync; an interrupted download's part stays to resume."""
        staging = self.folder / STAGING
        if not keep_partial:
            shutil.rmtree(staging, ignore_errors=True)
            return
        try:
            entries = list(staging.iterdir())
        except OSError:
            return
        for entry in entries:
            if not entry.name.endswith(".part"):
                entry.unlink(missing_ok=True)

    def _save_index(self, placed: dict[str, str]) -> None:
        index = {}
        for info in list_folder(self.folder).files:
            if not is_publishable(info.path):
                continue
            cached = self._index.get(info.path)
            if cached and cached[:2] == [info.size, info.mtime_ns]:
                index[info.path] = cached
        for path, digest in placed.items():
            found = (self.folder / path).stat()
            index[path] = [found.st_size, found.st_mtime_ns, digest]
        write_atomically(self.state_dir / INDEX_FILE, json.dumps(index))


def _through_link(root: Path, path: str) -> bool:
    """True if a folder on the way from `root` to `path` is a link."""
    current = root
    for part in path.split("/")[:-1]:
        current = current / part
        if current.is_symlink():
            return True
    return False


def _remove_empty_parents(path: Path, root: Path) -> None:
    parent = path.parent
    while parent != root and root in parent.parents:
        try:
            parent.rmdir()
        except OSError:
            return
        parent = parent.parent
