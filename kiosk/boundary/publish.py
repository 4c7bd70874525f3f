"""`kiosk publish`: turns a slide folder into a static site that any web server or CDN can serve.

    SITE/manifest.json      what the boxes should hold: path, sha256, size of each file; with a
                            publish key (`kiosk publish --key`), in a signed envelope
                            (kiosk.core.trust) with a serial that rises and an expiry
    SITE/files/<sha256>     each file's bytes under its hash; never changes, cache forever

Pictures are published as renditions (kiosk.picture.rendition): decoded once,
upright, in sRGB, sized for the fleet's panels, with no metadata at all, under
the same stem as `.jpg` (photos) or `.webp` (graphics). The originals, with
their GPS positions and serial numbers, stay on the publishing machine unless
`originals=True` (`kiosk publish --originals`). A rendition is made again
only when its picture or the settings change (`.renditions.json`).

One file never stops a publish: a picture without a rendition, a slide that
cannot be read, a name every box would refuse is left out with a warning
naming it, and the rest goes out, takedowns included. Only the site itself
failing (a full disk) stops it, leaving the last good version published.

Re-publishing is incremental (objects already there are kept, unchanged
files are not hashed again) and atomic (the manifest is replaced in one
rename). Objects that no manifest names any more are deleted only after a
grace period, so a box that is still downloading finds them.

A signed manifest is signed again, with a new serial and expiry, whenever
its content or the key list changes, and when less than half of its
validity is left: running publish daily (the kiosk-resign timer, or
`--watch`) keeps boxes from ever seeing it expire.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable

from kiosk.boundary.background import BackgroundThread
from kiosk.core.catalogue import FLEET_FILE, FileInfo, kind_of
from kiosk.core.settling import Settler
from kiosk.boundary.folder import list_folder
from kiosk.core.errors import ConfigError, ContentError, PassingError, PublishError, UnsafeFile
from kiosk.core.fleet import Fleet, empty_selections, parse_fleet
from kiosk.core.manifest import (
    Manifest,
    ManifestError,
    ManifestFile,
    check_path,
    is_publishable,
    manifest_version,
    parse_manifest,
    path_conflicts,
)
from kiosk.boundary.files import read_json_object, read_state_file, replace_file, sha256_cached, write_atomically
from kiosk.core.trust import iso, looks_signed, parse_envelope
from kiosk.picture.rendition import RenditionSettings, make_rendition, rendition_name

if TYPE_CHECKING:
    from kiosk.boundary.signing import Signer

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
OBJECTS = "files"
_INDEX = ".publish-index.json"  # path -> [size, mtime_ns, sha256]: no re-hashing of unchanged files
_UNREFERENCED = ".unreferenced.json"  # sha256 -> when it was first seen unreferenced
_RENDITIONS = ".renditions.json"  # "<source sha256>:<settings key>" -> [rendition sha256, size]
CHUNK = 1024 * 1024
ORIGINAL = "original"  # what _rendition answers when the original must stand in for its rendition


@dataclass(frozen=True)
class PublishResult:
    version: str
    files: int
    bytes: int
    objects_added: int
    objects_removed: int
    changed: bool
    serial: int | None = None  # of a signed manifest; None: unsigned


def _store_object(source: Path, site: Path, sha256: str) -> bool:
    """Copies a file into files/<sha256> unless it is there; False if the source changed meanwhile."""
    target = site / OBJECTS / sha256
    if target.exists():
        return True
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, temp = tempfile.mkstemp(prefix=".incoming-", dir=target.parent)
    try:
        with _source_read(source.open, "rb") as reader, os.fdopen(fd, "wb") as writer:
            while chunk := _source_read(reader.read, CHUNK):
                digest.update(chunk)
                writer.write(chunk)
            writer.flush()
            os.fsync(writer.fileno())
        if digest.hexdigest() != sha256:
            os.unlink(temp)
            return False
        os.chmod(temp, 0o644)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return True


class SourceUnreadable(Exception):
    """One file of the slide folder could not be read: that file is left out, the rest published.

    An error writing into the site is not this: it stops the publish, so a full
    disk never publishes a manifest with every picture missing, which would take
    every slide off every screen."""


def _source_read(call, *args):  # noqa: ANN001, ANN202 - a read of the source, whose OSError is the file's
    try:
        return call(*args)
    except OSError as exc:
        raise SourceUnreadable(exc.strerror or str(exc)) from None


def _store_bytes(data: bytes, site: Path) -> tuple[str, bool]:
    """Stores bytes as files/<sha256> unless they are there; their sha256, and whether they were new."""
    digest = hashlib.sha256(data).hexdigest()
    target = site / OBJECTS / digest
    if target.exists():
        return digest, False
    replace_file(target, data, 0o644)
    return digest, True


def _rendition(source: Path, info: FileInfo, digest: str, site: Path, settings: RenditionSettings,
               made: dict[str, list], cache: dict[str, list]) -> "tuple[str, int, bool] | str | None":
    """The rendition of one picture, as (sha256, size, whether its object is new), made or found
    again; ORIGINAL if the original must stand in for it; None if the picture cannot be published.

    Whatever goes wrong with this one file is said, naming it, and never
    stops the publish: the rest of the folder, takedowns included, still goes out.
    """
    key = f"{digest}:{settings.key()}"
    known = cache.get(key)
    if (isinstance(known, list) and len(known) == 2 and isinstance(known[0], str) and isinstance(known[1], int)
            and (site / OBJECTS / known[0]).exists()):
        made[key] = known
        return known[0], known[1], False
    try:
        data = make_rendition(source / info.path, settings, root=source)
    except (ContentError, PassingError) as exc:  # the picture itself: no box could show it either
        log.warning("not published: %s: %s", info.path, exc)
        return None
    except Exception as exc:  # noqa: BLE001 - an encoder or Pillow failing on one file must not stop the rest
        return _instead_of_a_rendition(source, info, exc)
    rendition, new = _store_bytes(data, site)
    made[key] = [rendition, len(data)]
    return rendition, len(data), new



def _instead_of_a_rendition(source: Path, info: FileInfo, exc: Exception) -> str | None:
    """ORIGINAL when a picture that decodes has no rendition but its original is safe to send as it is;
    None (said, naming the file) when the original would carry private metadata to every box."""
    from kiosk.picture.decoder import picture_facts

    reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    private = picture_facts(source / info.path, source).get("private_metadata", ["unreadable metadata"])
    if private:
        log.warning("not published: %s: its rendition could not be made (%s), and its original carries %s",
                    info.path, reason, ", ".join(private))
        return None
    log.warning("%s: its rendition could not be made (%s); the original is published instead", info.path, reason)
    return ORIGINAL


def publish(
    source: Path,
    site: Path,
    grace_seconds: float = 24 * 3600,
    files: list[FileInfo] | None = None,
    clock: Callable[[], float] = time.time,
    renditions: RenditionSettings | None = None,
    signer: Signer | None = None,
    resign: bool = False,
) -> PublishResult:
    """Publishes the slide folder `source` into `site`; `files` limits it to a settled listing.

    `renditions` None publishes the pictures' original files byte for byte (`kiosk publish
    --originals`); `kiosk publish` passes the fleet's panels. `signer` signs the manifest
    (`resign`: even when it would not be due)."""
    site.mkdir(parents=True, exist_ok=True)
    if files is None:
        listing = list_folder(source)
        for problem in listing.problems:
            log.warning("%s", problem)
        files = listing.files
    refused = what_boxes_refuse([info.path for info in files if is_publishable(info.path)])
    files = [info for info in files if info.path not in refused]
    fleet = refuse_a_fleet_file_boxes_refuse(source / FLEET_FILE) if any(
        info.path == FLEET_FILE for info in files) else None
    index = read_json_object(site / _INDEX)
    cache = read_json_object(site / _RENDITIONS) if renditions is not None else {}
    made: dict[str, list] = {}
    new_index: dict[str, list] = {}
    entries: list[ManifestFile] = []
    added = 0
    names = {info.path for info in files}
    for info in sorted(files, key=lambda f: f.path):
        if not is_publishable(info.path):
            continue
        try:
            digest = sha256_cached(index, info.path, source / info.path, info.size, info.mtime_ns)
        except OSError as exc:
            log.warning("not published: %s (%s)", info.path, exc)
            continue
        if renditions is not None and kind_of(info.path) is not None:  # a picture
            name = rendition_name(info.path)
            if name != info.path and name in names:
                taken, name = name, info.path + name[name.rfind("."):]  # photo.heic beside photo.jpg: photo.heic.jpg
                log.warning("%s: published as %s, since %s is another picture", info.path, name, taken)
            found = _rendition(source, info, digest, site, renditions, made, cache)
            if found is None:
                continue
            if found != ORIGINAL:
                added += found[2]
                new_index[info.path] = [info.size, info.mtime_ns, digest]
                entries.append(ManifestFile(name, found[0], found[1]))
                continue
            # The original stands in for the rendition: copied below, under its own name, like any other file.
        had = (site / OBJECTS / digest).exists()
        try:
            stored = _store_object(source / info.path, site, digest)
        except SourceUnreadable as exc:
            log.warning("not published: %s (%s)", info.path, exc)
            continue
        if not stored:
            log.info("not published yet: %s changed while it was copied", info.path)
            continue
        added += 0 if had else 1
        new_index[info.path] = [info.size, info.mtime_ns, digest]
        entries.append(ManifestFile(info.path, digest, info.size))

    refused = what_boxes_refuse([entry.path for entry in entries])  # the renditions' names too
    entries = sorted((entry for entry in entries if entry.path not in refused), key=lambda entry: entry.path)
    if fleet is not None:
        for problem in empty_selections(fleet, [entry.path for entry in entries]):  # by the names boxes receive
            log.warning("%s", problem)
    version = manifest_version(tuple(entries))
    previous, keys_body = _current_manifest(site)
    changed = previous is None or previous.version != version
    now = clock()
    if signer is not None and not changed:
        changed = resign or signature_due(previous, keys_body, signer, now)
    elif signer is None and previous is not None and previous.serial is not None:
        changed = True  # unsigned from now on: said so below
    serial = None
    if changed:
        moment = dt.datetime.fromtimestamp(now).astimezone()
        expires = None
        if signer is not None:
            # Rises across publishes, and also if the site folder is lost and made anew. Only a serial
            # this key list signed counts: whoever controls the web server could write 2^63 - 2 there,
            # and boxes would refuse every serial after it for ever.
            serial = max(int(now * 1000), (_signed_serial(site, signer) or 0) + 1)
            if serial >= 1 << 63:
                raise PublishError([f"serial {serial} is past the largest a box accepts: sign a new key list "
                                    "(kiosk keys renew) and publish under it"])
            expires = iso(moment + signer.valid_for)
        else:
            log.warning("publishing unsigned (no --key): boxes that pin a root key (sync.root_key) refuse it")
        manifest = Manifest(version, moment.isoformat(timespec="seconds"), tuple(entries), serial, expires,
                            signer.key_list.version if signer is not None else None)
        body = (manifest.to_json() + "\n").encode("utf-8")
        before = _mtime_seconds(site / MANIFEST)
        replace_file(site / MANIFEST, signer.envelope(body).to_bytes() if signer is not None else body)
        os.chmod(site / MANIFEST, 0o644)
        if before is not None and _mtime_seconds(site / MANIFEST) <= before:
            # Web servers build ETag and Last-Modified from whole seconds (and size):
            # a second publish within the same second must still look new to the boxes.
            os.utime(site / MANIFEST, (before + 1, before + 1))
        log.info("published version %s%s: %d files, %d bytes", version,
                 f" (serial {serial}, signed by {signer.keyid[:16]}, expires {expires})" if signer else "",
                 len(entries), sum(e.size for e in entries))
    elif previous is not None:
        serial = previous.serial
    write_atomically(site / _INDEX, json.dumps(new_index))
    if renditions is not None:
        write_atomically(site / _RENDITIONS, json.dumps(made))
    removed = _collect_garbage(site, {e.sha256 for e in entries}, grace_seconds, clock())
    from kiosk.boundary.fleetpage import write_fleet_page

    write_fleet_page(site)  # the office's page of every screen (docs/operations.md)
    return PublishResult(version, len(entries), sum(e.size for e in entries), added, removed, changed, serial)


def signature_due(previous: Manifest | None, keys_body: bytes | None, signer: Signer, now: float) -> bool:
    """Whether the published manifest must be signed again: unsigned, under another key list, or with
    less than half of its validity left (or an expiry that cannot be read)."""
    if previous is None or previous.expires is None or keys_body != signer.keys.body:
        return True
    try:
        expires = dt.datetime.fromisoformat(previous.expires.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return True
    return expires - now < signer.valid_for.total_seconds() / 2


def what_boxes_refuse(paths: list[str]) -> dict[str, str]:
    """The paths every box would refuse, each with why, said in the log: they are left out.

    A box refuses a manifest whole for one bad path (or pair of paths that
    clash), so publishing one would stop the whole fleet from updating; and
    refusing the whole publish for it would stop every other change, takedowns
    included. Both paths of a clashing pair are left out: which was meant is
    for staff to say, by renaming one.
    """
    refused: dict[str, str] = {}
    for path in paths:
        try:
            check_path(path)
        except ManifestError as exc:
            refused[path] = str(exc)
    valid = [path for path in paths if path not in refused]
    folded: dict[str, list[str]] = {}
    for path in valid:
        folded.setdefault(path.casefold(), []).append(path)
    for group in folded.values():
        if len(group) > 1:
            refused.update(dict.fromkeys(group, "; ".join(path_conflicts(group))))
    valid = [path for path in valid if path not in refused]
    folders = {str(parent).casefold(): path for path in valid for parent in PurePosixPath(path).parents}
    for path in valid:
        if path.casefold() in folders:
            refused[path] = path_conflicts([path, folders[path.casefold()]])[0]
    for problem in dict.fromkeys(refused.values()):
        log.warning("not published (every box would refuse it): %s", problem)
    return refused


def refuse_a_fleet_file_boxes_refuse(path: Path) -> Fleet:
    """The fleet file, checked as each box checks it; PublishError with every problem if every box would refuse it
    whole (a key only each box may set included)."""
    try:
        return parse_fleet(path.read_text(encoding="utf-8"), source=FLEET_FILE)
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError([f"{FLEET_FILE}: cannot be read: {exc}"]) from None
    except ConfigError as exc:
        raise PublishError(exc.problems) from None


def _mtime_seconds(path: Path) -> int | None:
    try:
        return int(path.stat().st_mtime)
    except OSError:
        return None


def _signed_serial(site: Path, signer: Signer) -> int | None:
    """The serial of the published manifest if a publish key of `signer`'s key list signed it, else None
    (a site folder someone else wrote into is no floor for the next serial)."""
    from kiosk.boundary.signing import verify
    from kiosk.core.trust import manifest_times

    try:
        envelope = parse_envelope(_published_bytes(site), 1 << 40)
        if not any(verify(signer.key_list.keys[keyid], sig, envelope.manifest.body)
                   for keyid, sig in envelope.manifest.signatures if keyid in signer.key_list.keys):
            log.warning("%s: the published manifest is not signed by a key of this key list; its serial is "
                        "not continued", site / MANIFEST)
            return None
        times = manifest_times(envelope.manifest.body)
        if times.keys_version is not None and times.keys_version < signer.key_list.version:
            return None  # a newer key list starts a new run of serials (boxes accept it: kiosk.core.trust)
        return times.serial
    except (OSError, ValueError, ManifestError, UnsafeFile):
        return None


def _published_bytes(site: Path) -> bytes:
    """The site's manifest.json, read as a state file: whoever can write the web server's folder may put a
    FIFO, a link to /dev/zero or gigabytes there, and publish (takedowns, re-signing) must not stop for it.
    Raises OSError, UnsafeFile, or ValueError when it is larger than any box would read."""
    from kiosk.boundary.sync import MAX_MANIFEST_BYTES

    return read_state_file(site / MANIFEST, MAX_MANIFEST_BYTES)


def _current_manifest(site: Path) -> tuple[Manifest | None, bytes | None]:
    """The published manifest, and the key list its envelope carries (None if unsigned)."""
    try:
        data = _published_bytes(site)
        keys = None
        if looks_signed(data):
            envelope = parse_envelope(data, 1 << 40)
            data, keys = envelope.manifest.body, envelope.keys.body
        return parse_manifest(data, 1 << 62, 1 << 62), keys
    except (OSError, ValueError, ManifestError, UnsafeFile):
        return None, None


def _collect_garbage(site: Path, referenced: set[str], grace_seconds: float, now: float) -> int:
    """Deletes objects unreferenced for longer than the grace period; returns how many."""
    folder = site / OBJECTS
    pending = read_json_object(site / _UNREFERENCED)
    still: dict[str, float] = {}
    removed = 0
    for path in folder.iterdir() if folder.is_dir() else []:
        name = path.name
        if name.startswith("."):
            # A copy that a crash left behind: gone after the grace period too.
            if name.startswith(".incoming-") and now - path.stat().st_mtime >= grace_seconds:
                path.unlink(missing_ok=True)
            continue
        if name in referenced:
            continue
        since = float(pending.get(name, now))
        if now - since >= grace_seconds:
            path.unlink(missing_ok=True)
            removed += 1
        else:
            still[name] = since
    write_atomically(site / _UNREFERENCED, json.dumps(still))
    return removed


def _publish_or_explain(source: Path, site: Path, grace_seconds: float, files: list[FileInfo],
                        renditions: RenditionSettings | None, signer: Signer | None = None,
                        wall: Callable[[], float] = time.time) -> None:
    """One publish of the watch loop: a folder every box would refuse is explained, and left unpublished."""
    try:
        publish(source, site, grace_seconds, files, wall, renditions=renditions, signer=signer)
    except PublishError as exc:
        for problem in exc.problems:
            log.error("not published: %s", problem)
        log.error("the last good version stays published until what is named above is fixed")


class PublishWatcher(BackgroundThread):
    """`kiosk publish --watch`: publishes now, then again whenever the source folder changes.

    Only files that have settled (unchanged across two looks) are published,
    so a photo still being copied into the central folder never reaches a box.
    """

    thread_name = "publish-watcher"
    settle_seconds = 0.2  # a burst of events is one round

    def __init__(self, source: Path, site: Path, grace_seconds: float, settle_seconds: float = 1.0,
                 rescan_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic,
                 renditions: RenditionSettings | None = None, signer: Signer | None = None,
                 wall: Callable[[], float] = time.time) -> None:
        from kiosk.boundary.watcher import ObservedFolder

        super().__init__()
        self.signer, self.wall = signer, wall
        self.renditions = renditions
        self.source, self.site, self.grace_seconds = source, site, grace_seconds
        self.rescan_seconds = rescan_seconds
        self.clock = clock
        self._observed = ObservedFolder(source, recursive=True, mode="native", on_event=lambda _event: self.wake())
        self._settler = Settler(settle_seconds)
        self._recheck_at: float | None = None
        self._published: list[FileInfo] | None = None  # None: not yet; the first round publishes all

    def poll_once(self) -> None:
        self._observed.ensure()
        if self._published is None:
            # What is in the folder at the start is taken as complete, as `kiosk publish` would.
            files = list_folder(self.source).files
            self._settler.accept(files, self.clock())
            self._published = sorted(files, key=lambda f: f.path)
            _publish_or_explain(self.source, self.site, self.grace_seconds, self._published, self.renditions,
                                self.signer, self.wall)
            log.info("watching %s; publishing to %s", self.source, self.site)
            return
        self._recheck_at = self._settler.observe(list_folder(self.source).files, self.clock())
        settled = sorted(self._settler.settled(), key=lambda f: f.path)
        due = self.signer is not None and signature_due(*_current_manifest(self.site), self.signer, self.wall())
        if settled != self._published or due:
            # A watch that runs for weeks signs again before the manifest expires.
            _publish_or_explain(self.source, self.site, self.grace_seconds, settled, self.renditions, self.signer,
                                self.wall)
            self._published = settled

    def _seconds_to_next_round(self) -> float:
        if self._published is None:
            return 0.0
        if self._recheck_at is None:
            return self.rescan_seconds
        return max(0.05, self._recheck_at - self.clock())

    def _close(self) -> None:
        self._observed.close()
