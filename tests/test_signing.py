"""Real Ed25519: signatures, the pinned root key file a box trusts only if root alone can write it, private keys."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from kiosk.boundary.signing import (
    Signer,
    load_root_key,
    new_private_key,
    public_bytes,
    read_private_key,
    read_signed_key_list,
    sign,
    sign_key_list,
    verify,
    write_private_key,
    write_public_key,
)
from kiosk.core.trust import KeyList, TrustError, judge, key_id

as_root = pytest.mark.skipif(os.geteuid() != 0, reason="making files owned by others needs root")
NOW = dt.datetime.now(dt.timezone.utc)


def test_a_signature_verifies_over_exactly_its_bytes():
    key = new_private_key()
    keyid, signature = sign(key, b"manifest")
    assert keyid == key_id(public_bytes(key))
    assert verify(public_bytes(key), signature, b"manifest")
    assert not verify(public_bytes(key), signature, b"manifesT")
    assert not verify(public_bytes(new_private_key()), signature, b"manifest")
    assert not verify(b"\0" * 31, signature, b"manifest")  # not a key at all: False, not an exception


@pytest.fixture
def keys(tmp_path):
    """A root key, one publish key and keys.json, as `kiosk keys init` makes them."""
    folder = tmp_path / "keys"
    folder.mkdir(mode=0o700)
    root, publish = new_private_key(), new_private_key()
    write_private_key(folder / "root.key", root)
    write_public_key(folder / "root.pub", root)
    write_private_key(folder / "publish.key", publish)
    key_list = KeyList(1, NOW + dt.timedelta(days=30), {key_id(public_bytes(publish)): public_bytes(publish)})
    import json

    (folder / "keys.json").write_text(json.dumps(sign_key_list(root, key_list).to_data()))
    return folder


def test_a_root_only_key_file_is_read(keys):
    assert load_root_key(keys / "root.pub") == public_bytes(read_private_key(keys / "root.key"))


def test_a_key_file_writable_by_others_is_refused(keys):
    (keys / "root.pub").chmod(0o664)
    with pytest.raises(TrustError, match="writable by its group or by anyone"):
        load_root_key(keys / "root.pub")
    (keys / "root.pub").chmod(0o646)
    with pytest.raises(TrustError, match="writable by its group or by anyone"):
        load_root_key(keys / "root.pub")


def test_a_key_file_in_a_folder_others_can_write_is_refused(keys):
    keys.chmod(0o777)  # anyone could put another root.pub in its place
    with pytest.raises(TrustError, match=f"{keys}.* writable by its group or by anyone"):
        load_root_key(keys / "root.pub")
    keys.chmod(0o1777)  # sticky, as /tmp: others cannot replace root's file
    assert load_root_key(keys / "root.pub")


@as_root
def test_a_key_file_owned_by_another_user_is_refused(keys):
    os.chown(keys / "root.pub", 1000, 1000)
    with pytest.raises(TrustError, match="belongs to uid 1000, not root"):
        load_root_key(keys / "root.pub")
    os.chown(keys / "root.pub", 0, 0)
    os.chown(keys, 1000, 0)
    with pytest.raises(TrustError, match="belongs to uid 1000"):
        load_root_key(keys / "root.pub")


def test_a_link_a_fifo_a_missing_file_and_other_keys_are_refused(keys, tmp_path):
    (keys / "link.pub").symlink_to(keys / "root.pub")
    with pytest.raises(TrustError, match="cannot open"):
        load_root_key(keys / "link.pub")
    os.mkfifo(keys / "fifo.pub")
    with pytest.raises(TrustError, match="not a regular file"):
        load_root_key(keys / "fifo.pub")
    with pytest.raises(TrustError, match="cannot open"):
        load_root_key(keys / "missing.pub")
    (keys / "junk.pub").write_bytes(b"-----BEGIN PUBLIC KEY-----\nnonsense\n-----END PUBLIC KEY-----\n")
    with pytest.raises(TrustError, match="not a PEM public key"):
        load_root_key(keys / "junk.pub")
    ec_key = ec.generate_private_key(ec.SECP256R1()).public_key()
    (keys / "ec.pub").write_bytes(ec_key.public_bytes(serialization.Encoding.PEM,
                                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    with pytest.raises(TrustError, match="not an Ed25519 public key"):
        load_root_key(keys / "ec.pub")
    (keys / "huge.pub").write_bytes(b"x" * 100_000)
    with pytest.raises(TrustError, match="larger than a public key file"):
        load_root_key(keys / "huge.pub")


def test_private_keys_are_written_for_their_owner_only_and_never_replaced(keys):
    assert (keys / "publish.key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(FileExistsError):
        write_private_key(keys / "publish.key", new_private_key())
    (keys / "publish.key").chmod(0o640)
    with pytest.raises(TrustError, match="may be read by others"):
        read_private_key(keys / "publish.key")


def test_the_signer_makes_envelopes_a_box_accepts_with_the_real_signature(keys):
    signer = Signer.from_files(keys / "publish.key")
    body = b'{"serial": 5, "generated": "2026-12-18T08:00:00+09:00", "expires": "%s", "files": []}' % (
        (NOW + dt.timedelta(days=7)).isoformat().encode())
    data = signer.envelope(body).to_bytes()
    root = load_root_key(keys / "root.pub")
    result = judge(data, root, verify, None, NOW, True, 1 << 20)
    assert result.accepted and result.body == body
    forged = data.replace(b'"body": "', b'"body": "A', 1)  # one character more in the key list's bytes
    assert not judge(forged, root, verify, None, NOW, True, 1 << 20).accepted
    other_root = public_bytes(new_private_key())
    assert "not signed by the pinned root key" in judge(data, other_root, verify, None, NOW, True, 1 << 20).refused


def test_a_publish_key_missing_from_the_key_list_cannot_sign(keys):
    write_private_key(keys / "stray.key", new_private_key())
    with pytest.raises(TrustError, match="is not in the key list"):
        Signer.from_files(keys / "stray.key")


def test_a_damaged_keys_json_is_refused_by_name(keys):
    (keys / "keys.json").write_text("{not json")
    with pytest.raises(TrustError, match="cannot read the key list"):
        read_signed_key_list(keys / "keys.json")
    with pytest.raises(TrustError, match="cannot read the key list"):
        read_signed_key_list(keys / "absent.json")


def test_public_and_private_files_are_pem(keys):
    assert (keys / "root.pub").read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----")
    assert (keys / "root.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert isinstance(read_private_key(keys / "root.key"), type(new_private_key()))
    assert Path(keys / "root.pub").stat().st_mode & 0o777 == 0o644


@as_root
def test_a_folder_link_cannot_hide_a_folder_another_user_owns(keys, tmp_path):
    """/etc/kiosk/link -> .../theirs/rootdir: rootdir is root's, but the user who owns `theirs` can rename
    it away and put a folder of their own, with their own root.pub, where the link leads."""
    theirs = tmp_path / "theirs"
    (theirs / "rootdir").mkdir(parents=True)
    os.chown(theirs, 1000, 1000)
    (theirs / "rootdir" / "root.pub").write_bytes((keys / "root.pub").read_bytes())
    (keys / "link").symlink_to(theirs / "rootdir")
    with pytest.raises(TrustError, match="belongs to uid 1000"):
        load_root_key(keys / "link" / "root.pub")
    os.chown(theirs, 0, 0)
    assert load_root_key(keys / "link" / "root.pub") == load_root_key(keys / "root.pub")
