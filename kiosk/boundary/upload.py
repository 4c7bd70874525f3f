"""Reports without a server of our own: the box PUTs its status, screenshot and play logs to a WebDAV folder.

With `heartbeat.url` ending in `/` (say `https://kiosk.example.org/fleet/`),
every `heartbeat.interval_seconds` the box PUTs into `<url><box name>/`:

    status.json   its status, as written in its state folder
    screen.jpg    what its panel shows (kiosk.boundary.screenshot)
    play-YYYY-MM-DD.jsonl   each play log once it has been rotated, once

A file counts as arrived only when the server answers the PUT with 2xx and
a HEAD then shows the length sent; a redirect is a failure, never followed
(requests would repeat the PUT with an empty body and the token elsewhere).

nginx's WebDAV module receives them (docs/install.md shows a configuration
in which each box may write only its own folder). Every request goes
through the one HTTP seam (kiosk.boundary.http.Client), with the same token
and TLS rules as sync. Uploads are best effort, on their own thread: they
never delay the screen. While the server is down nothing queues but the
files already on disk: the next round sends the latest status and
screenshot, and the logs not yet sent (which ones were sent is kept in
`<state.dir>/uploaded.json`), so disk use stays bounded by the play log's
own limits.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Callable
from urllib.parse import quote

from kiosk.boundary import http
from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.files import read_json_object, read_state_file, write_atomically
from kiosk.boundary.playlog import rotated_logs
from kiosk.boundary.screenshot import SCREENSHOT_FILE
from kiosk.core.errors import UnsafeFile
from kiosk.core.trouble import Trouble
from kiosk.core.values import printable_name

log = logging.getLogger(__name__)

UPLOADED_FILE = "uploaded.json"
STATUS_FILE = "status.json"
MAX_UPLOAD_BYTES = 64 * 1024 * 1024


def is_folder_url(url: str) -> bool:
    """A URL ending in / is a folder the box PUTs into; any other is POSTed the status (the heartbeat)."""
    return url.endswith("/")


class Uploader(BackgroundThread):
    """PUTs status.json, screen.jpg and the rotated play logs into the box's own folder on the server."""

    thread_name = "uploader"

    def __init__(
        self,
        url: str,
        box: str,
        state_dir: Path,
        client: http.Client,
        interval_seconds: float,
        min_bytes_per_second: int,
        clock: Callable[[], float] = time.monotonic,
        runtime_dir: Path | None = None,
    ) -> None:
        """`min_bytes_per_second`: a file's PUT and HEAD may take both of the client's waits and its
        length at this speed, no more."""
        super().__init__()
        self.folder_url = f"{url}{quote(box, safe='')}/"
        self.state_dir = state_dir
        self.runtime_dir = runtime_dir or state_dir  # status.json and screen.jpg
        self.client = client
        self.interval_seconds = interval_seconds
        self.min_bytes_per_second = min_bytes_per_second
        self.clock = clock
        self.trouble = Trouble(log)
        self._first = True

    @property
    def upload_problem(self) -> str | None:
        """Why the last round did not arrive, until one does."""
        return self.trouble.problem

    def _seconds_to_next_round(self) -> float:
        if self._first:
            self._first = False
            return 0.0
        return self.interval_seconds

    def poll_once(self) -> None:
        """One round: the status and the screenshot, then each rotated play log not yet sent."""
        problems = []
        for name in (STATUS_FILE, SCREENSHOT_FILE):
            problem = self._put(self.runtime_dir / name, name)
            if problem:
                problems.append(problem)
        sent = read_json_object(self.state_dir / UPLOADED_FILE)
        for path in rotated_logs(self.state_dir):
            try:
                stat = path.stat()
            except OSError:
                continue
            stamp = [stat.st_size, stat.st_mtime_ns]
            if sent.get(path.name) == stamp:
                continue
            problem = self._put(path, path.name)
            if problem:
                problems.append(problem)
                break  # the server is in trouble: the rest waits for the next round
            sent[path.name] = stamp
            write_atomically(self.state_dir / UPLOADED_FILE, json.dumps(sent))
        present = {path.name for path in rotated_logs(self.state_dir)}
        if set(sent) - present:  # logs deleted by rotation: forget them, so the file stays small
            write_atomically(self.state_dir / UPLOADED_FILE,
                             json.dumps({k: v for k, v in sent.items() if k in present}))
        self._say(problems[0] if problems else None)

    def _put(self, path: Path, name: str) -> str | None:
        """PUTs one file; a one-line reason when it did not arrive."""
        try:
            data = read_state_file(path, MAX_UPLOAD_BYTES)
        except FileNotFoundError:
            return None  # nothing to send yet (no screenshot before the first slide)
        except UnsafeFile as exc:
            return f"{name}: {exc}; not sent"
        except ValueError:
            return f"{name}: larger than {MAX_UPLOAD_BYTES:,} bytes; not sent"
        except OSError as exc:
            return f"{name}: cannot be read ({exc.strerror or exc})"
        url = self.folder_url + quote(name)
        return self._put_and_confirm(url, data)

    def _put_and_confirm(self, url: str, data: bytes) -> str | None:
        """PUT, then HEAD, within one deadline: the file arrived only if the server took it (2xx) and now
        holds its length.

        Stock nginx WebDAV answers a PUT with 201 or 204 and no checksum, so
        the length it then serves is the confirmation. A redirect is never
        followed (requests would repeat the PUT with an empty body).
        """
        deadline = self.client.deadline(sum(self.client.waits) + len(data) / self.min_bytes_per_second)
        problem = _refusal("PUT", url, self.client.answer("PUT", url, deadline, data=data))
        if problem:
            return problem
        # identity: a server that compresses what it serves (gzip_types) answers a compressed HEAD with no length
        head = self.client.answer("HEAD", url, deadline, {"Accept-Encoding": "identity"})
        problem = _refusal("HEAD", url, head)
        if problem or isinstance(head, http.Failure):
            return problem
        held = head.headers.get("Content-Length", "")
        if held != str(len(data)):
            shown = f"{printable_name(held[:20])} bytes" if held else "no length"
            return f"PUT {url}: the server holds {shown}, not the {len(data):,} bytes sent"
        return None

    def _say(self, problem: str | None) -> None:
        """A failing upload is said once, and again only once it works."""
        if problem is None:
            self.trouble.worked(f"uploads to {self.folder_url} work again")
        else:
            self.trouble.failed(problem, f"uploads to {self.folder_url} fail ({problem}); the show goes on, and "
                                         "they are tried again")


def _refusal(method: str, url: str, answer: http.Reply | http.Failure) -> str | None:
    """Why an answer is not a success, in one line; None for a 2xx."""
    if isinstance(answer, http.Failure):
        return f"{method} {url}: {answer.name}"
    if answer.redirect is not None:
        return f"{method} {url}: HTTP {answer.status} redirected to {answer.redirect}; uploads do not follow redirects"
    if not answer.ok:
        return f"{method} {url}: HTTP {answer.status}"
    return None
