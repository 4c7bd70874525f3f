"""The static site on disk that `kiosk publish` writes and boxes read: its objects and its manifest.

    SITE/manifest.json      what the boxes should hold (kiosk.core.manifest), signed or not
    SITE/files/<sha256>     each file's bytes under its hash; never changes, cache forever

Objects are written whole under their hash or not at all, and deleted only
after a grace period unreferenced, so a box that is still downloading finds
them. The published manifest is read back as a state file: whoever can write
the web server's folder must not be able to stop a publish.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.boundary.files import read_json_object, read_state_file, replace_file, write_atomically
from kiosk.core.errors import UnsafeFile
from kiosk.core.manifest import Manifest, ManifestError, parse_manifest
from kiosk.core.trust import looks_signed, parse_envelope

if TYPE_CHECKING:
    from kiosk.boundary.signing import Signer

log = logging.getLogger(__name__)

MANIFEST = "manifest.json"
OBJECTS = "files"
_UNREFERENCED = ".unreferenced.json"  # sha256 -> when it was first seen unreferenced
CHUNK = 1024 * 1024


def store_object(source: Path, site: Path, sha256: str) -> bool:
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


def _source_read(call, *args):
    try:
        return call(*args)
    except OSError as exc:
        raise SourceUnreadable(exc.strerror or str(exc)) from None


ORIGINAL = "original"  # what a rendition maker answers when the original must stand in for its rendition


def known_rendition(cache: dict[str, list], key: str, site: Path) -> list | None:
    """A rendition made before, [sha256, size], if the cache (`.renditions.json`, read from the site and so
    checked here) holds one for `key` whose object is still in the site."""
    known = cache.get(key)
    if (isinstance(known, list) and len(known) == 2 and isinstance(known[0], str) and isinstance(known[1], int)
            and (site / OBJECTS / known[0]).exists()):
        return known
    return None


def store_bytes(data: bytes, site: Path) -> tuple[str, bool]:
    """Stores bytes as files/<sha256> unless they are there; their sha256, and whether they were new."""
    digest = hashlib.sha256(data).hexdigest()
    target = site / OBJECTS / digest
    if target.exists():
        return digest, False
    replace_file(target, data, 0o644)
    return digest, True


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


def mtime_seconds(path: Path) -> int | None:
    try:
        return int(path.stat().st_mtime)
    except OSError:
        return None


def signed_serial(site: Path, signer: Signer) -> int | None:
    """The serial of the published manifest if a publish key of `signer`'s key list signed it, else None
    (a site folder someone else wrote into is no floor for the next serial)."""
    from kiosk.boundary.signing import verify
    from kiosk.core.trust import manifest_times

    try:
        envelope = parse_envelope(published_bytes(site), 1 << 40)
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


def published_bytes(site: Path) -> bytes:
    """The site's manifest.json, read as a state file: whoever can write the web server's folder may put a
    FIFO, a link to /dev/zero or gigabytes there, and publish (takedowns, re-signing) must not stop for it.
    Raises OSError, UnsafeFile, or ValueError when it is larger than any box would read."""
    from kiosk.boundary.fetch import MAX_MANIFEST_BYTES

    return read_state_file(site / MANIFEST, MAX_MANIFEST_BYTES)


def current_manifest(site: Path) -> tuple[Manifest | None, bytes | None]:
    """The published manifest, and the key list its envelope carries (None if unsigned)."""
    try:
        data = published_bytes(site)
        keys = None
        if looks_signed(data):
            envelope = parse_envelope(data, 1 << 40)
            data, keys = envelope.manifest.body, envelope.keys.body
        return parse_manifest(data, 1 << 62, 1 << 62), keys
    except (OSError, ValueError, ManifestError, UnsafeFile):
        return None, None


def collect_garbage(site: Path, referenced: set[str], grace_seconds: float, now: float) -> int:
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
