"""The play logs a report reads, box by box and line by line: from folders, or from the office's fleet URL.

Every source is hostile. Nothing is read whole: a log arrives as lines of at
most kiosk.core.proof.MAX_LINE_BYTES. Over HTTP (nginx's JSON autoindex of
`fleet/`, kiosk.boundary.upload), each listing and each log has a size cap,
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

import requests

from kiosk.boundary import http
from kiosk.boundary.files import open_regular_file
from kiosk.boundary.playlog import PLAY_LOG_FILE
from kiosk.core.errors import DeadlinePassed, UnsafeFile
from kiosk.core.proof import ListingProblem, parse_listing, split_lines
from kiosk.core.values import printable_name

CHUNK_BYTES = 64 * 1024
MAX_LISTING_BYTES = 4 * 1024 * 1024  # nginx lists a box's folder in about 100 bytes a file
MAX_LOG_BYTES = 64 * 1024 * 1024  # the most a box uploads (kiosk.boundary.upload.MAX_UPLOAD_BYTES)
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

    def __init__(self, base: str, session: requests.Session, deadline: http.Deadline,
                 timeout: tuple[float, float] = (10.0, 30.0), max_listing_bytes: int = MAX_LISTING_BYTES,
                 max_log_bytes: int = MAX_LOG_BYTES) -> None:
        self.base = base if base.endswith("/") else base + "/"
        self.session = session
        self.deadline = deadline
        self.timeout = timeout
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
        with self._get(url, "its listing") as (response, deadline):
            try:
                return http.read_limited(response, self.max_listing_bytes, deadline, "the listing")
            except http.BodyTooLarge as exc:
                raise BoxUnreadable(str(exc)) from None

    def _lines(self, url: str, name: str) -> Iterator[bytes | None]:
        what = printable_name(name)
        with self._get(url, what) as (response, deadline):
            yield from split_lines(self._chunks(response, deadline, what))

    def _chunks(self, response: requests.Response, deadline: http.Deadline, what: str) -> Iterator[bytes]:
        total = 0
        for chunk in response.iter_content(CHUNK_BYTES):
            deadline.check()
            total += len(chunk)
            if total > self.max_log_bytes:
                raise BoxUnreadable(f"{what}: larger than {self.max_log_bytes:,} bytes")
            yield chunk
        deadline.check()

    @contextmanager
    def _get(self, url: str, what: str) -> Iterator[tuple[requests.Response, http.Deadline]]:
        """One GET under the report's deadline, answered 200; any other answer or failure is BoxUnreadable."""
        late = f"{what}: not read by the report's deadline of {self.deadline.seconds:g} s"
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise BoxUnreadable(late)
        try:
            with http.held_to(self.session, url, remaining) as deadline:
                with self.session.get(url, timeout=self.timeout, stream=True, allow_redirects=False) as response:
                    target = http.redirect_target(response)
                    if target is not None:
                        raise BoxUnreadable(f"{what}: HTTP {response.status_code} redirected to {target}; "
                                            "the report does not follow redirects: give it the final URL")
                    if response.status_code != 200:
                        raise BoxUnreadable(f"{what}: HTTP {response.status_code}")
                    yield response, deadline
        except DeadlinePassed:
            raise BoxUnreadable(late) from None
        except (requests.RequestException, OSError) as exc:
            if self.deadline.remaining() <= 0:
                raise BoxUnreadable(late) from None
            raise BoxUnreadable(f"{what}: {type(exc).__name__}") from None
