"""The sync client: makes the slide folder match the central server's manifest, safely.

The server is any static web server or CDN holding what `kiosk publish`
wrote. One conditional GET of manifest.json says whether anything changed.
Every object is downloaded into a staging folder inside the slide folder
(`.kiosk-sync/`, which the kiosk never shows), checked against the
manifest's size and sha256, and fsynced. Only when every file of the new
manifest is staged are they renamed into place, then files that left the
manifest are removed: additions before removals, so the screen never runs
empty, and a failure at any point leaves the slides exactly as they were.

A box that pins a root key (`sync.root_key`) applies only a manifest whose
signatures, serial and expiry pass kiosk.core.trust, judged on its exact
bytes before its content is read; a refused one changes nothing, and the
refusal shows in the log and in status.json's `trust` block.

What is asked of the server is kiosk.boundary.fetch's, through the one HTTP
seam (kiosk.boundary.http.Client), so tests use a real server on loopback
(nginx) or a server of their own that injects faults; the slide folder's
side (staging, placing, the index of hashes) is kiosk.boundary.mirror's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import fcntl
import json
import logging
import queue
import random
import time
from pathlib import Path
from typing import Callable

from kiosk.boundary import http
from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.clock import clock_synchronised
from kiosk.boundary.fetch import MAX_MANIFEST_BYTES, Fetcher, SyncSettings, new_client
from kiosk.boundary.files import read_json_object, write_atomically
from kiosk.boundary.folder import list_folder
from kiosk.boundary.mirror import Mirror, free_bytes
from kiosk.core.errors import Interrupted, SyncFailed
from kiosk.core.manifest import Manifest, ManifestError, parse_manifest
from kiosk.core.messages import SyncDone, SyncResult
from kiosk.core.trust import Record, TrustError, judge, still_fresh, trust_status, unpinned_body

log = logging.getLogger(__name__)

STATE_FILE = "sync.json"
LOCK_FILE = "sync.lock"
VERIFY_EVERY = 30  # rounds answered 304 between two full checks of the folder (5 minutes at 10 s)


class SyncClient:
    """Brings one slide folder in line with one manifest URL."""

    def __init__(
        self,
        settings: SyncSettings,
        folder: Path,
        state_dir: Path,
        http_client: http.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        disk_free: Callable[[Path], int] = free_bytes,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.timezone.utc),
        synchronised: Callable[[], bool | None] = clock_synchronised,
    ) -> None:
        """`http_client`: how the server is asked (if not given, a client with the settings' timeouts,
        token and certificates)."""
        self.settings = settings
        self.folder = folder
        self.state_dir = state_dir
        self.fetcher = Fetcher(settings, http_client or new_client(settings), sleep, jitter)
        self.mirror = Mirror(folder, state_dir)
        self._matched: str | None = None  # the manifest the folder matched at the last full check
        self._quick_rounds = 0
        self.disk_free = disk_free
        self.wall = wall
        self.synchronised = synchronised
        self._record = Record.from_data(read_json_object(state_dir / STATE_FILE).get("trust"))
        self._refused: str | None = None  # why the newest manifest was refused, until one is accepted
        self._refused_at: str | None = None
        self._refused_validators: dict = {}  # the refused manifest's ETag and Last-Modified: asked with them

    # --- one sync ------------------------------------------------------------------

    def sync_once(self) -> SyncResult:
        """One full sync; never raises: every failure is a result with a one-line reason."""
        try:
            result = self._locked_sync()
        except SyncFailed as exc:
            result = SyncResult(False, str(exc), None)
        except TrustError as exc:
            result = SyncResult(False, f"manifest refused, nothing changed: {exc}", None)
        except ManifestError as exc:
            result = SyncResult(False, f"manifest refused, nothing changed: {exc}", None)
        except OSError as exc:
            result = SyncResult(False, f"local folder: {exc.strerror or exc}", None)
        except Exception as exc:
            log.exception("sync: unexpected error")
            result = SyncResult(False, f"unexpected error: {type(exc).__name__}: {str(exc)[:200]}", None)
        return dataclasses.replace(result, finished=dt.datetime.now().astimezone().isoformat(timespec="seconds"),
                                   trust=self.trust_status())

    @property
    def pinned(self) -> bool:
        return bool(self.settings.root_key)

    def trust_status(self) -> dict:
        """status.json's `trust` block: pinned or not, the last accepted serial and expiry, the refusal."""
        return trust_status(self.pinned, self._record, self._refused, self._refused_at)

    def _locked_sync(self) -> SyncResult:
        """One sync at a time per state folder: `kiosk sync --once` beside a running kiosk waits its turn."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        with open(self.state_dir / LOCK_FILE, "a") as lock:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SyncFailed("another sync of this folder is running; nothing changed", retry=False) from None
            try:
                return self._sync()
            except Interrupted:
                self.mirror.clean_staging(keep_partial=True)
                raise
            except BaseException:
                self.mirror.clean_staging(keep_partial=False)
                raise

    def _sync(self) -> SyncResult:
        state = read_json_object(self.state_dir / STATE_FILE)
        kept = Record.from_data(state.get("trust"))  # another process (`kiosk sync --once`) may have moved it on
        if kept is not None and (self._record is None or (kept.keys_version, kept.serial) >=
                                 (self._record.keys_version, self._record.serial)):
            self._record = kept
        manifest_text, fresh_state = self._fetch_manifest(state)
        unchanged = fresh_state is state  # the server said 304
        if unchanged and self.pinned:
            expired = still_fresh(self._record, self.wall(), self._clock_trusted())
            if expired:
                self._refuse(expired, {})
        if unchanged and self._matched == manifest_text and self._quick_rounds < VERIFY_EVERY and \
                self._refused is None:
            # Checked every few seconds so that a withdrawn photo leaves within 30 s: when the
            # server says nothing changed and the folder matched last time, that one small
            # request is all; the folder itself is listed and checked every VERIFY_EVERY rounds.
            self._quick_rounds += 1
            return SyncResult(True, "unchanged", state.get("version"))
        body = self._trusted_body(manifest_text, fresh_state)
        manifest = parse_manifest(body, self.settings.max_file_bytes, self.settings.max_total_bytes)
        self._matched, self._quick_rounds = None, 0
        local = self.mirror.hashes()
        wanted = {f.path: f for f in manifest.files}
        missing = [f for f in manifest.files if local.get(f.path) != f.sha256]
        stale = [path for path in local if path not in wanted]
        if not missing and not stale:
            # The usual minute: nothing to do, and nothing written unless it changed
            # (two fsynced writes a minute would wear an SD card for nothing).
            self.mirror.keep_index()
            self._save_state(state, fresh_state, manifest_text, manifest)
            self._matched = manifest_text
            return SyncResult(True, "folder matches the manifest", manifest.version)

        for item in missing:
            self.mirror.check_target(item.path)
        needed = sum(item.size for item in missing)
        free = self.disk_free(self.folder)
        if free - needed < self.settings.reserve_bytes:
            raise SyncFailed(
                f"not enough disk space: {needed:,} bytes to place, {free:,} free, "
                f"{self.settings.reserve_bytes:,} kept in reserve; nothing changed", retry=False,
            )
        placements = self.mirror.stage(missing, local, self.fetcher.download)
        self.mirror.place(missing, placements, stale)  # additions first: the screen never runs empty
        self._save_state(state, fresh_state, manifest_text, manifest)
        self._matched = manifest_text
        log.info("sync: version %s, %d added or changed, %d removed", manifest.version, len(missing), len(stale))
        return SyncResult(True, "updated", manifest.version, len(missing), len(stale))

    # --- trust -----------------------------------------------------------------------

    def _clock_trusted(self) -> bool:
        return self.settings.trust_unsynchronised_clock or self.synchronised() is not False

    def _trusted_body(self, manifest_text: str, fresh_state: dict) -> bytes:
        """The manifest's body once its signatures, serial and expiry pass (a box without a root key:
        as it is); raises TrustError, remembered for the status, when refused."""
        data = manifest_text.encode("utf-8")
        if not self.pinned:
            body = unpinned_body(data, MAX_MANIFEST_BYTES)
            return body
        from kiosk.boundary.signing import load_root_key, verify

        try:
            root = load_root_key(Path(self.settings.root_key or ""))
        except TrustError as exc:
            self._refuse(str(exc), {})
        verdict = judge(data, root, verify, self._record, self.wall(), self._clock_trusted(), MAX_MANIFEST_BYTES)
        if not verdict.accepted:
            self._refuse(verdict.refused or "", fresh_state)
        if verdict.warning and self._record != verdict.record:
            log.warning("sync: %s", verdict.warning)
        if self._refused is not None:
            log.info("sync: manifest serial %s accepted; the refusal is over", verdict.record and verdict.record.serial)
        self._refused, self._refused_at, self._refused_validators = None, None, {}
        if verdict.record != self._record:
            self._record = verdict.record
            # Kept at once, before any download: a later manifest older than this one is refused even if
            # this sync goes no further.
            state = read_json_object(self.state_dir / STATE_FILE)
            state["trust"] = self._record.to_data() if self._record else None
            write_atomically(self.state_dir / STATE_FILE, json.dumps(state))
        assert verdict.body is not None
        return verdict.body

    def _refuse(self, reason: str, fresh_state: dict) -> None:
        """Remembers a refusal (logged once per reason) and raises it."""
        if reason != self._refused:
            log.error("sync: manifest refused, the box keeps its last good content: %s", reason)
            self._refused_at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
        self._refused = reason
        self._refused_validators = {key: fresh_state.get(key) for key in ("etag", "last_modified")}
        raise TrustError(reason)

    # --- manifest --------------------------------------------------------------------

    def _fetch_manifest(self, state: dict) -> tuple[str, dict]:
        """The manifest text and the validators to keep; one small request when unchanged."""
        saved = state.get("manifest") if state.get("url") == self.settings.url else None
        # While a manifest is refused, the box asks whether it changed: a refused 2 MB manifest is not
        # downloaded again every round.
        validators = self._refused_validators if self._refused_validators.get("etag") or \
            self._refused_validators.get("last_modified") else state if saved else {}
        fetched = self.fetcher.manifest(validators)
        if fetched is not None:
            return fetched
        if validators is self._refused_validators and self._refused:
            raise TrustError(self._refused)
        if saved:
            return saved, state
        raise SyncFailed(f"manifest: HTTP 304 from {self.settings.url}", retry=False)

    def _save_state(self, old: dict, fresh: dict, manifest_text: str, manifest: Manifest) -> None:
        state = dict(fresh, manifest=manifest_text, version=manifest.version,
                     trust=self._record.to_data() if self._record else None)
        if state != old:
            write_atomically(self.state_dir / STATE_FILE, json.dumps(state))


def trust_report(root_key: Path | None, state_dir: Path, syncing: bool) -> tuple[dict, str | None]:
    """For `kiosk check`: the `trust` block as the box would start with it, and why the pinned root key
    cannot be used (then every manifest is refused), if it cannot."""
    record = Record.from_data(read_json_object(state_dir / STATE_FILE).get("trust"))
    problem = None
    if root_key is not None:
        from kiosk.boundary.signing import load_root_key

        try:
            load_root_key(root_key)
        except TrustError as exc:
            problem = str(exc)
    return trust_status(root_key is not None, record, problem, None, syncing), problem


class SyncThread(BackgroundThread):
    """Runs `sync_once()` every interval (with jitter) and posts SyncDone to the loop."""

    thread_name = "sync"

    def __init__(
        self,
        client: SyncClient,
        inbox: "queue.Queue[object] | None",
        interval_seconds: float,
        jitter_seconds: float,
        rng: Callable[[], float] = random.random,
        start_at_once: bool = False,
    ) -> None:
        """`inbox`: where SyncDone goes (None: only the log, as in `kiosk sync`)."""
        super().__init__()
        self.client = client
        self.inbox = inbox
        self.interval_seconds = interval_seconds
        self.jitter_seconds = jitter_seconds
        self.rng = rng
        self._last_line = ""
        self.start_at_once = start_at_once
        self._first = True

    def poll_once(self) -> SyncResult:
        result = self.client.sync_once()
        line = result.line()
        if not result.ok and line != self._last_line:
            log.warning("%s (showing what the box has)", line)
        elif result.ok and (result.downloaded or result.removed or not self._last_line.startswith("sync ok")):
            log.info("%s", line)
        self._last_line = line
        if self.inbox is not None:
            self.inbox.put(SyncDone(result))
        return result

    def _seconds_to_next_round(self) -> float:
        if self._first:
            # A fleet started together must not arrive at the server in the same second; a box
            # with nothing to show yet (a new one) syncs at once rather than show the fallback card.
            self._first = False
            if self.start_at_once or not list_folder(self.client.folder).files:
                return 0.0
            return self.rng() * self.jitter_seconds
        return self.interval_seconds + self.rng() * self.jitter_seconds
