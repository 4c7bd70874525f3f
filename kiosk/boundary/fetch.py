"""What the sync asks of its server: the settings, the manifest GET and the objects, bounded and retried.

Used by the sync client (kiosk.boundary.sync). Every request goes through
the one HTTP seam (kiosk.boundary.http.Client) within a total deadline;
network failures and 5xx answers are retried with exponential backoff and
jitter; the manifest is capped at MAX_MANIFEST_BYTES, a download never
takes more than the manifest's size and resumes with a Range request after
an interruption. The sync's GETs follow a redirect (a CDN may answer with
one); requests keeps the token from a host other than the server's.
"""

from __future__ import annotations

import errno
import logging
import random
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, Mapping
from urllib.parse import urljoin

from kiosk.boundary import http
from kiosk.boundary.files import fsync_file, sha256_of
from kiosk.core.errors import Interrupted, SyncFailed
from kiosk.core.manifest import ManifestError

log = logging.getLogger(__name__)

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
MANIFEST_SECONDS = 60.0  # on top of the connect and read timeouts, for the whole manifest
BACKOFF_SECONDS = 1.0  # the first retry's wait; each one after waits twice as long


@dataclass(frozen=True)
class SyncSettings:
    """The sync's settings, from the config's `sync` section (kiosk.app.common.sync_settings)."""

    url: str
    token: str
    ca_bundle: str | None
    max_file_bytes: int
    max_total_bytes: int
    connect_timeout: float
    read_timeout: float
    retries: int
    min_bytes_per_second: int  # a download slower than this over its whole length is cut off
    reserve_bytes: int  # left free on the disk for the state, the logs and the system
    root_key: str | None  # the pinned root public key's file; None: unsigned manifests are accepted
    trust_unsynchronised_clock: bool  # judge expiry before NTP has set the clock (a real-time clock)
    backoff_seconds: float = BACKOFF_SECONDS
    manifest_seconds: float = MANIFEST_SECONDS

    def download_seconds(self, size: int) -> float:
        """The total deadline of one download of `size` bytes."""
        return self.connect_timeout + self.read_timeout + size / self.min_bytes_per_second

    def __repr__(self) -> str:
        # The token never appears in logs or tracebacks.
        return f"SyncSettings(url={self.url!r}, token={'***' if self.token else ''!r})"


def new_client(settings: SyncSettings) -> http.Client:
    """The HTTP client of a box that talks to its server: its timeouts, token and certificates."""
    return http.Client((settings.connect_timeout, settings.read_timeout), settings.token, settings.ca_bundle)


class Fetcher:
    """GETs the manifest and the objects from the sync server through one client, with retries."""

    def __init__(self, settings: SyncSettings, client: http.Client,
                 sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.client = client
        self.sleep = sleep
        self.jitter = jitter

    # --- the manifest ------------------------------------------------------------------

    def manifest(self, validators: Mapping[str, str | None]) -> tuple[str, dict] | None:
        """The manifest's text and its validators to keep, asked with `validators` (an ETag, a
        Last-Modified); None when the server says it has not changed (304)."""
        headers = {}
        if validators.get("etag"):
            headers["If-None-Match"] = str(validators["etag"])
        if validators.get("last_modified"):
            headers["If-Modified-Since"] = str(validators["last_modified"])
        url = self.settings.url
        deadline = http.Deadline(self.settings.connect_timeout + self.settings.read_timeout +
                                 self.settings.manifest_seconds)
        with self._get(url, deadline, headers) as reply:
            if reply.status == 304:
                return None
            if reply.status != 200:
                raise SyncFailed(f"manifest: HTTP {reply.status} from {url}", retry=reply.status >= 500)
            try:
                # Counted as it arrives, after gzip: a 1 MB bomb never becomes 2 GB here.
                body = reply.read(MAX_MANIFEST_BYTES)
            except http.Failure as failure:
                if failure.kind == http.TOO_LARGE:
                    raise SyncFailed(f"manifest {failure}", retry=False) from None
                raise _interrupted("manifest", failure, deadline) from None
            fresh = {"url": url, "etag": reply.headers.get("ETag"), "last_modified": reply.headers.get("Last-Modified")}
        try:
            return body.decode("utf-8"), fresh
        except UnicodeDecodeError:
            raise ManifestError("not UTF-8 text") from None

    # --- objects -------------------------------------------------------------------------

    def download(self, sha256: str, size: int, staging: Path) -> Path:
        """`files/<sha256>` in `staging`, checked against its size and sha256 and fsynced."""
        url = urljoin(self.settings.url, f"files/{sha256}")
        part = staging / f"{sha256}.part"
        for attempt in range(self.settings.retries + 1):
            have = part.stat().st_size if part.exists() else 0
            if have > size:
                part.unlink()
                have = 0
            headers = {"Accept-Encoding": "identity"}
            if 0 < have < size:
                headers["Range"] = f"bytes={have}-"
            try:
                if have < size or size == 0:
                    self._stream(url, headers, part, have, size)
            except SyncFailed as exc:
                if attempt >= self.settings.retries or not exc.retry:
                    raise
                self._back_off(attempt, str(exc))
                continue
            actual = part.stat().st_size
            if actual != size:
                if attempt >= self.settings.retries:
                    raise SyncFailed(f"files/{sha256}: got {actual} bytes, the manifest says {size}")
                if actual > size:
                    part.unlink()
                self._back_off(attempt, "short download")
                continue
            if sha256_of(part) != sha256:
                part.unlink()
                raise SyncFailed(f"files/{sha256}: content does not match its sha256; discarded", retry=False)
            fsync_file(part)
            return part
        raise SyncFailed(f"files/{sha256}: download did not complete")

    def _stream(self, url: str, headers: dict, part: Path, have: int, size: int) -> None:
        """Downloads into `part`: never more than the manifest's size, never past the deadline."""
        name = f"{url.rsplit('/', 1)[-1][:12]}…"
        deadline = http.Deadline(self.settings.download_seconds(size))
        with self._get(url, deadline, headers) as reply:
            if reply.status == 206 and have:
                mode = "ab"
            elif reply.status == 200:
                mode = "wb"  # the server ignored the range: start again
            else:
                raise SyncFailed(f"{name}: HTTP {reply.status}", retry=reply.status >= 500)
            room = size - (have if mode == "ab" else 0)
            try:
                # Written a chunk at a time: an interrupted download loses at most one before it resumes.
                # Decoded bytes are what is stored and capped (objects are asked for unencoded).
                with part.open(mode) as handle:
                    for chunk in reply.chunks(room):
                        handle.write(chunk)
            except http.Failure as failure:
                if failure.kind != http.TOO_LARGE:
                    raise _interrupted(name, failure, deadline) from None
                part.unlink(missing_ok=True)
                raise SyncFailed(f"{name}: the server sent more than the {size:,} bytes the manifest lists; "
                                 "discarded", retry=False) from None
            except OSError as exc:
                if exc.errno == errno.ENOSPC:
                    part.unlink(missing_ok=True)
                    raise SyncFailed("the disk is full; the download was discarded", retry=False) from None
                raise Interrupted(f"{name}: interrupted ({type(exc).__name__})") from None

    # --- requests ------------------------------------------------------------------------

    @contextmanager
    def _get(self, url: str, deadline: http.Deadline, headers: dict) -> Iterator[http.Reply]:
        """One GET answered below 500, retried with exponential backoff on network and 5xx errors, all
        within `deadline`; SyncFailed (Interrupted when cut off) when none comes."""
        last = ""
        for attempt in range(self.settings.retries + 1):
            with ExitStack() as stack:
                try:
                    reply = stack.enter_context(self.client.open("GET", url, deadline, headers, follow_redirects=True))
                except http.Failure as failure:
                    if failure.kind == http.TLS:
                        raise SyncFailed(f"TLS: certificate check failed for {url} ({failure})", retry=False) from None
                    if failure.kind == http.DEADLINE:
                        raise _interrupted(url, failure, deadline) from None
                    last = f"{failure.name} for {url}"
                else:
                    if reply.status < 500:
                        yield reply
                        return
                    last = f"HTTP {reply.status} from {url}"
            if attempt < self.settings.retries and deadline.remaining() > 0:
                self._back_off(attempt, last)
        raise SyncFailed(f"server unreachable after {self.settings.retries + 1} tries: {last}")

    def _back_off(self, attempt: int, why: str) -> None:
        delay = self.settings.backoff_seconds * (2**attempt) * (0.5 + self.jitter())
        log.debug("sync: %s; retrying in %.1f s", why, delay)
        self.sleep(delay)


def _interrupted(what: str, failure: http.Failure, deadline: http.Deadline) -> Interrupted:
    if failure.kind == http.DEADLINE:
        return Interrupted(f"{what}: took longer than {deadline.seconds:.0f} s; cut off")
    return Interrupted(f"{what}: interrupted ({failure.name})")
