"""Whether a box may trust a published manifest: the signed envelope, the key list, and the rules.

Pure: bytes, the pinned root key, the last accepted record, the time and
whether the clock can be believed go in; a `Verdict` comes out. The one
cryptographic step, checking an Ed25519 signature, is passed in as a
function (`Verify`), so this module never imports a crypto library
(kiosk.boundary.signing supplies the real one).

The design follows The Update Framework (TUF), reduced to two roles:

    root key     offline; signs the key list (which publish keys count)
    publish key  on the publishing machine; signs each manifest

`manifest.json` on the server is one envelope, fetched in one request so
that the key list and the manifest can never be read from two moments:

    {"format": "kiosk-signed/1",
     "keys":     {"body": <base64 of the key list's bytes>, "signatures": [{"keyid": .., "sig": <base64>}]},
     "manifest": {"body": <base64 of the manifest's bytes>, "signatures": [{"keyid": .., "sig": <base64>}]}}

The signatures cover the exact bytes of each body; a body is parsed as
JSON only after its signature checked out.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any, Callable

from kiosk.core.errors import ManifestError
from kiosk.core.values import excerpt, loads_json

FORMAT = "kiosk-signed/1"
KEYS_TYPE = "kiosk-keys"
MAX_KEYS_BYTES = 64 * 1024  # the key list's body
MAX_SIGNATURES = 8  # per body
MAX_PUBLISH_KEYS = 32
PUBLIC_KEY_BYTES = 32  # Ed25519
SIGNATURE_BYTES = 64
MAX_ENVELOPE_STRUCTURE = 512  # '{', '[', ',' and ':' bytes: an envelope has a few dozen, base64 and hex none

Verify = Callable[[bytes, bytes, bytes], bool]
"""(raw public key, signature, message) -> whether the signature is the key's over exactly those bytes."""


class TrustError(ManifestError):
    """A manifest the box refuses for its signatures, its version or its age."""


def key_id(public_key: bytes) -> str:
    """A public key's name in the key list and in signatures: the sha256 of its 32 raw bytes, in hex."""
    return hashlib.sha256(public_key).hexdigest()


@dataclass(frozen=True)
class Signed:
    """A body of exact bytes and the signatures over them."""

    body: bytes
    signatures: tuple[tuple[str, bytes], ...]  # (keyid, signature)

    def to_data(self) -> dict[str, Any]:
        return {"body": base64.b64encode(self.body).decode("ascii"),
                "signatures": [{"keyid": keyid, "sig": base64.b64encode(sig).decode("ascii")}
                               for keyid, sig in self.signatures]}


@dataclass(frozen=True)
class Envelope:
    keys: Signed
    manifest: Signed

    def to_bytes(self) -> bytes:
        return (json.dumps({"format": FORMAT, "keys": self.keys.to_data(), "manifest": self.manifest.to_data()},
                           indent=1) + "\n").encode("ascii")


@dataclass(frozen=True)
class KeyList:
    """The root's list of publish keys: a version that only rises, an expiry, keyid -> raw public key."""

    version: int
    expires: dt.datetime
    keys: dict[str, bytes]

    def to_bytes(self) -> bytes:
        return json.dumps({
            "type": KEYS_TYPE, "version": self.version, "expires": iso(self.expires),
            "publish_keys": {keyid: base64.b64encode(raw).decode("ascii") for keyid, raw in sorted(self.keys.items())},
        }, indent=1).encode("ascii")


@dataclass(frozen=True)
class Record:
    """What a box remembers of the last manifest it accepted, to refuse rollback and equivocation."""

    keys_version: int
    keys_sha256: str
    serial: int
    sha256: str  # of the manifest body's bytes
    generated: str
    expires: str

    def to_data(self) -> dict[str, Any]:
        return dict(self.__dict__)

    @staticmethod
    def from_data(data: Any) -> Record | None:
        """The record from sync.json, or None when it is missing or damaged (then nothing was accepted yet)."""
        if not isinstance(data, dict):
            return None
        try:
            record = Record(**{name: data[name] for name in Record.__dataclass_fields__})
        except (KeyError, TypeError):
            return None
        ints = (record.keys_version, record.serial)
        texts = (record.keys_sha256, record.sha256, record.generated, record.expires)
        if any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in ints) or \
                any(not isinstance(t, str) or len(t) > 100 for t in texts):
            return None
        return record


@dataclass(frozen=True)
class Verdict:
    """Accepted (the manifest body to apply, and the record to keep) or refused (why)."""

    body: bytes | None
    record: Record | None
    refused: str | None = None
    warning: str | None = None  # accepted, but the box should say something (expiry not checked)

    @property
    def accepted(self) -> bool:
        return self.refused is None


def iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(value: Any, what: str) -> dt.datetime:
    """An ISO-8601 time with an offset (or Z); anything else raises TrustError naming `what`."""
    if not isinstance(value, str) or len(value) > 40:
        raise TrustError(f"{what} must be an ISO-8601 time, got {excerpt(value)}")
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise TrustError(f"{what} must be an ISO-8601 time, got {excerpt(value)}") from None
    if moment.tzinfo is None:
        raise TrustError(f"{what} has no UTC offset: {excerpt(value)}")
    return moment


def _b64(value: Any, what: str, limit: int) -> bytes:
    if not isinstance(value, str) or len(value) > limit * 4 // 3 + 4:
        raise TrustError(f"{what} must be base64 text of at most {limit:,} bytes")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise TrustError(f"{what} is not valid base64") from None


def parse_signed(data: Any, what: str, limit: int) -> Signed:
    """A signed body from its JSON form; raises TrustError."""
    if not isinstance(data, dict):
        raise TrustError(f"{what} must be an object")
    body = _b64(data.get("body"), f"{what}.body", limit)
    if len(body) > limit:
        raise TrustError(f"{what}.body is over {limit:,} bytes")
    entries = data.get("signatures")
    if not isinstance(entries, list) or len(entries) > MAX_SIGNATURES:
        raise TrustError(f"{what}.signatures must be a list of at most {MAX_SIGNATURES}")
    signatures = []
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("keyid"), str) or len(entry["keyid"]) != 64:
            raise TrustError(f"{what}: each signature needs a keyid of 64 hex digits")
        sig = _b64(entry.get("sig"), f"{what} signature", SIGNATURE_BYTES)
        if len(sig) != SIGNATURE_BYTES:
            raise TrustError(f"{what}: a signature must be {SIGNATURE_BYTES} bytes, got {len(sig)}")
        signatures.append((entry["keyid"], sig))
    return Signed(body, tuple(signatures))


def looks_signed(data: bytes) -> bool:
    """Whether the bytes claim to be an envelope (cheaply: before a full parse)."""
    return b'"format"' in data[:200] and FORMAT.encode() in data[:200]


def parse_envelope(data: bytes, max_manifest_bytes: int) -> Envelope:
    """The envelope's two signed bodies, still unparsed; raises TrustError for anything else."""
    # Counted before a single object is made: 24 MB of '[],' would become 1 GB of Python lists, unsigned.
    structure = sum(data.count(byte) for byte in (b"{", b"[", b",", b":"))
    if structure > MAX_ENVELOPE_STRUCTURE:
        raise TrustError(f"not a signed manifest: {structure:,} objects, lists or items where an envelope has at "
                         f"most {MAX_ENVELOPE_STRUCTURE}")
    try:
        parsed = loads_json(data)
    except ValueError as exc:
        raise TrustError(f"not a signed manifest: not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(parsed, dict) or parsed.get("format") != FORMAT:
        raise TrustError("unsigned: this box pins a root key (sync.root_key) and accepts only signed manifests")
    return Envelope(parse_signed(parsed.get("keys"), "keys", MAX_KEYS_BYTES),
                    parse_signed(parsed.get("manifest"), "manifest", max_manifest_bytes))


def _signed_by(signed: Signed, keys: dict[str, bytes], verify: Verify) -> str | None:
    """The keyid of the first good signature by one of `keys`, or None."""
    for keyid, sig in signed.signatures:
        public = keys.get(keyid)
        if public is not None and verify(public, sig, signed.body):
            return keyid
    return None


def parse_key_list(body: bytes) -> KeyList:
    """The key list's content (its signature already checked)."""
    try:
        data = loads_json(body)
    except ValueError as exc:
        raise TrustError(f"key list: not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(data, dict) or data.get("type") != KEYS_TYPE:
        raise TrustError(f"key list: not a {KEYS_TYPE} document")
    version = data.get("version")
    if isinstance(version, bool) or not isinstance(version, int) or not 1 <= version < 1 << 53:
        raise TrustError(f"key list: version must be a whole number from 1, got {excerpt(version)}")
    expires = parse_time(data.get("expires"), "key list expires")
    entries = data.get("publish_keys")
    if not isinstance(entries, dict) or not 1 <= len(entries) <= MAX_PUBLISH_KEYS:
        raise TrustError(f"key list: publish_keys must name 1 to {MAX_PUBLISH_KEYS} keys")
    keys: dict[str, bytes] = {}
    for keyid, text in entries.items():
        raw = _b64(text, "key list: a publish key", PUBLIC_KEY_BYTES)
        if len(raw) != PUBLIC_KEY_BYTES or key_id(raw) != keyid:
            raise TrustError(f"key list: publish key {excerpt(keyid)} is not a {PUBLIC_KEY_BYTES}-byte key of that id")
        keys[keyid] = raw
    return KeyList(version, expires, keys)


@dataclass(frozen=True)
class ManifestTimes:
    serial: int
    generated: str
    expires: dt.datetime
    keys_version: int | None = None  # the key list version the manifest says it was signed under


def manifest_times(body: bytes) -> ManifestTimes:
    """The serial, generation time and expiry of a manifest body (its signature already checked)."""
    try:
        data = loads_json(body)
    except ValueError as exc:
        raise TrustError(f"manifest: not valid JSON ({str(exc)[:100]})") from None
    if not isinstance(data, dict):
        raise TrustError("manifest: must be a JSON object")
    serial = data.get("serial")
    if isinstance(serial, bool) or not isinstance(serial, int) or not 1 <= serial < 1 << 63:
        raise TrustError(f"manifest: serial must be a whole number from 1, got {excerpt(serial)}")
    parse_time(data.get("generated"), "manifest generated")
    keys_version = data.get("keys_version")
    if keys_version is not None and (isinstance(keys_version, bool) or not isinstance(keys_version, int)
                                     or not 1 <= keys_version < 1 << 53):
        raise TrustError(f"manifest: keys_version must be a whole number from 1, got {excerpt(keys_version)}")
    return ManifestTimes(serial, data["generated"], parse_time(data.get("expires"), "manifest expires"),
                         keys_version)


def judge(
    data: bytes,
    root_key: bytes,
    verify: Verify,
    last: Record | None,
    now: dt.datetime,
    clock_trusted: bool,
    max_manifest_bytes: int,
) -> Verdict:
    """Accepts or refuses a fetched manifest.json for a box that pins `root_key`.

    Checked in this order, the first failure refusing the whole manifest:
    the envelope's shape and sizes; the key list signed by the root key,
    not older than the last accepted and not another list under the same
    version, not expired; the manifest signed by a key of that list; its
    serial not older than the last accepted, and not the same serial with
    other bytes; not expired. Expiry is judged only when `clock_trusted`.
    """
    try:
        envelope = parse_envelope(data, max_manifest_bytes)
        root_id = key_id(root_key)
        if _signed_by(envelope.keys, {root_id: root_key}, verify) is None:
            if any(keyid == root_id for keyid, _sig in envelope.keys.signatures):
                raise TrustError("the key list's signature does not match the pinned root key: altered or forged")
            raise TrustError("the key list is not signed by the pinned root key")
        keys = parse_key_list(envelope.keys.body)
        keys_sha = hashlib.sha256(envelope.keys.body).hexdigest()
        if last is not None:
            if keys.version < last.keys_version:
                raise TrustError(f"key list rollback: version {keys.version} is older than version "
                                 f"{last.keys_version}, already accepted")
            if keys.version == last.keys_version and keys_sha != last.keys_sha256:
                raise TrustError(f"key list version {keys.version} differs from the one accepted under that version")
        if clock_trusted and now >= keys.expires:
            raise TrustError(f"the key list expired at {iso(keys.expires)}: the root key must sign a new one")
        if _signed_by(envelope.manifest, keys.keys, verify) is None:
            if any(keyid in keys.keys for keyid, _sig in envelope.manifest.signatures):
                raise TrustError("the manifest's signature does not match: altered or forged")
            raise TrustError("the manifest is not signed by a publish key of the key list (unknown or revoked key)")
        times = manifest_times(envelope.manifest.body)
        sha = hashlib.sha256(envelope.manifest.body).hexdigest()
        if times.keys_version is not None and times.keys_version != keys.version:
            raise TrustError(f"the manifest was signed under key list version {times.keys_version} but comes with "
                             f"version {keys.version}: mixed")
        # A manifest signed under a newer key list than the last accepted one starts a new run of serials
        # (TUF's recovery from a fast-forward): a revoked key that signed serial 2^63 - 1 must not freeze
        # the box for ever. Only a key of the new list can sign such a manifest.
        restarted = times.keys_version is not None and last is not None and keys.version > last.keys_version
        if last is not None and not restarted:
            if times.serial < last.serial:
                raise TrustError(f"rollback: manifest serial {times.serial} is older than serial {last.serial}, "
                                 "already accepted")
            if times.serial == last.serial and sha != last.sha256:
                raise TrustError(f"manifest serial {times.serial} differs from the one accepted under that serial")
        if clock_trusted and now >= times.expires:
            raise TrustError(f"the manifest expired at {iso(times.expires)}: the publishing machine's re-signing "
                             "has stopped, or the server holds back newer ones")
    except TrustError as exc:
        return Verdict(None, None, str(exc))
    record = Record(keys.version, keys_sha, times.serial, sha, times.generated, iso(times.expires))
    warning = None if clock_trusted else "the clock is not synchronised: the manifest's expiry was not checked"
    return Verdict(envelope.manifest.body, record, None, warning)


def unpinned_body(data: bytes, max_manifest_bytes: int) -> bytes:
    """The manifest body of a box without a root key: a plain manifest as it is, an envelope's body unchecked."""
    if not looks_signed(data):
        return data
    return parse_envelope(data, max_manifest_bytes).manifest.body


def still_fresh(record: Record | None, now: dt.datetime, clock_trusted: bool) -> str | None:
    """Why the manifest the box holds may no longer be trusted (it expired), or None.

    For the round where the server answers 304: a server that never says
    anything changed must not keep a box on old content past its expiry.
    """
    if record is None or not clock_trusted:
        return None
    try:
        expires = parse_time(record.expires, "expires")
    except TrustError:
        return "the accepted manifest's expiry cannot be read"
    if now >= expires:
        return (f"the manifest expired at {record.expires}: the publishing machine's re-signing has stopped, "
                "or the server holds back newer ones")
    return None


def trust_status(pinned: bool, record: Record | None, refused: str | None, refused_at: str | None,
                 syncing: bool = True) -> dict[str, Any]:
    """status.json's `trust` block."""
    if not pinned:
        state = "unpinned" if syncing else "none"
    elif refused is not None:
        state = "refused"
    else:
        state = "accepted" if record is not None else "none"
    return {
        "pinned": pinned, "state": state,
        "version": record.serial if record is not None else None,
        "expires": record.expires if record is not None else None,
        "refused": refused if pinned else None,
        "refused_at": refused_at if pinned and refused is not None else None,
    }
