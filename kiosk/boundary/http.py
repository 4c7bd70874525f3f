"""The one seam between the kiosk and the network: `Client`, for sync, heartbeat, uploads and reports.

Every request of the kiosk goes through `Client.open()`, which holds it to
one set of rules:

- a total deadline. requests' timeouts bound each wait for a byte, not a
  request: a server that sends one byte every few seconds keeps a download
  going for days, and with it the sync thread. The session's adapter tracks
  the sockets it opens, and a timer shuts them down when the deadline
  passes, which ends any read in progress, headers included;
- a size cap on every body read (`Reply.read()`, `Reply.chunks()`), counted
  after gzip as it unpacks;
- certificates always checked (`ca_bundle`, or the bundle requests ships,
  certifi's), passed on every request, and nothing taken from the
  environment (the session's `trust_env` is off): requests would let
  $REQUESTS_CA_BUNDLE or $CURL_CA_BUNDLE replace those certificates, and
  $HTTPS_PROXY send every request, the token with it, through a proxy the
  kiosk was never configured with;
- the bearer token, sent by the session;
- no redirect followed unless the caller asks (only the sync's GETs do):
  requests would repeat a PUT with an empty body after a 301 or 302, and
  carry the token and the status to wherever the server points. A redirect
  is then an answer whose `redirect` names where it points.

What goes wrong is a `Failure` whose kind says why (the deadline, TLS, a
body too large, the network); the caller words it. Tests pass a session of
their own (a loopback server, tests/servers.py, or a session with an
adapter of their own); reads are then still checked against the deadline
between chunks.
"""

from __future__ import annotations

import socket
import threading
import time
from contextlib import contextmanager, suppress
from typing import Any, Iterator, Mapping

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError as Urllib3Error

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
    with suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


def new_session() -> requests.Session:
    """A session whose requests can be held to a deadline: its adapter can shut its sockets down."""
    session = requests.Session()
    adapter = DeadlineAdapter()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
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
def held_to(session: requests.Session, url: str, deadline: Deadline) -> Iterator[Deadline]:
    """Runs the body under `deadline`: when it passes, the session's sockets are shut down.

    Whatever the body was doing then fails with a requests or socket error;
    `deadline.passed` tells that apart from a network fault.
    """
    adapter = session.get_adapter(url) if url.startswith(("http://", "https://")) else None
    tracked = adapter if isinstance(adapter, DeadlineAdapter) else None

    def expire() -> None:
        deadline.passed = True
        if tracked is not None:
            tracked.abort()

    timer = threading.Timer(max(0.0, deadline.remaining()), expire)
    timer.daemon = True
    if tracked is not None:
        tracked.rearm()
    timer.start()
    try:
        yield deadline
    finally:
        timer.cancel()


# Why a request got no usable answer: Failure.kind.
DEADLINE = "deadline"
TLS = "tls"
TOO_LARGE = "too large"
NETWORK = "network"


class Failure(Exception):
    """Why a request or the reading of its body failed, in one line; `kind` says which of the four.

    `name` is what failed (the exception's class, or DeadlinePassed) for a
    caller that says no more; `str()` is the detail (TLS's own words, or how
    large is too large).
    """

    def __init__(self, kind: str, name: str, detail: str = "") -> None:
        super().__init__(detail or name)
        self.kind = kind
        self.name = name


def _failure(exc: BaseException, deadline: Deadline) -> Failure:
    if isinstance(exc, DeadlinePassed) or deadline.passed or deadline.remaining() <= 0:
        return Failure(DEADLINE, type(exc).__name__, f"took longer than {deadline.seconds:g} s")
    if isinstance(exc, requests.exceptions.SSLError):
        text = str(exc)
        return Failure(TLS, type(exc).__name__, text if len(text) < 120 else text[:117] + "...")
    return Failure(NETWORK, type(exc).__name__)


# What a request or a read may raise: requests', urllib3's and the socket's errors, and the deadline's.
_NETWORK_ERRORS = (requests.RequestException, Urllib3Error, OSError, DeadlinePassed)
CHUNK = 64 * 1024


class Reply:
    """An answer whose body is not read yet: its status, its headers, and its body in bounded reads."""

    def __init__(self, response: requests.Response, deadline: Deadline) -> None:
        self.status: int = response.status_code
        self.headers: Mapping[str, str] = response.headers
        self.deadline = deadline
        self._response = response

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def redirect(self) -> str | None:
        """Where a 3xx points (printable, cut short), or None for any other answer."""
        if not 300 <= self.status < 400:
            return None
        return excerpt(printable_name(self.headers.get("Location", "nowhere")), 200).strip("'")

    def chunks(self, limit: int) -> Iterator[bytes]:
        """The body, decoded (gzip counts as it unpacks), a chunk at a time; Failure (TOO_LARGE) before a
        chunk would pass `limit` bytes, or when the network or the deadline ends it."""
        total = 0
        try:
            for chunk in self._response.iter_content(CHUNK):
                self.deadline.check()
                total += len(chunk)
                if total > limit:
                    raise Failure(TOO_LARGE, "BodyTooLarge", f"larger than {limit:,} bytes")
                yield chunk
            self.deadline.check()
        except _NETWORK_ERRORS as exc:
            raise _failure(exc, self.deadline) from None

    def read(self, limit: int) -> bytes:
        """The whole body, refused (Failure, TOO_LARGE) as soon as it passes `limit` bytes."""
        return b"".join(self.chunks(limit))


class Client:
    """Makes the kiosk's HTTP requests, each within a total deadline, by the rules above."""

    def __init__(self, waits: tuple[float, float], token: str = "", ca_bundle: str | None = None,
                 session: requests.Session | None = None) -> None:
        """`waits`: the longest wait to connect and for each byte (requests' timeout); `token`: the
        bearer token, none if empty; `ca_bundle`: the certificates to trust, certifi's if None;
        `session`: a transport of the caller's (tests), else one that can be cut off at a deadline."""
        self.waits = waits
        self.verify: bool | str = ca_bundle or True  # certificate checks are never off
        self.session = session if session is not None else new_session()
        self.session.verify = self.verify
        self.session.trust_env = False  # no certificates, proxies or .netrc from the environment
        self.session.headers["User-Agent"] = f"kiosk/{__version__}"
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    def deadline(self, seconds: float) -> Deadline:
        """A deadline `seconds` away, to share between requests (a PUT and its HEAD, a whole report)."""
        return Deadline(seconds)

    @contextmanager
    def open(self, method: str, url: str, within: float | Deadline, headers: Mapping[str, str] | None = None,
             follow_redirects: bool = False, **body: Any) -> Iterator[Reply]:
        """One request, held to `within` (seconds, or a deadline shared with others) from its first byte
        to the last one read; its answer, whatever the status. Raises Failure.

        `body`: requests' `data=` or `json=`.
        """
        deadline = within if isinstance(within, Deadline) else Deadline(within)
        with held_to(self.session, url, deadline):
            try:
                deadline.check()
                response = self.session.request(method, url, headers=headers, timeout=self.waits, verify=self.verify,
                                                allow_redirects=follow_redirects, stream=True, **body)
            except _NETWORK_ERRORS as exc:
                raise _failure(exc, deadline) from None
            try:
                yield Reply(response, deadline)
            finally:
                response.close()

    def answer(self, method: str, url: str, within: float | Deadline, headers: Mapping[str, str] | None = None,
               **body: Any) -> Reply | Failure:
        """One request whose body is not wanted (a heartbeat, a PUT, a HEAD): its answer, or why none came."""
        try:
            with self.open(method, url, within, headers, **body) as reply:
                pass
            reply.deadline.check()
        except DeadlinePassed as exc:
            return _failure(exc, reply.deadline)
        except Failure as failure:
            return failure
        return reply

    def close(self) -> None:
        self.session.close()
