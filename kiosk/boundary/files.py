"""Small file operations every boundary module needs: atomic replace, fsync, hashing, JSON state."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from pathlib import Path
from typing import BinaryIO

from kiosk.core.errors import UnsafeFile
from kiosk.core.values import loads_json

CHUNK = 64 * 1024


def write_atomically(path: Path, text: str, mode: int = 0o644) -> None:
    """Replaces `path` with `text` so that readers see the old or the new file, whole.

    Temporary file in the same folder, fsync, rename, fsync of the folder: a
    power cut at any moment leaves the previous file intact. The file is
    readable by others (`mode`), as node_exporter, running as its own user,
    must read kiosk.prom.
    """
    # A stray name that is not UTF-8 is written escaped, never fails the whole file.
    replace_file(path, text.encode("utf-8", errors="backslashreplace"), mode)


def replace_file(path: Path, data: bytes, mode: int = 0o644, durable: bool = True) -> None:
    """Replaces `path` with `data`, whole, by a rename; `durable=False` skips the fsyncs (screen.jpg:
    readers still never see half a file, but a power cut may leave the previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
    if durable:
        fsync_folder(path.parent)


def inside(path: str, folder: str) -> bool:
    """True if the resolved `path` is `folder` or lies below it (both already realpath'd)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def open_regular_file(path: Path, root: Path | None = None, follow_links: bool = True) -> BinaryIO:
    """Opens a regular file for reading without ever blocking.

    Raises UnsafeFile for what is not a regular file inside `root`, OSError
    when the file cannot be opened (ELOOP for a link, with `follow_links=False`).

    A FIFO or device (perhaps a link target swapped since the listing) is
    refused before a single read, and with `root` so is a file whose real
    location lies outside `root`.
    """
    if root is not None and not inside(os.path.realpath(path), os.path.realpath(root)):
        raise UnsafeFile("a link to outside the slide folder")
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | (0 if follow_links else os.O_NOFOLLOW))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeFile("not a regular file (a FIFO, socket or device)")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def fsync_file(path: Path) -> None:
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_folder(path: Path) -> None:
    """Makes renames in a folder durable; a filesystem that cannot is left alone."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


MAX_STATE_FILE_BYTES = 64 * 1024 * 1024  # a state file far larger than the kiosk ever writes is not its own


def read_state_file(path: Path, limit: int = MAX_STATE_FILE_BYTES) -> bytes:
    """A state file's bytes, through `open_regular_file`, at most `limit` of them.

    Raises FileNotFoundError if it is missing, UnsafeFile if it is not a
    regular file (a link to /dev/zero, a FIFO), ValueError if it is larger
    than `limit`, OSError if it cannot be read.
    """
    with open_regular_file(path) as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than {limit:,} bytes")
    return data


def read_json_object(path: Path, limit: int = MAX_STATE_FILE_BYTES) -> dict:
    """A JSON object from a state file (read through `read_state_file`); an empty dict if it is
    missing, unreadable, not a regular file, too large or not an object."""
    try:
        data = loads_json(read_state_file(path, limit))
    except (OSError, ValueError, UnsafeFile):
        return {}
    return data if isinstance(data, dict) else {}


def sha256_cached(index: dict, key: str, path: Path, size: int, mtime_ns: int) -> str:
    """The file's sha256 from an index of key -> [size, mtime_ns, sha256] if it still
    matches, else freshly computed: unchanged files are never hashed twice."""
    cached = index.get(key)
    if isinstance(cached, list) and len(cached) == 3 and cached[:2] == [size, mtime_ns]:
        return str(cached[2])
    return sha256_of(path)
