"""Ed25519 through `cryptography`: the signature check a box runs, and the keys `kiosk keys` and publish use.

The rules of trust are pure (kiosk.core.trust); this module supplies its
one cryptographic step (`verify`), reads the pinned root key on a box (only
from a file that only root can write), and reads and writes the private
keys on the publishing machine (mode 0600, never on a box).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.core.trust import (
    MAX_KEYS_BYTES,
    Envelope,
    KeyList,
    Signed,
    TrustError,
    parse_signed,
    key_id,
)
from kiosk.core.values import loads_json

MAX_KEY_FILE_BYTES = 4096


def verify(public_key: bytes, signature: bytes, message: bytes) -> bool:
    """Whether `signature` is `public_key`'s Ed25519 signature over exactly `message`."""
    try:
        Ed25519PublicKey.from_public_bytes(public_key).verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def public_bytes(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of a key's public half."""
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def sign(key: Ed25519PrivateKey, body: bytes) -> tuple[str, bytes]:
    """(keyid, signature) of `key` over `body`."""
    return key_id(public_bytes(key)), key.sign(body)


# --- the box: the pinned root key ------------------------------------------------------------

def _only_root_can_write(info: os.stat_result, what: Path) -> None:
    if info.st_uid != 0:
        raise TrustError(f"sync.root_key: {what} belongs to uid {info.st_uid}, not root: "
                         "only a file that only root can write is trusted (chown root:root)")
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not (stat.S_ISDIR(info.st_mode)
                                                          and info.st_mode & stat.S_ISVTX):
        raise TrustError(f"sync.root_key: {what} is writable by its group or by anyone: "
                         "only a file that only root can write is trusted (chmod go-w)")


def load_root_key(path: Path) -> bytes:
    """The pinned root public key's 32 raw bytes, from a PEM file only root can write.

    The file and every folder above it must belong to root and be writable by
    no one else (a sticky folder such as /tmp excepted): whoever could replace
    the file could choose which keys the box believes. Raises TrustError.
    """
    path = Path(os.path.abspath(path))
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise TrustError(f"sync.root_key: cannot open {path}: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise TrustError(f"sync.root_key: {path} is not a regular file")
        _only_root_can_write(info, path)
        data = os.read(fd, MAX_KEY_FILE_BYTES + 1)
    finally:
        os.close(fd)
    for folder in path.parents:
        _only_root_can_write(os.stat(folder), folder)
    # A folder of the path may be a link: the folders above where it leads must be root's too, or whoever
    # owns one of them swaps the folder the link reaches for their own, with their own root.pub in it.
    real = Path(os.path.realpath(path.parent))
    for folder in (real, *real.parents):
        _only_root_can_write(os.stat(folder), folder)
    if len(data) > MAX_KEY_FILE_BYTES:
        raise TrustError(f"sync.root_key: {path} is larger than a public key file")
    return read_public_key(data, f"sync.root_key: {path}")


def read_public_key(data: bytes, what: str) -> bytes:
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        raise TrustError(f"{what} is not a PEM public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise TrustError(f"{what} is not an Ed25519 public key")
    return public_bytes(key)


# --- the publishing machine: private keys and the key list ------------------------------------

def new_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def write_private_key(path: Path, key: Ed25519PrivateKey) -> None:
    """Writes a private key readable by its owner only; never replaces an existing file."""
    data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def write_public_key(path: Path, key: Ed25519PrivateKey) -> None:
    data = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    path.write_bytes(data)
    path.chmod(0o644)


def read_private_key(path: Path) -> Ed25519PrivateKey:
    """An Ed25519 private key from a PEM file; refused if others may read it. Raises TrustError."""
    try:
        info = path.stat()
        data = path.read_bytes()[:MAX_KEY_FILE_BYTES + 1]
    except OSError as exc:
        raise TrustError(f"cannot read the key {path}: {exc.strerror or exc}") from None
    if info.st_mode & 0o077:
        raise TrustError(f"the private key {path} may be read by others (mode {info.st_mode & 0o777:o}): "
                         "chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise TrustError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise TrustError(f"{path} is not an Ed25519 private key")
    return key


def sign_key_list(root: Ed25519PrivateKey, keys: KeyList) -> Signed:
    body = keys.to_bytes()
    return Signed(body, (sign(root, body),))


def read_signed_key_list(path: Path) -> tuple[Signed, KeyList]:
    """keys.json as `kiosk keys` wrote it: the root-signed key list, and its content. Raises TrustError."""
    from kiosk.core.trust import parse_key_list

    try:
        data = path.read_bytes()[:MAX_KEYS_BYTES * 2 + 1]
        parsed = loads_json(data)
    except (OSError, ValueError) as exc:
        raise TrustError(f"cannot read the key list {path}: {exc}") from None
    signed = parse_signed(parsed, str(path), MAX_KEYS_BYTES)
    return signed, parse_key_list(signed.body)


class Signer:
    """Signs manifests on the publishing machine: one publish key, and the root-signed key list it belongs to."""

    def __init__(self, key: Ed25519PrivateKey, keys: Signed, key_list: KeyList,
                 valid_for: dt.timedelta = dt.timedelta(days=7)) -> None:
        self.key = key
        self.keys = keys
        self.key_list = key_list
        self.keyid = key_id(public_bytes(key))
        self.valid_for = valid_for
        if self.keyid not in key_list.keys:
            raise TrustError(f"the publish key {self.keyid[:16]} is not in the key list (version "
                             f"{key_list.version}): revoked, or the wrong keys.json")

    @classmethod
    def from_files(cls, key_file: Path, keys_file: Path | None = None,
                   valid_for: dt.timedelta = dt.timedelta(days=7)) -> Signer:
        """The publish key, and keys.json beside it unless named."""
        signed, key_list = read_signed_key_list(keys_file or key_file.parent / "keys.json")
        return cls(read_private_key(key_file), signed, key_list, valid_for)

    def envelope(self, manifest_body: bytes) -> Envelope:
        return Envelope(self.keys, Signed(manifest_body, (sign(self.key, manifest_body),)))


def load_public_from_private(path: Path) -> bytes:
    """The raw public key of a private key file (the root key, to check keys.json against it)."""
    return public_bytes(read_private_key(path))
