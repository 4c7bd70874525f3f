"""The play log: one JSON line per slide shown, in `<state.dir>/play.jsonl`.

It rotates at the first slide of a new day and whenever it grows past
`state.play_log_max_megabytes`: the old file becomes
`play-YYYY-MM-DD.jsonl` (`.1`, `.2`, ... for more than one a day), and only
the newest `state.play_log_keep` rotated files are kept, so a box running for
weeks never fills its disk.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import logging
import os
import re
import stat
from pathlib import Path

from kiosk.boundary.files import open_regular_file
from kiosk.core.trouble import Trouble
from kiosk.core.errors import UnsafeFile
from kiosk.core.sections import default
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

PLAY_LOG_FILE = "play.jsonl"
MAX_LINE_BYTES = 64 * 1024  # a record is about 150 bytes
# Without a config (a tool, a test): the config's own defaults.
MAX_BYTES = default("state.play_log_max_megabytes") * 1024 * 1024
KEEP = default("state.play_log_keep")
_ROTATED = re.compile(r"^play-(\d{4}-\d{2}-\d{2})(?:\.(\d+))?\.jsonl$")


class PlayLog:
    """Appends play records; a full or read-only disk costs the record, not the show."""

    def __init__(self, folder: Path, max_bytes: int = MAX_BYTES, keep: int = KEEP) -> None:
        self.folder = folder
        self.path = folder / PLAY_LOG_FILE
        self.max_bytes = max_bytes
        self.keep = keep
        self.trouble = Trouble(log)
        self._day: dt.date | None = _day_of_last_record(self.path)
        self._torn = _ends_torn(self.path)  # a line cut short by a kill or a power cut: the next starts anew
        self._held: list[dict] = []
        if os.path.lexists(self.path) and not _is_regular(self.path):
            # A link to /dev/zero, a FIFO: never read, never written; said now, in status.json too.
            self.trouble.failed(f"cannot write the play log {self.path}: not a regular file "
                                "(a link to a device, a FIFO)")

    def append(self, record: dict) -> None:
        """Writes one record now (and any held before it)."""
        self.hold(record)
        self.flush()

    def hold(self, record: dict) -> None:
        """Keeps a record to be written with the next ones at `flush()`: lines written a few at a
        time cost the SD card a page per batch, not a page per slide (kiosk.core.journal)."""
        self._held.append(record)

    @property
    def held(self) -> int:
        return len(self._held)

    def flush(self) -> None:
        """Writes the records held so far; a full or read-only disk costs them, said once."""
        if not self._held:
            return
        held, self._held = self._held, []
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            text: list[str] = []
            size = self._size()
            for record in held:
                line = json.dumps(record, ensure_ascii=False) + "\n"
                day = _record_day(record)
                if self._day is not None and (day != self._day or size + len(line) > self.max_bytes):
                    self._write(text)
                    text = []
                    self._rotate(self._day)
                    size = 0
                text.append("\n" + line if self._torn and not text else line)
                self._torn = False
                size += len(line)
                self._day = day
            self._write(text)
            self.trouble.worked(f"the play log {self.path} is written again")
        except OSError as exc:
            self.trouble.failed(f"cannot write the play log {self.path}: {exc.strerror or exc}")

    def _write(self, lines: list[str]) -> None:
        if lines:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NONBLOCK | os.O_CLOEXEC, 0o644)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(errno.EINVAL, "not a regular file (a link to a device, a FIFO)")
                data = "".join(lines).encode("utf-8", errors="backslashreplace")
                while data:
                    data = data[os.write(fd, data):]
            finally:
                os.close(fd)

    @property
    def problem(self) -> str | None:
        """Why the last append failed, until one works."""
        return self.trouble.problem

    def _size(self) -> int:
        try:
            return self.path.stat().st_size
        except FileNotFoundError:
            return 0

    def _rotate(self, day: dt.date | None) -> None:
        if not self.path.exists():
            return
        stem = f"play-{(day or dt.date.today()).isoformat()}"
        target = self.folder / f"{stem}.jsonl"
        number = 1
        while target.exists():
            target = self.folder / f"{stem}.{number}.jsonl"
            number += 1
        os.replace(self.path, target)
        self._torn = False
        for old in rotated_logs(self.folder)[: -self.keep or None] if self.keep > 0 else []:
            old.unlink(missing_ok=True)


def is_play_log_name(name: str) -> bool:
    """play.jsonl or a rotated play-YYYY-MM-DD[.N].jsonl."""
    return name == PLAY_LOG_FILE or _ROTATED.match(name) is not None


def rotated_logs(folder: Path) -> list[Path]:
    """Rotated play logs, oldest first."""
    found = []
    for path in folder.glob("play-*.jsonl"):
        match = _ROTATED.match(path.name)
        if match:
            found.append((match.group(1), int(match.group(2) or 0), path))
    return [path for _day, _number, path in sorted(found)]


def _record_day(record: dict) -> dt.date | None:
    try:
        return dt.datetime.fromisoformat(record["time"]).date()
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return False


def _ends_torn(path: Path) -> bool:
    """True if the file's last line has no end: what a write cut short leaves."""
    try:
        with open_regular_file(path) as handle:
            if handle.seek(0, os.SEEK_END) == 0:
                return False
            handle.seek(-1, os.SEEK_END)
            return handle.read(1) != b"\n"
    except (OSError, UnsafeFile):
        return False


def _day_of_last_record(path: Path) -> dt.date | None:
    try:
        with open_regular_file(path) as handle:
            handle.seek(max(0, handle.seek(0, os.SEEK_END) - 4096))
            lines = handle.read(4096).decode("utf-8", errors="replace").splitlines()
    except (OSError, UnsafeFile):
        return None
    for line in reversed(lines):
        try:
            return _record_day(loads_json(line))
        except (ValueError, AttributeError):
            continue
    return None


def read_play_log(folder: Path, rotated: bool = True) -> list[dict]:
    """Every readable record of the play log (rotated files first)."""
    return load_play_logs(folder, rotated)[0]


def load_play_logs(folder: Path, rotated: bool = True) -> tuple[list[dict], int]:
    """Every readable record of the play log, and how many lines were skipped.

    A line that is torn, not UTF-8, not JSON, nested too deeply or not an
    object is skipped and counted, never fatal.
    """
    paths = (rotated_logs(folder) if rotated else []) + [folder / PLAY_LOG_FILE]
    records: list[dict] = []
    skipped = 0
    for path in paths:
        try:
            handle = open_regular_file(path)
        except FileNotFoundError:
            continue
        except UnsafeFile as exc:
            log.warning("not reading the play log %s: %s", path, exc)
            continue
        except OSError as exc:
            log.warning("cannot read the play log %s: %s", path, exc.strerror or exc)
            continue
        with handle:
            while raw := handle.readline(MAX_LINE_BYTES + 1):
                if len(raw) > MAX_LINE_BYTES:
                    skipped += 1
                    while raw and not raw.endswith(b"\n"):  # the rest of an endless line, a piece at a time
                        raw = handle.readline(MAX_LINE_BYTES + 1)
                    continue
                if not raw.strip():
                    continue
                try:
                    record = loads_json(raw)
                except ValueError:
                    skipped += 1
                    continue
                if isinstance(record, dict):
                    records.append(record)
                else:
                    skipped += 1
    return records, skipped


def last_records(folder: Path, count: int) -> list[object]:
    """The last `count` readable records of the play log, newest first (the newest rotated file if
    play.jsonl is missing or empty). Torn lines are skipped; only the file's end is read."""
    candidates = [folder / PLAY_LOG_FILE] + list(reversed(rotated_logs(folder)))[:1]
    for path in candidates:
        try:
            with open_regular_file(path) as handle:
                size = handle.seek(0, os.SEEK_END)
                handle.seek(max(0, size - count * 4096))
                lines = handle.read(count * 4096).splitlines()
        except (OSError, UnsafeFile):
            continue
        records: list[object] = []
        for raw in reversed(lines):
            if len(records) >= count:
                break
            try:
                records.append(loads_json(raw))
            except ValueError:
                continue
        if records:
            return records
    return []
