"""The static site on disk: objects stored whole under their hash or not at all, garbage only after the grace
period, and a published manifest read back without trusting what lies there."""

import hashlib
import os

import pytest

from kiosk.boundary.staticsite import (
    MANIFEST, OBJECTS, SourceUnreadable, collect_garbage, current_manifest, store_bytes, store_object,
)


def test_an_object_is_stored_under_its_hash_once(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"picture")
    digest = hashlib.sha256(b"picture").hexdigest()
    assert store_object(source, tmp_path / "site", digest)
    assert (tmp_path / "site" / OBJECTS / digest).read_bytes() == b"picture"
    assert store_bytes(b"picture", tmp_path / "site") == (digest, False)  # there already


def test_a_source_that_changed_while_copied_is_not_stored_and_leaves_nothing_behind(tmp_path):
    source = tmp_path / "a.jpg"
    source.write_bytes(b"changed meanwhile")
    assert not store_object(source, tmp_path / "site", hashlib.sha256(b"what was hashed").hexdigest())
    assert os.listdir(tmp_path / "site" / OBJECTS) == []


def test_a_source_that_cannot_be_read_is_the_files_fault_not_the_sites(tmp_path):
    with pytest.raises(SourceUnreadable):
        store_object(tmp_path / "gone.jpg", tmp_path / "site", "0" * 64)
    assert os.listdir(tmp_path / "site" / OBJECTS) == []


def test_an_unreferenced_object_goes_only_after_the_grace_period(tmp_path):
    site = tmp_path / "site"
    kept = store_bytes(b"kept", site)[0]
    store_bytes(b"dropped", site)
    assert collect_garbage(site, {kept}, grace_seconds=100, now=1000.0) == 0
    assert collect_garbage(site, {kept}, grace_seconds=100, now=1099.0) == 0
    assert collect_garbage(site, {kept}, grace_seconds=100, now=1100.0) == 1
    assert sorted(os.listdir(site / OBJECTS)) == [kept]


def test_a_manifest_that_is_not_one_reads_as_none(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    assert current_manifest(site) == (None, None)  # none yet
    (site / MANIFEST).write_bytes(b"\x00not json")
    assert current_manifest(site) == (None, None)
