"""Fetching objects from the central server: one HTTP seam, bounded in time and size, retried with backoff.

Used by the sync client (kiosk.boundary.sync). Every request runs within a
deadline; network failures and 5xx answers are retried with exponential
backoff and jitter; a download never takes more than the manifest's size
and resumes with a Range request after an interruption.
"""

from __future__ import annotations

import logging
import random
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urljoin

import requests

from kiosk.boundary import http
from kiosk.boundary.files import CHUNK, fsync_file, sha256_of
from kiosk.core.errors import DeadlinePassed, Interrupted, SyncFailed

if TYPE_CHECKING:
    from kiosk.boundary.sync import SyncSettings

log = logging.getLogger(__name__)


class Fetcher:
    """GETs from the sync server through one `requests.Session`, within deadlines and with retries."""

    def __init__(self, settings: "SyncSettings", session: requests.Session,
                 sleep: Callable[[float], None] = time.sleep, jitter: Callable[[], float] = random.random) -> None:
        self.settings = settings
        self.session = session
        self.sleep = sleep
        self.jitter = jitter

    def download(self, sha256: str, size: int, staging: Path) -> Path:
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
        with http.held_to(self.session, url, self.settings.download_seconds(size)) as deadline:
            response = self.request("GET", url, deadline, headers=headers, stream=True)
            # Written in CHUNKs: an interrupted download loses at most one before it resumes.
            try:
                if response.status_code == 206 and have:
                    mode = "ab"
                elif response.status_code == 200:
                    mode = "wb"  # the server ignored the range: start again
                else:
                    raise SyncFailed(f"{name}: HTTP {response.status_code}", retry=response.status_code >= 500)
                written = 0 if mode == "wb" else have
                with part.open(mode) as handle:
                    # Decoded bytes are what is stored and capped (objects are asked for unencoded).
                    for chunk in response.raw.stream(CHUNK, decode_content=True):
                        deadline.check()
                        written += len(chunk)
                        if written > size:
                            handle.close()
                            part.unlink(missing_ok=True)
                            raise SyncFailed(f"{name}: the server sent more than the {size:,} bytes the manifest "
                                             "lists; discarded", retry=False)
                        handle.write(chunk)
            except SyncFailed:
                raise
            except OSError as exc:
                if exc.errno == 28:  # ENOSPC
                    part.unlink(missing_ok=True)
                    raise SyncFailed("the disk is full; the download was discarded", retry=False) from None
                raise self.network_failure(name, exc, deadline) from None
            except Exception as exc:  # noqa: BLE001 - requests', urllib3's and the deadline's errors alike
                raise self.network_failure(name, exc, deadline) from None
            finally:
                response.close()

    def request(self, method: str, url: str, deadline: http.Deadline, **kwargs) -> requests.Response:
        """One HTTP request with timeouts, retried with exponential backoff on network and 5xx errors,
        all within `deadline`."""
        timeout = (self.settings.connect_timeout, self.settings.read_timeout)
        # Passed on every request: requests lets $REQUESTS_CA_BUNDLE override a session's verify.
        verify = self.settings.ca_bundle or True
        last = ""
        for attempt in range(self.settings.retries + 1):
            try:
                deadline.check()
                response = self.session.request(method, url, timeout=timeout, verify=verify, **kwargs)
            except requests.exceptions.SSLError as exc:
                raise SyncFailed(f"TLS: certificate check failed for {url} ({_short(exc)})", retry=False) from None
            except DeadlinePassed:
                raise Interrupted(f"{url}: took longer than {deadline.seconds:.0f} s; cut off") from None
            except requests.RequestException as exc:
                if deadline.passed:
                    raise Interrupted(f"{url}: took longer than {deadline.seconds:.0f} s; cut off") from None
                last = f"{type(exc).__name__} for {url}"
            else:
                if response.status_code < 500:
                    return response
                last = f"HTTP {response.status_code} from {url}"
                response.close()
            if attempt < self.settings.retries and deadline.remaining() > 0:
                self._back_off(attempt, last)
        raise SyncFailed(f"server unreachable after {self.settings.retries + 1} tries: {last}")

    def _back_off(self, attempt: int, why: str) -> None:
        delay = self.settings.backoff_seconds * (2**attempt) * (0.5 + self.jitter())
        log.debug("sync: %s; retrying in %.1f s", why, delay)
        self.sleep(delay)

    @staticmethod
    def network_failure(what: str, exc: BaseException, deadline: http.Deadline) -> SyncFailed:
        if deadline.passed or isinstance(exc, DeadlinePassed):
            return Interrupted(f"{what}: took longer than {deadline.seconds:.0f} s; cut off")
        return Interrupted(f"{what}: interrupted ({type(exc).__name__})")


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) < 120 else text[:117] + "..."
