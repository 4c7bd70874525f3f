"""The slide folder on disk: lists pictures and reads their sidecars.

This is the boundary between the filesystem and the pure catalogue. It walks
only `contribute/` and `answers/`, never descends into temporary folders, and
reads nothing but the small sidecar files, so a start with thousands of
photos costs one directory walk.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from kiosk.catalogue import (
    KIND_BY_FOLDER,
    UNREADABLE,
    Catalogue,
    FileInfo,
    build_catalogue,
    is_temporary_name,
)
from kiosk.sidecar import MAX_SIDECAR_BYTES, SIDECAR_SUFFIXES

log = logging.getLogger(__name__)


def list_folder(root: Path) -> tuple[list[FileInfo], dict[str, str]]:
    """Lists the files under root's kind folders and reads every sidecar."""
    files: list[FileInfo] = []
    sidecars: dict[str, str] = {}
    for top in KIND_BY_FOLDER:
        _walk(root / top, top, files, sidecars)
    return files, sidecars


def _walk(folder: Path, relative: str, files: list[FileInfo], sidecars: dict[str, str]) -> None:
    try:
        entries = list(os.scandir(folder))
    except FileNotFoundError:
        return
    except OSError as exc:
        log.warning("cannot list %s: %s", relative, exc)
        return
    for entry in entries:
        if is_temporary_name(entry.name):
            continue
        path = f"{relative}/{entry.name}"
        try:
            if entry.is_dir(follow_symlinks=True):
                _walk(Path(entry.path), path, files, sidecars)
                continue
            if not entry.is_file(follow_symlinks=True):
                continue
            stat = entry.stat(follow_symlinks=True)
        except OSError:
            continue  # vanished between listing and stat: the next scan settles it
        if entry.name.lower().endswith(SIDECAR_SUFFIXES):
            sidecars[path] = _read_sidecar(Path(entry.path), stat.st_size)
        files.append(FileInfo(path, stat.st_size, stat.st_mtime_ns))


def _read_sidecar(path: Path, size: int) -> str:
    if size > MAX_SIDECAR_BYTES:
        return f"{UNREADABLE}larger than {MAX_SIDECAR_BYTES} bytes"
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        return f"{UNREADABLE}not UTF-8 text"
    except OSError as exc:
        return f"{UNREADABLE}{exc.strerror or exc}"


def scan(root: Path) -> Catalogue:
    """Builds the catalogue of the slide folder as it is now."""
    files, sidecars = list_folder(root)
    return build_catalogue(files, sidecars)
