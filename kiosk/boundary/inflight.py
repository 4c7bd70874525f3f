"""The picture being decoded, on disk, so that one that kills the kiosk is not decoded again.

If decoding one file gets the process killed (the OOM killer on a small box,
a crash inside a decoder library), systemd restarts the kiosk, which would
decode the same file again, and again. So before each decode the worker
writes the file's path and version to `decoding.json` in the runtime folder, and
empties it afterwards. The write is one small pwrite with no fsync: the page
cache outlives a killed process, and a power cut in the middle of a decode
costs nothing worse than one more try. A file found non-empty at start names
the picture in flight at an unclean exit; the show skips that version.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path

from kiosk.boundary.files import read_state_file
from kiosk.core.errors import UnsafeFile
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

IN_FLIGHT_FILE = "decoding.json"


class InFlightFile:
    """Records the picture being decoded; one open file, rewritten in place."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / IN_FLIGHT_FILE
        self._fd: int | None = None
        self._failed = False
        self._closed = False

    def _open(self) -> int | None:
        if self._fd is None and not self._failed and not self._closed:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
            except OSError as exc:
                log.warning("cannot record the picture being decoded in %s: %s", self.path, exc.strerror or exc)
                self._failed = True
        return self._fd

    def begin(self, path: str, version: tuple[int, int]) -> None:
        fd = self._open()
        if fd is None:
            return
        text = json.dumps({"path": path, "version": list(version)}, ensure_ascii=False)
        data = text.encode("utf-8", "backslashreplace")
        try:
            os.pwrite(fd, data, 0)
            os.ftruncate(fd, len(data))
        except OSError:
            pass  # a full disk costs this safety net, not the slide

    def end(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)

    def close(self) -> None:
        """A clean stop: nothing is in flight (a decode still running then is not the file's fault)."""
        self._closed = True
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        with contextlib.suppress(OSError):
            self.path.unlink()


def left_in_flight(folder: Path) -> tuple[str, tuple[int, int]] | None:
    """The picture that was being decoded when the kiosk last stopped uncleanly, if any."""
    try:
        data = loads_json(read_state_file(folder / IN_FLIGHT_FILE, 8192))
        path, version = data["path"], data["version"]
        if not isinstance(path, str) or not isinstance(version, list) or len(version) != 2:
            return None
        return path, (int(version[0]), int(version[1]))
    except (OSError, ValueError, KeyError, TypeError, UnsafeFile):
        return None
