"""`kiosk publish`: turns a slide folder into a static site that any web server or CDN can serve.

    SITE/manifest.json      what the boxes should hold: path, sha256, size of each file; with a
                            publish key (`kiosk publish --key`), in a signed envelope
                            (kiosk.core.trust) with a serial that rises and an expiry
    SITE/files/<sha256>     each file's bytes under its hash; never changes, cache forever

Pictures are published as renditions (kiosk.picture.rendition): decoded once,
upright, in sRGB, sized for the fleet's panels, with no metadata at all, under
the same stem as `.jpg` (photos) or `.webp` (graphics); videos as H.264 `.mp4`
renditions (kiosk.boundary.videopublish). The originals, with
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
grace period, so a box that is still downloading finds them. The site's
objects and manifest on disk: kiosk.boundary.staticsite.

A signed manifest is signed again, with a new serial and expiry, whenever
its content or the key list changes, and when less than half of its
validity is left: running publish daily (the kiosk-resign timer, or
`--watch`: kiosk.boundary.publishwatch) keeps boxes from ever seeing it expire.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Callable

from kiosk.boundary.configfile import checked_fleet
from kiosk.boundary.files import read_json_object, replace_file, sha256_cached, write_atomically
from kiosk.boundary.folder import list_folder
from kiosk.boundary.staticsite import (
    MANIFEST, OBJECTS, ORIGINAL, SourceUnreadable, collect_garbage, current_manifest, known_rendition, mtime_seconds,
    signature_due, signed_serial, store_bytes, store_object,
)
from kiosk.core.catalogue import FLEET_FILE, FileInfo, kind_of
from kiosk.core.errors import ConfigError, ContentError, PassingError, PublishError
from kiosk.core.fleet import Fleet, empty_selections
from kiosk.core.manifest import (
    Manifest, ManifestError, ManifestFile, check_path, is_publishable, manifest_version, path_conflicts,
)
from kiosk.core.trust import iso
from kiosk.boundary.videopublish import video_rendition
from kiosk.core.videofacts import is_video
from kiosk.picture.rendition import RenditionSettings, make_rendition, rendition_name
from kiosk.picture.videorendition import video_rendition_name

if TYPE_CHECKING:
    from kiosk.boundary.signing import Signer

log = logging.getLogger(__name__)

_INDEX = ".publish-index.json"  # path -> [size, mtime_ns, sha256]: no re-hashing of unchanged files
_RENDITIONS = ".renditions.json"  # "<source sha256>:<settings key>" -> [rendition sha256, size]


@dataclass(frozen=True)
class PublishResult:
    version: str
    files: int
    bytes: int
    objects_added: int
    objects_removed: int
    changed: bool
    serial: int | None = None  # of a signed manifest; None: unsigned


def _rendition(source: Path, info: FileInfo, digest: str, site: Path, settings: RenditionSettings,
               made: dict[str, list], cache: dict[str, list]) -> "tuple[str, int, bool] | str | None":
    """The rendition of one picture, as (sha256, size, whether its object is new), made or found
    again; ORIGINAL if the original must stand in for it; None if the picture cannot be published.

    Whatever goes wrong with this one file is said, naming it, and never
    stops the publish: the rest of the folder, takedowns included, still goes out.
    """
    key = f"{digest}:{settings.key()}"
    known = known_rendition(cache, key, site)
    if known is not None:
        made[key] = known
        return known[0], known[1], False
    try:
        data = make_rendition(source / info.path, settings, root=source)
    except (ContentError, PassingError) as exc:  # the picture itself: no box could show it either
        log.warning("not published: %s: %s", info.path, exc)
        return None
    except Exception as exc:  # noqa: BLE001 - an encoder or Pillow failing on one file must not stop the rest
        return _instead_of_a_rendition(source, info, exc)
    rendition, new = store_bytes(data, site)
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
        if renditions is not None and kind_of(info.path) is not None:  # a picture or a video
            video = is_video(info.path)
            name = video_rendition_name(info.path) if video else rendition_name(info.path)
            if name != info.path and name in names:
                taken, name = name, info.path + name[name.rfind("."):]  # photo.heic beside photo.jpg: photo.heic.jpg
                log.warning("%s: published as %s, since %s is another slide", info.path, name, taken)
            found = (video_rendition(source, info, digest, site, renditions.panels, made, cache) if video
                     else _rendition(source, info, digest, site, renditions, made, cache))
            if found is None:
                continue
            if isinstance(found, tuple):  # not ORIGINAL
                added += found[2]
                new_index[info.path] = [info.size, info.mtime_ns, digest]
                entries.append(ManifestFile(name, found[0], found[1]))
                continue
            # The original stands in for the rendition: copied below, under its own name, like any other file.
        had = (site / OBJECTS / digest).exists()
        try:
            stored = store_object(source / info.path, site, digest)
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
    previous, keys_body = current_manifest(site)
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
            serial = max(int(now * 1000), (signed_serial(site, signer) or 0) + 1)
            if serial >= 1 << 63:
                raise PublishError([f"serial {serial} is past the largest a box accepts: sign a new key list "
                                    "(kiosk keys renew) and publish under it"])
            expires = iso(moment + signer.valid_for)
        else:
            log.warning("publishing unsigned (no --key): boxes that pin a root key (sync.root_key) refuse it")
        manifest = Manifest(version, moment.isoformat(timespec="seconds"), tuple(entries), serial, expires,
                            signer.key_list.version if signer is not None else None)
        body = (manifest.to_json() + "\n").encode("utf-8")
        before = mtime_seconds(site / MANIFEST)
        replace_file(site / MANIFEST, signer.envelope(body).to_bytes() if signer is not None else body)
        os.chmod(site / MANIFEST, 0o644)
        if before is not None and (mtime_seconds(site / MANIFEST) or 0) <= before:
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
    removed = collect_garbage(site, {e.sha256 for e in entries}, grace_seconds, clock())
    from kiosk.boundary.fleetpage import write_fleet_page

    write_fleet_page(site)  # the office's page of every screen (docs/operations.md)
    return PublishResult(version, len(entries), sum(e.size for e in entries), added, removed, changed, serial)


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
        return checked_fleet(path.read_text(encoding="utf-8"), source=FLEET_FILE)
    except (OSError, UnicodeDecodeError) as exc:
        raise PublishError([f"{FLEET_FILE}: cannot be read: {exc}"]) from None
    except ConfigError as exc:
        raise PublishError(exc.problems) from None
