"""HTTP with a total deadline: the one seam between the kiosk and the network.

requests' timeouts bound each wait for a byte, not a request: a server that
sends one byte every few seconds keeps a download going for days, and with it
the sync thread. So every request of the kiosk runs under a deadline. The
session's adapter tracks the sockets it opens, and a timer shuts them down
when the deadline passes, which ends any read in progress, headers included.

Tests pass a plain `requests.Session` of their own (a loopback server, or a
fake transport); reads are then still checked against the deadline between
chunks.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from kiosk import __version__
from kiosk.core.errors import DeadlinePassed
from kiosk.core.values import excerpt, printable_name


class DeadlineAdapter(HTTPAdapter):
    """An HTTPAdapter whose open sockets can all be shut down from another thread."""

    def __init__(self) -> None:
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self.aborted = False
        super().__init__(max_retries=0)

    def init_poolmanager(self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: object) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        adapter = self

        class TrackedHTTPConnection(HTTPConnection):
            def connect(self) -> None:
                super().connect()
                adapter._track(self.sock)

        class TrackedHTTPSConnection(HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                adapter._track(self.sock)

        class TrackedHTTPPool(HTTPConnectionPool):
            ConnectionCls = TrackedHTTPConnection

        class TrackedHTTPSPool(HTTPSConnectionPool):
            ConnectionCls = TrackedHTTPSConnection

        self.poolmanager.pool_classes_by_scheme = {"http": TrackedHTTPPool, "https": TrackedHTTPSPool}

    def _track(self, sock: socket.socket | None) -> None:
        if sock is None:
            return
        with self._lock:
            self._sockets = {s for s in self._sockets if s.fileno() != -1}
            self._sockets.add(sock)
            if self.aborted:
                _shut(sock)

    def abort(self) -> None:
        """Ends every read and write in progress on this adapter's connections."""
        with self._lock:
            self.aborted = True
            sockets = list(self._sockets)
            self._sockets.clear()
        for sock in sockets:
            _shut(sock)

    def rearm(self) -> None:
        with self._lock:
            self.aborted = False


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def new_session(token: str = "", ca_bundle: str | None = None) -> requests.Session:
    """A session whose requests can be held to a deadline, verifying TLS always."""
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.verify = ca_bundle or True  # certificate checks are never off
    session.headers["User-Agent"] = f"kiosk/{__version__}"
    if token:
        session.headers["Authorization"] = f"Bearer {token}"
    return session


class Deadline:
    """The moment a request must be over; `check()` raises DeadlinePassed after it."""

    def __init__(self, seconds: float, clock=time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.at = clock() + seconds
        self.passed = False

    def remaining(self) -> float:
        return self.at - self.clock()

    def check(self) -> None:
        if self.passed or self.clock() >= self.at:
            self.passed = True
            raise DeadlinePassed(f"took longer than {self.seconds:g} s")


@contextmanager
def held_to(session: requests.Session, url: str, seconds: float) -> Iterator[Deadline]:
    """Runs the body under a deadline: past it, the session's sockets are shut down.

    Whatever the body was doing then fails with a requests or socket error;
    the caller checks `deadline.passed` (or calls `check()`) to tell that
    apart from a network fault.
    """
    deadline = Deadline(seconds)
    adapter = session.get_adapter(url) if url.startswith(("http://", "https://")) else None
    tracked = isinstance(adapter, DeadlineAdapter)

    def expire() -> None:
        deadline.passed = True
        if tracked:
            adapter.abort()  # type: ignore[union-attr]

    timer = threading.Timer(max(0.0, seconds), expire)
    timer.daemon = True
    if tracked:
        adapter.rearm()  # type: ignore[union-attr]
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()


def read_limited(response: requests.Response, limit: int, deadline: Deadline, what: str) -> bytes:
    """The body, decoded (gzip counts as it unpacks), refused as soon as it passes `limit` bytes."""
    chunks = []
    total = 0
    for chunk in response.iter_content(64 * 1024):
        deadline.check()
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge(f"{what} larger than {limit:,} bytes")
        chunks.append(chunk)
    deadline.check()
    return b"".join(chunks)


def redirect_target(response: requests.Response) -> str | None:
    """Where a 3xx response points (printable, cut short), or None for any other response.

    The kiosk never follows a redirect: requests would repeat a PUT with an
    empty body after a 301 or 302, and carry the bearer token to wherever
    the server points. A redirect is a failure its caller names.
    """
    if not 300 <= response.status_code < 400:
        return None
    return excerpt(printable_name(response.headers.get("Location", "nowhere")), 200).strip("'")


class BodyTooLarge(Exception):
    """A response body passed the size it may have."""

