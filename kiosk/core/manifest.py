"""The manifest of a published site, and the rules a box applies before trusting one.

Pure: parsing and validation take text and limits, and return a `Manifest`
or raise `ManifestError` with the first reason. A manifest is accepted whole
or refused whole.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from kiosk.core.catalogue import FLEET_FILE, KIND_BY_FOLDER, SLIDE_SUFFIXES, is_temporary_name
from kiosk.core.errors import ManifestError as ManifestError  # what parse_manifest raises, named here too
from kiosk.core.sidecar import SIDECAR_SUFFIXES
from kiosk.core.values import excerpt, is_utf8_name, loads_json

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
PUBLISHABLE_SUFFIXES = SLIDE_SUFFIXES + SIDECAR_SUFFIXES


@dataclass(frozen=True)
class ManifestFile:
    path: str
    sha256: str
    size: int


@dataclass(frozen=True)
class Manifest:
    version: str  # names the content: the same files, the same version
    generated: str
    files: tuple[ManifestFile, ...]
    serial: int | None = None  # rises with every publish (signed manifests; kiosk.core.trust)
    expires: str | None = None  # ISO-8601: a box with a synchronised clock refuses it after this
    keys_version: int | None = None  # the key list it was signed under: a newer list may restart the serial

    @property
    def total_bytes(self) -> int:
        return sum(f.size for f in self.files)

    def to_json(self) -> str:
        data: dict[str, Any] = {"version": self.version, "generated": self.generated}
        if self.serial is not None:
            data.update(serial=self.serial, expires=self.expires)
            if self.keys_version is not None:
                data["keys_version"] = self.keys_version
        data["files"] = [{"path": f.path, "sha256": f.sha256, "size": f.size} for f in self.files]
        return json.dumps(data, ensure_ascii=False, indent=1)


def is_publishable(path: str) -> bool:
    """True for a relative POSIX path of a slide or sidecar inside a kind folder, or the fleet file."""
    if path == FLEET_FILE:
        return True
    parts = PurePosixPath(path).parts
    return (
        len(parts) >= 2
        and parts[0] in KIND_BY_FOLDER
        and not any(is_temporary_name(part) for part in parts)
        and PurePosixPath(path).suffix.lower() in PUBLISHABLE_SUFFIXES
    )


def manifest_version(files: tuple[ManifestFile, ...]) -> str:
    """Same content, same version: a hash of the sorted file list."""
    digest = hashlib.sha256()
    for item in sorted(files, key=lambda f: f.path):
        digest.update(f"{item.path}\0{item.sha256}\0{item.size}\n".encode("utf-8"))
    return digest.hexdigest()[:16]


def check_path(path: Any) -> str:
    """The path if a box may write it inside its slide folder; raises ManifestError otherwise."""
    if not isinstance(path, str) or not path:
        raise ManifestError(f"path must be non-empty text, got {excerpt(path)}")
    if "\0" in path:
        raise ManifestError(f"path contains a NUL byte: {excerpt(path)}")
    if not is_utf8_name(path) or any(ord(char) < 0x20 or ord(char) == 0x7F for char in path):
        raise ManifestError(f"path holds a control character or a lone surrogate: {excerpt(path)}")
    if "\\" in path:
        raise ManifestError(f"path contains a backslash: {excerpt(path)}")
    if path.startswith("/") or re.match(r"^[A-Za-z]:", path):
        raise ManifestError(f"path is absolute: {excerpt(path)}")
    parts = path.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise ManifestError(f"path has an empty, '.' or '..' part: {excerpt(path)}")
    if not is_publishable(path):
        raise ManifestError(f"path is not a slide or sidecar in contribute/ or answers/: {excerpt(path)}")
    return path


def path_conflicts(paths: list[str]) -> list[str]:
    """Pairs of paths a box cannot hold side by side, each named.

    Boxes may sit on case-insensitive filesystems (exFAT on a USB stick), so
    paths equal after Unicode case folding clash: `A.jpg` and `a.jpg`,
    `Strasse.jpg` and `Straße.jpg`. So do a file and a folder of one name.
    """
    problems: list[str] = []
    seen: dict[str, str] = {}
    for path in paths:
        folded = path.casefold()
        if folded in seen:
            first, second = sorted((seen[folded], path))
            problems.append(f"path listed twice once case is ignored: {excerpt(first)} and {excerpt(second)}")
        else:
            seen[folded] = path
    folders: dict[str, str] = {}
    for path in paths:
        for parent in PurePosixPath(path).parents:
            folders.setdefault(str(parent).casefold(), path)
    for path in paths:
        inner = folders.get(path.casefold())
        if inner is not None:
            problems.append(f"path is both a file and a folder: {excerpt(path)} and {excerpt(inner)}")
    return problems


def parse_manifest(text: str | bytes, max_file_bytes: int, max_total_bytes: int) -> Manifest:
    """Parses and validates a manifest; any problem refuses the whole manifest."""
    try:
        data = loads_json(text)
    except ValueError as exc:
        raise ManifestError(f"not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise ManifestError("must be a JSON object")
    version, generated, entries = data.get("version"), data.get("generated"), data.get("files")
    if not isinstance(version, str) or not version:
        raise ManifestError("version must be non-empty text")
    if not isinstance(generated, str):
        raise ManifestError("generated must be an ISO-8601 time")
    if not isinstance(entries, list):
        raise ManifestError("files must be a list")
    serial, expires = data.get("serial"), data.get("expires")
    if serial is not None and (isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial < 1 << 63):
        raise ManifestError(f"serial must be a whole number from 1, got {excerpt(serial)}")
    if expires is not None and (not isinstance(expires, str) or len(expires) > 40):
        raise ManifestError(f"expires must be an ISO-8601 time, got {excerpt(expires)}")
    files: list[ManifestFile] = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise ManifestError(f"each file must be an object, got {excerpt(entry)}")
        path = check_path(entry.get("path"))
        sha256, size = entry.get("sha256"), entry.get("size")
        if not isinstance(sha256, str) or not _SHA256.match(sha256):
            raise ManifestError(f"{path}: sha256 must be 64 lowercase hex digits")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise ManifestError(f"{path}: size must be a whole number of bytes")
        if size > max_file_bytes:
            raise ManifestError(f"{path}: {size} bytes is over sync.max_file_bytes ({max_file_bytes})")
        files.append(ManifestFile(path, sha256, size))
    conflicts = path_conflicts([item.path for item in files])
    if conflicts:
        raise ManifestError(conflicts[0])
    manifest = Manifest(version, generated, tuple(files), serial, expires)
    if manifest.total_bytes > max_total_bytes:
        raise ManifestError(f"{manifest.total_bytes} bytes in all is over sync.max_total_bytes ({max_total_bytes})")
    return manifest
