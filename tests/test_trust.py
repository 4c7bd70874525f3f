"""The rules of trust, with plain data: a working stand-in signature scheme, fixed times, no files, no network.

The stand-in signs with sha512(public key + message): it is no signature
(anyone can compute it), but it behaves as one for the rules: a different
key or a changed byte fails. The real Ed25519 is tested in test_signing.py.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.trust import (
    FORMAT,
    MAX_KEYS_BYTES,
    MAX_SIGNATURES,
    Envelope,
    KeyList,
    Record,
    Signed,
    TrustError,
    judge,
    key_id,
    parse_envelope,
    parse_key_list,
    still_fresh,
    trust_status,
    unpinned_body,
)

NOW = dt.datetime(2026, 12, 18, 9, 0, tzinfo=dt.timezone.utc)
LIMIT = 1 << 20
ROOT, OTHER_ROOT = b"R" * 32, b"Q" * 32
PUBLISH_A, PUBLISH_B = b"A" * 32, b"B" * 32


def fake_sign(public: bytes, message: bytes) -> bytes:
    return hashlib.sha512(public + message).digest()


def fake_verify(public: bytes, signature: bytes, message: bytes) -> bool:
    return signature == fake_sign(public, message)


def signed(body: bytes, *signers: bytes) -> Signed:
    return Signed(body, tuple((key_id(key), fake_sign(key, body)) for key in signers))


def key_list(version=1, keys=(PUBLISH_A,), expires=NOW + dt.timedelta(days=365)) -> bytes:
    return KeyList(version, expires, {key_id(key): key for key in keys}).to_bytes()


def manifest(serial=10, expires=NOW + dt.timedelta(days=7), files=()) -> bytes:
    return json.dumps({"version": "c0ffee", "serial": serial, "generated": "2026-12-18T08:00:00+09:00",
                       "expires": expires.isoformat(), "files": list(files)}).encode()


def envelope(manifest_body=None, keys_body=None, root=ROOT, publisher=PUBLISH_A) -> bytes:
    keys_body = key_list() if keys_body is None else keys_body
    manifest_body = manifest() if manifest_body is None else manifest_body
    return Envelope(signed(keys_body, root), signed(manifest_body, publisher)).to_bytes()


def verdict(data: bytes, last: Record | None = None, now=NOW, clock_trusted=True):
    return judge(data, ROOT, fake_verify, last, now, clock_trusted, LIMIT)


def accepted(data: bytes, last: Record | None = None) -> Record:
    result = verdict(data, last)
    assert result.accepted, result.refused
    assert result.record is not None
    return result.record


def test_a_good_envelope_is_accepted_with_its_exact_manifest_bytes():
    body = manifest(serial=42)
    result = verdict(envelope(body))
    assert result.accepted and result.body == body
    assert result.record.serial == 42 and result.record.keys_version == 1
    assert result.record.sha256 == hashlib.sha256(body).hexdigest()
    assert result.record.expires == "2026-12-25T09:00:00Z"


@pytest.mark.parametrize("data, reason", [
    (manifest(), "unsigned"),
    (json.dumps({"version": "v", "generated": "x", "files": []}).encode(), "unsigned"),
    (b"", "not valid JSON"),
    (b"[]", "unsigned"),
])
def test_an_unsigned_manifest_is_refused(data, reason):
    assert reason in verdict(data).refused


def test_a_key_list_signed_by_another_root_is_refused():
    assert "not signed by the pinned root key" in verdict(envelope(root=OTHER_ROOT)).refused


def test_a_key_list_altered_after_signing_is_refused():
    good = Envelope(signed(key_list(), ROOT), signed(manifest(), PUBLISH_A))
    # The attacker adds their own publish key to the list and keeps the root's signature.
    altered = Envelope(Signed(key_list(keys=(PUBLISH_A, PUBLISH_B)), good.keys.signatures), good.manifest)
    assert "does not match the pinned root key" in verdict(altered.to_bytes()).refused


def test_a_manifest_signed_by_a_key_not_in_the_list_is_refused():
    assert "unknown or revoked" in verdict(envelope(publisher=PUBLISH_B)).refused
    assert "unknown or revoked" in verdict(envelope(publisher=ROOT)).refused  # the root only signs keys


def test_a_manifest_altered_by_one_byte_is_refused():
    body = manifest()
    good = Envelope(signed(key_list(), ROOT), signed(body, PUBLISH_A))
    altered = body.replace(b"c0ffee", b"c0ffef")
    forged = Envelope(good.keys, Signed(altered, good.manifest.signatures))
    assert "altered or forged" in verdict(forged.to_bytes()).refused


def test_one_good_signature_among_bad_ones_is_enough_and_bad_ones_alone_are_not():
    body = manifest()
    junk = (key_id(PUBLISH_A), b"\0" * 64)
    both = Envelope(signed(key_list(), ROOT), Signed(body, (junk, (key_id(PUBLISH_A), fake_sign(PUBLISH_A, body)))))
    assert verdict(both.to_bytes()).accepted
    only_junk = Envelope(signed(key_list(), ROOT), Signed(body, (junk,)))
    assert not verdict(only_junk.to_bytes()).accepted


def test_an_older_manifest_is_refused_as_a_rollback():
    last = accepted(envelope(manifest(serial=20)))
    result = verdict(envelope(manifest(serial=19)), last)
    assert "rollback" in result.refused and "19" in result.refused and "20" in result.refused


def test_the_same_serial_is_accepted_again_only_with_the_same_bytes():
    last = accepted(envelope(manifest(serial=20)))
    assert verdict(envelope(manifest(serial=20)), last).accepted
    other = manifest(serial=20, files=[{"path": "answers/x.jpg", "sha256": "a" * 64, "size": 1}])
    assert "differs from the one accepted" in verdict(envelope(other), last).refused


def test_a_newer_manifest_is_accepted_and_moves_the_record_on():
    last = accepted(envelope(manifest(serial=20)))
    assert accepted(envelope(manifest(serial=21)), last).serial == 21


def test_an_expired_manifest_is_refused_once_the_clock_is_trusted():
    old = envelope(manifest(expires=NOW - dt.timedelta(seconds=1)))
    assert "expired at 2026-12-18T08:59:59Z" in verdict(old).refused
    unsure = verdict(old, clock_trusted=False)
    assert unsure.accepted and "not synchronised" in unsure.warning


def test_an_expired_key_list_is_refused():
    data = envelope(keys_body=key_list(expires=NOW - dt.timedelta(days=1)))
    assert "key list expired" in verdict(data).refused


def test_a_key_list_rollback_is_refused_so_a_revoked_key_stays_revoked():
    # Version 2 revokes A; an attacker holding A replays version 1 (which lists A) with a manifest A signed.
    last = accepted(envelope(keys_body=key_list(2, (PUBLISH_B,)), publisher=PUBLISH_B))
    replayed = envelope(manifest(serial=last.serial + 1), key_list(1, (PUBLISH_A,)), publisher=PUBLISH_A)
    assert "key list rollback" in verdict(replayed, last).refused
    # And with version 2 itself, A's signature counts for nothing.
    assert "unknown or revoked" in verdict(envelope(manifest(serial=last.serial + 1), key_list(2, (PUBLISH_B,))),
                                           last).refused


def test_another_key_list_under_the_same_version_is_refused():
    last = accepted(envelope(keys_body=key_list(3, (PUBLISH_A,))))
    twin = key_list(3, (PUBLISH_A, PUBLISH_B))
    assert "key list version 3 differs" in verdict(envelope(manifest(serial=11), twin), last).refused


def test_a_rotated_key_list_is_accepted():
    last = accepted(envelope())
    signed = envelope(manifest(serial=11), key_list(2, (PUBLISH_B,)), publisher=PUBLISH_B)
    assert accepted(signed, last).keys_version == 2


@pytest.mark.parametrize("change, reason", [
    (lambda d: d["manifest"].update(signatures=[{"keyid": "a" * 64, "sig": "AA=="}] * (MAX_SIGNATURES + 1)),
     "at most"),
    (lambda d: d["manifest"].update(signatures=[{"keyid": "a" * 64, "sig": base64.b64encode(b"x" * 65).decode()}]),
     "64 bytes"),
    (lambda d: d["keys"].update(body=base64.b64encode(b" " * (MAX_KEYS_BYTES + 1)).decode()), "over 65,536 bytes"),
    (lambda d: d["manifest"].update(body="not base64!"), "not valid base64"),
    (lambda d: d["manifest"].update(body=12), "base64 text"),
    (lambda d: d.update(keys=[]), "must be an object"),
    (lambda d: d["manifest"]["signatures"][0].update(keyid="short"), "64 hex digits"),
])
def test_a_malformed_or_oversized_envelope_is_refused_by_name(change, reason):
    data = json.loads(envelope())
    change(data)
    assert reason in verdict(json.dumps(data).encode()).refused


def test_a_manifest_body_over_the_cap_is_refused_before_it_is_decoded():
    data = envelope(manifest(files=[{"path": f"answers/{n}.jpg", "sha256": "a" * 64, "size": 1}
                                    for n in range(100)]))
    assert "at most" in judge(data, ROOT, fake_verify, None, NOW, True, 1000).refused


@pytest.mark.parametrize("body, reason", [
    (json.dumps({"type": "other"}).encode(), "not a kiosk-keys document"),
    (json.dumps({"type": "kiosk-keys", "version": 0, "expires": "2030-01-01T00:00:00Z",
                 "publish_keys": {}}).encode(), "version"),
    (json.dumps({"type": "kiosk-keys", "version": 1, "expires": "2030-01-01",
                 "publish_keys": {key_id(PUBLISH_A): base64.b64encode(PUBLISH_A).decode()}}).encode(), "UTC offset"),
    (json.dumps({"type": "kiosk-keys", "version": 1, "expires": "2030-01-01T00:00:00Z",
                 "publish_keys": {}}).encode(), "1 to 32"),
    (json.dumps({"type": "kiosk-keys", "version": 1, "expires": "2030-01-01T00:00:00Z",
                 "publish_keys": {"b" * 64: base64.b64encode(PUBLISH_A).decode()}}).encode(), "not a 32-byte key"),
])
def test_a_bad_key_list_is_refused_even_when_the_root_signed_it(body, reason):
    with pytest.raises(TrustError, match=reason):
        parse_key_list(body)
    assert reason in verdict(envelope(keys_body=body)).refused


@pytest.mark.parametrize("serial", [0, -1, True, "12", 1.5, None, 1 << 63])
def test_a_signed_manifest_needs_a_whole_serial(serial):
    body = json.dumps({"serial": serial, "generated": "2026-12-18T08:00:00+09:00",
                       "expires": "2026-12-25T00:00:00Z", "files": []}).encode()
    assert "serial" in verdict(envelope(body)).refused


def test_a_box_without_a_root_key_takes_a_plain_manifest_or_an_envelopes_body_as_they_are():
    assert unpinned_body(manifest(), LIMIT) == manifest()
    assert unpinned_body(envelope(manifest(serial=5), root=OTHER_ROOT), LIMIT) == manifest(serial=5)


def test_a_manifest_kept_past_its_expiry_is_no_longer_fresh():
    record = accepted(envelope(manifest(expires=NOW + dt.timedelta(hours=1))))
    assert still_fresh(record, NOW, True) is None
    assert "expired" in still_fresh(record, NOW + dt.timedelta(hours=2), True)
    assert still_fresh(record, NOW + dt.timedelta(hours=2), False) is None
    assert still_fresh(None, NOW, True) is None


def test_the_record_survives_a_round_trip_and_damage_means_none():
    record = accepted(envelope())
    assert Record.from_data(json.loads(json.dumps(record.to_data()))) == record
    for damaged in (None, [], {}, {**record.to_data(), "serial": "1"}, {**record.to_data(), "serial": True},
                    {**record.to_data(), "expires": "x" * 1000}, {k: v for k, v in record.to_data().items()
                                                                    if k != "sha256"}):
        assert Record.from_data(damaged) is None


def test_the_status_block_says_each_state():
    record = accepted(envelope(manifest(serial=7)))
    assert trust_status(False, None, None, None) == {
        "pinned": False, "state": "unpinned", "version": None, "expires": None, "refused": None, "refused_at": None}
    assert trust_status(False, None, None, None, syncing=False)["state"] == "none"
    assert trust_status(True, None, None, None)["state"] == "none"
    assert trust_status(True, record, None, None) == {
        "pinned": True, "state": "accepted", "version": 7, "expires": "2026-12-25T09:00:00Z", "refused": None,
        "refused_at": None}
    refused = trust_status(True, record, "rollback: ...", "2026-12-18T18:00:00+09:00")
    assert refused["state"] == "refused" and refused["version"] == 7 and refused["refused"] == "rollback: ..."
    assert refused["refused_at"] == "2026-12-18T18:00:00+09:00"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_judged_without_an_exception(data):
    result = verdict(data)
    assert not result.accepted and result.refused


@settings(max_examples=300, deadline=None)
@given(keys=json_values, manifest_part=json_values, fmt=st.sampled_from([FORMAT, "x", None]))
def test_any_json_shaped_like_an_envelope_is_refused_with_a_reason(keys, manifest_part, fmt):
    data = json.dumps({"format": fmt, "keys": keys, "manifest": manifest_part}).encode()
    result = verdict(data)
    assert not result.accepted and isinstance(result.refused, str)
    with pytest.raises(TrustError):
        parse_envelope(data, LIMIT)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_flipping_any_byte_of_a_signed_body_is_refused(data):
    good = Envelope(signed(key_list(), ROOT), signed(manifest(), PUBLISH_A))
    which = data.draw(st.sampled_from(["keys", "manifest"]))
    part = getattr(good, which)
    index = data.draw(st.integers(0, len(part.body) - 1))
    flipped = bytearray(part.body)
    flipped[index] ^= data.draw(st.integers(1, 255))
    changed = Signed(bytes(flipped), part.signatures)
    forged = Envelope(changed, good.manifest) if which == "keys" else Envelope(good.keys, changed)
    assert not verdict(forged.to_bytes()).accepted


def test_the_rules_import_no_crypto_library():
    import subprocess
    import sys

    code = ("import sys, kiosk.core.trust, kiosk.core.showstatus, kiosk.core.prometheus; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('cryptography', 'requests', 'pygame')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True).stdout
    assert out.strip() == "[]"


def bound_manifest(serial, keys_version):
    body = json.loads(manifest(serial))
    body["keys_version"] = keys_version
    return json.dumps(body).encode()


def test_a_new_key_list_recovers_from_a_revoked_key_that_fast_forwarded_the_serial():
    """TUF's fast-forward: a leaked publish key signs serial 2^63 - 1; once the root signs a key list
    without it, the office's next manifest must reach the boxes, without touching any of them."""
    evil = accepted(envelope(manifest((1 << 63) - 1), key_list(1, (PUBLISH_A,)), publisher=PUBLISH_A))
    rotated = key_list(2, (PUBLISH_B,))
    record = accepted(envelope(bound_manifest(1_800_000_000_000, 2), rotated, publisher=PUBLISH_B), evil)
    assert (record.keys_version, record.serial) == (2, 1_800_000_000_000)
    # ...and from then on the serial rises again under the new list: an older one is refused.
    refused = verdict(envelope(bound_manifest(1_700_000_000_000, 2), rotated, publisher=PUBLISH_B), record)
    assert "rollback" in refused.refused
    # The revoked key can sign no manifest of the new list, whatever version it claims.
    assert not verdict(envelope(bound_manifest((1 << 63) - 1, 2), rotated, publisher=PUBLISH_A), record).accepted


def test_a_manifest_carried_with_another_key_list_version_than_it_was_signed_under_is_refused():
    old = bound_manifest(100, 1)
    last = accepted(envelope(bound_manifest(200, 1), key_list(1, (PUBLISH_A, PUBLISH_B))))
    result = verdict(envelope(old, key_list(2, (PUBLISH_A,))), last)
    assert "mixed" in result.refused
    # A manifest that names no key list version gets no fresh start: its serial is compared as ever.
    assert "rollback" in verdict(envelope(manifest(100), key_list(2, (PUBLISH_A,))), last).refused


def test_an_envelope_of_junk_is_refused_before_it_becomes_objects():
    """Parsed before any signature can be checked: 24 MB of '[],' took 1.2 GB as Python lists, so an
    unsigned envelope is refused by its count of structure bytes before json makes a single object."""
    import tracemalloc

    junk = b'{"format": "kiosk-signed/1", "junk": [' + b"[]," * 200_000 + b"[]]}"
    tracemalloc.start()
    try:
        result = verdict(junk)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "not a signed manifest" in result.refused and "at most" in result.refused
    assert peak < 2 * len(junk)
    # The most an honest envelope holds (8 signatures on each body) is well inside the count.
    most = Envelope(signed(key_list(), *[bytes([n]) * 32 for n in range(8)]),
                    signed(manifest(), *[bytes([n]) * 32 for n in range(8)])).to_bytes()
    assert parse_envelope(most, LIMIT).manifest.body == manifest()
