"""The slide folder on disk: lists pictures and reads their sidecars.

This is the boundary between the filesystem and the pure catalogue. It walks
only `contribute/` and `answers/`, never descends into temporary folders, and
reads nothing but the small sidecar files, so a start with thousands of
photos costs one directory walk.

What the listing refuses, each with one problem line (logged once by the
show, printed by `kiosk check`):

* a name that is not UTF-8 (CP949 names from Korean Windows zip files): the
  file is skipped; rename it;
* a link whose target lies outside the slide folder (a sidecar linked to
  /proc/self/environ would become a public caption): ignored;
* a folder reached a second time (`ln -s . loop`, two links to one folder):
  listed once, so a link can neither loop nor show a slide twice;
* anything that is not a regular file or folder (a FIFO, a device): ignored,
  and never opened, so no read can block.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from kiosk.core.catalogue import (
    FLEET_FILE, KIND_BY_FOLDER, Catalogue, FileInfo, UnreadableSidecar, build_catalogue, is_temporary_name,
)
from kiosk.boundary.files import inside
from kiosk.core.sidecar import MAX_SIDECAR_BYTES, SIDECAR_SUFFIXES
from kiosk.core.values import is_utf8_name, printable_name
from kiosk.core.videofacts import is_video

log = logging.getLogger(__name__)

MAX_DEPTH = 16  # sub-folders below a kind folder


@dataclass
class Listing:
    """What one walk of the slide folder found."""

    files: list[FileInfo] = field(default_factory=list)
    sidecars: dict[str, str | UnreadableSidecar] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def list_folder(root: Path) -> Listing:
    """Lists the files under root's kind folders and the fleet file, and reads every sidecar."""
    listing = Listing()
    boundary = os.path.realpath(root)
    visited: set[tuple[int, int]] = set()
    for top in KIND_BY_FOLDER:
        folder = root / top
        try:
            if os.path.islink(folder) and not inside(os.path.realpath(folder), boundary):
                listing.problems.append(f"{top}: skipped: a link to outside the slide folder")
                continue
            info = os.stat(folder)
        except OSError:
            continue
        if stat.S_ISDIR(info.st_mode) and (info.st_dev, info.st_ino) not in visited:
            visited.add((info.st_dev, info.st_ino))
            _walk(folder, top, boundary, visited, listing, 0)
    fleet = root / FLEET_FILE
    try:
        info = os.stat(fleet, follow_symlinks=False)
    except OSError:
        return listing
    if stat.S_ISREG(info.st_mode):  # a link or anything else there is not the plaza's file
        listing.files.append(FileInfo(FLEET_FILE, info.st_size, info.st_mtime_ns))
    return listing


def look_at(root: Path, relative: str) -> Listing:
    """What one path under root holds now, by the listing's rules: a file, a folder's files, or
    nothing (gone, or not the kiosk's). What a change notification names is looked at this way,
    so a new photo costs one stat, not a listing of 20,000."""
    listing = Listing()
    parts = [part for part in relative.split("/") if part and part != "."]
    if not parts or ".." in parts or any(is_temporary_name(part) or not is_utf8_name(part) for part in parts):
        return listing
    full = root.joinpath(*parts)
    path = "/".join(parts)
    if parts == [FLEET_FILE]:
        try:
            info = os.stat(full, follow_symlinks=False)
        except OSError:
            return listing
        if stat.S_ISREG(info.st_mode):
            listing.files.append(FileInfo(FLEET_FILE, info.st_size, info.st_mtime_ns))
        return listing
    if parts[0] not in KIND_BY_FOLDER or len(parts) > MAX_DEPTH + 2:
        return listing
    boundary = os.path.realpath(root)
    try:
        if not inside(os.path.realpath(full), boundary):
            return listing
        info = os.stat(full)
    except OSError:
        return listing
    if stat.S_ISDIR(info.st_mode):
        if len(parts) <= MAX_DEPTH + 1:
            _walk(full, path, boundary, {(info.st_dev, info.st_ino)}, listing, len(parts) - 1)
    elif stat.S_ISREG(info.st_mode) and len(parts) >= 2:
        if parts[-1].lower().endswith(SIDECAR_SUFFIXES):
            listing.sidecars[path] = _read_sidecar(full)
        listing.files.append(_file_info(root, path, info))
    return listing


def _walk(folder: Path, relative: str, boundary: str, visited: set[tuple[int, int]], listing: Listing,
          depth: int) -> None:
    try:
        entries = os.scandir(folder)  # one entry at a time: 20,000 of them at once took 5 MB
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("cannot list %s: %s", printable_name(relative), exc.strerror or exc)
        return
    with entries:
        _take_entries(entries, relative, boundary, visited, listing, depth)


def _take_entries(entries: Iterable[os.DirEntry[str]], relative: str, boundary: str,
                  visited: set[tuple[int, int]], listing: Listing, depth: int) -> None:
    for entry in entries:
        if is_temporary_name(entry.name):
            continue
        path = f"{relative}/{entry.name}"
        if not is_utf8_name(entry.name):
            listing.problems.append(
                f"{printable_name(path)}: skipped: the name is not UTF-8 (zip files from Korean Windows use CP949); "
                "rename it"
            )
            continue
        try:
            if entry.is_symlink() and not inside(os.path.realpath(entry.path), boundary):
                listing.problems.append(f"{path}: ignored: a link to outside the slide folder")
                continue
            info = entry.stat(follow_symlinks=True)
        except OSError:
            continue  # vanished between listing and stat, or a broken link: the next scan settles it
        if stat.S_ISDIR(info.st_mode):
            identity = (info.st_dev, info.st_ino)
            if identity in visited:
                listing.problems.append(f"{path}: ignored: a link to a folder that is already listed")
            elif depth >= MAX_DEPTH:
                listing.problems.append(f"{path}: ignored: folders nested more than {MAX_DEPTH} deep")
            else:
                visited.add(identity)
                _walk(Path(entry.path), path, boundary, visited, listing, depth + 1)
            continue
        if not stat.S_ISREG(info.st_mode):
            continue  # a FIFO, socket or device is never a slide and never opened
        if entry.name.lower().endswith(SIDECAR_SUFFIXES):
            listing.sidecars[path] = _read_sidecar(Path(entry.path))
        listing.files.append(_file_info(Path(entry.path[: len(entry.path) - len(path)]), path, info))


def _file_info(root: Path, path: str, info: os.stat_result) -> FileInfo:
    """The file as the catalogue takes it; a video with how long one play lasts, or why that is unknown."""
    if not is_video(path) or info.st_size == 0:
        return FileInfo(path, info.st_size, info.st_mtime_ns)
    return FileInfo(path, info.st_size, info.st_mtime_ns, video_length(root, path, info.st_size, info.st_mtime_ns))


_LENGTHS: dict[tuple[str, str, int, int], float | str] = {}
MAX_LENGTHS = 10_000  # versions of videos remembered; beyond, the oldest are read again when seen


def video_length(root: Path, path: str, size: int, mtime_ns: int) -> float | str:
    """One play's seconds by the video's header, read once per version of the file; or what is wrong.

    A reason that is the file's (no video stream, a header over the limits)
    is remembered with it; a passing one (gone, an I/O error) is read again
    at the next listing.
    """
    key = (str(root), path, size, mtime_ns)
    known = _LENGTHS.get(key)
    if known is not None:
        return known
    from kiosk.core.errors import ContentError, PassingError
    from kiosk.picture.video import video_seconds  # FFmpeg is loaded only where there are videos

    try:
        length: float | str = video_seconds(root / path, root=root)
    except PassingError as exc:
        return str(exc).removeprefix(f"{path}: ")
    except ContentError as exc:
        length = str(exc).removeprefix(f"{path}: ")
    if len(_LENGTHS) >= MAX_LENGTHS:
        del _LENGTHS[next(iter(_LENGTHS))]
    _LENGTHS[key] = length
    return length


def _read_sidecar(path: Path) -> str | UnreadableSidecar:
    try:
        # Non-blocking: a file swapped for a FIFO since the listing must not hang the watcher.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        return UnreadableSidecar(exc.strerror or str(exc))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return UnreadableSidecar("not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read(MAX_SIDECAR_BYTES + 1)
    except OSError as exc:
        return UnreadableSidecar(exc.strerror or str(exc))
    finally:
        os.close(fd)
    if len(data) > MAX_SIDECAR_BYTES:
        return UnreadableSidecar(f"larger than {MAX_SIDECAR_BYTES} bytes")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return UnreadableSidecar("not UTF-8 text")


def scan(root: Path) -> Catalogue:
    """Builds the catalogue of the slide folder as it is now."""
    listing = list_folder(root)
    return build_catalogue(listing.files, listing.sidecars, listing.problems)
