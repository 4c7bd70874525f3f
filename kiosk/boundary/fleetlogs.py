"""The play logs a report reads, box by box and line by line: from folders, or from the office's fleet URL.

Every source is hostile. Nothing is read whole: a log arrives as lines of at
most kiosk.core.proof.MAX_LINE_BYTES. Over HTTP (nginx's JSON autoindex of
`fleet/`, kiosk.boundary.upload), through the one HTTP seam
(kiosk.boundary.http.Client), each listing and each log has a size cap,
every request ends by one total deadline, a redirect is never followed, and
any answer but 200 is an error. What goes wrong with one box raises
BoxUnreadable, which the report names and skips; only the fleet's own
listing failing (FleetUnreadable) stops the report.
"""

from __future__ import annotations

import datetime as dt
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import quote

from kiosk.boundary import http
from kiosk.boundary.files import open_regular_file
from kiosk.boundary.playlog import PLAY_LOG_FILE
from kiosk.core.errors import UnsafeFile
from kiosk.core.proof import ListingProblem, parse_listing, split_lines
from kiosk.core.values import printable_name

CHUNK_BYTES = 64 * 1024
MAX_LISTING_BYTES = 4 * 1024 * 1024  # nginx lists a box's folder in about 100 bytes a file
MAX_LOG_BYTES = 64 * 1024 * 1024  # the most a box uploads (kiosk.boundary.upload.MAX_UPLOAD_BYTES)
WAITS = (10.0, 30.0)  # the report's longest wait to connect, and for each byte (the report has no config)
_LOG_NAME = re.compile(r"play-([0-9]{4}-[0-9]{2}-[0-9]{2})(?:\.([0-9]{1,9}))?\.jsonl")  # fullmatch: no newline after

Lines = Iterable[bytes | None]


class BoxUnreadable(Exception):
    """One box's logs could not be read (the message says why): the report names the box and goes on."""


class FleetUnreadable(Exception):
    """The list of boxes itself could not be read: there is no report to make."""


def log_order(names: Iterable[str], since: dt.date | None = None) -> list[str]:
    """The play-log names among `names`, in the order they were written (rotated by day and number, then
    play.jsonl), without those of days before `since` (a rotated log holds one day's lines)."""
    rotated = []
    current = []
    for name in names:
        match = _LOG_NAME.fullmatch(name)
        if match:
            try:
                day = dt.date.fromisoformat(match.group(1))
            except ValueError:
                continue
            if since is None or day >= since:
                rotated.append((day, int(match.group(2) or 0), name))
        elif name == PLAY_LOG_FILE:
            current.append(name)
    return [name for _day, _number, name in sorted(rotated)] + current


# --- folders --------------------------------------------------------------------------------

def folder_boxes(folders: Iterable[Path]) -> list[tuple[str, Path]]:
    """(box name, folder) for each folder given: a box's own (it holds play logs), or one holding boxes' folders."""
    boxes = []
    for folder in folders:
        if _holds_logs(folder):
            boxes.append((printable_name(folder.resolve().name), folder))
        elif folder.is_dir():
            try:
                subs = sorted(folder.iterdir())
            except OSError:
                continue
            boxes += [(printable_name(sub.name), sub) for sub in subs if sub.is_dir() and _holds_logs(sub)]
    return boxes


def _holds_logs(folder: Path) -> bool:
    try:
        return folder.is_dir() and bool(log_order(p.name for p in folder.iterdir()))
    except OSError:
        return False


def folder_logs(folder: Path, since: dt.date | None = None) -> Iterator[Lines]:
    """The lines of each play log in a box's folder, oldest first; BoxUnreadable when one cannot be read."""
    try:
        names = [p.name for p in folder.iterdir()]
    except FileNotFoundError:
        return  # a box that has shown nothing yet
    except OSError as exc:
        raise BoxUnreadable(f"cannot list {printable_name(str(folder))}: {exc.strerror or exc}") from None
    for name in log_order(names, since):
        yield _file_lines(folder / name)


def _file_lines(path: Path) -> Iterator[bytes | None]:
    try:
        handle = open_regular_file(path)
    except FileNotFoundError:
        return
    except (OSError, UnsafeFile) as exc:
        raise BoxUnreadable(f"{printable_name(path.name)}: {getattr(exc, 'strerror', None) or exc}") from None
    with handle:
        try:
            yield from split_lines(iter(lambda: handle.read(CHUNK_BYTES), b""))
        except OSError as exc:
            raise BoxUnreadable(f"{printable_name(path.name)}: {exc.strerror or exc}") from None


# --- the fleet URL --------------------------------------------------------------------------

class FleetReader:
    """Reads `<base>/`, `<base>/<box>/` and each box's play logs, all under one total deadline."""

    def __init__(self, base: str, client: http.Client, deadline: http.Deadline,
                 max_listing_bytes: int = MAX_LISTING_BYTES, max_log_bytes: int = MAX_LOG_BYTES) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.client = client
        self.deadline = deadline
        self.max_listing_bytes = max_listing_bytes
        self.max_log_bytes = max_log_bytes

    def boxes(self) -> list[str]:
        """The boxes' folder names; FleetUnreadable when the listing cannot be read."""
        try:
            folders, _files = parse_listing(self._listing(self.base))
        except (BoxUnreadable, ListingProblem) as exc:
            raise FleetUnreadable(f"{printable_name(self.base)}: {exc}") from None
        return folders

    def logs(self, box: str, since: dt.date | None = None) -> Iterator[Lines]:
        """The lines of each play log of one box, oldest first; BoxUnreadable when any cannot be read."""
        folder = f"{self.base}{quote(box, safe='')}/"
        try:
            _folders, files = parse_listing(self._listing(folder))
        except ListingProblem as exc:
            raise BoxUnreadable(f"its listing: {exc}") from None
        for name in log_order(files, since):
            yield self._lines(folder + quote(name), name)

    def _listing(self, url: str) -> bytes:
        with self._get(url, "its listing") as reply:
            return reply.read(self.max_listing_bytes)

    def _lines(self, url: str, name: str) -> Iterator[bytes | None]:
        with self._get(url, printable_name(name)) as reply:
            yield from split_lines(reply.chunks(self.max_log_bytes))

    @contextmanager
    def _get(self, url: str, what: str) -> Iterator[http.Reply]:
        """One GET under the report's deadline, answered 200; any other answer, or a failure while it or
        its body is read, is BoxUnreadable."""
        try:
            with self.client.open("GET", url, self.deadline) as reply:
                if reply.redirect is not None:
                    raise BoxUnreadable(f"{what}: HTTP {reply.status} redirected to {reply.redirect}; "
                                        "the report does not follow redirects: give it the final URL")
                if reply.status != 200:
                    raise BoxUnreadable(f"{what}: HTTP {reply.status}")
                yield reply
        except http.Failure as failure:
            if failure.kind == http.DEADLINE:
                raise BoxUnreadable(
                    f"{what}: not read by the report's deadline of {self.deadline.seconds:g} s") from None
            if failure.kind == http.TOO_LARGE:
                raise BoxUnreadable(f"{what}: {failure}") from None
            raise BoxUnreadable(f"{what}: {failure.name}") from None
