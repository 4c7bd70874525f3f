"""`kiosk keys` end to end: real files; what it signs is judged by the box's own rules with the real signature."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from kiosk.app.cli import main
from kiosk.boundary.publish import MANIFEST, publish
from kiosk.boundary.signing import Signer, load_root_key, read_signed_key_list, verify
from kiosk.core.trust import judge

from .conftest import make_picture


def keys_cli(capsys, *args) -> tuple[int, str, str]:
    code = main(["keys", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def publish_key(folder) -> str:
    return str(next(folder.glob("publish-*.key")))


def box_verdict(site, keys, last=None):
    data = (site / MANIFEST).read_bytes()
    return judge(data, load_root_key(keys / "root.pub"), verify, last, dt.datetime.now(dt.timezone.utc), True,
                 1 << 26)


@pytest.fixture
def source(tmp_path):
    make_picture(tmp_path / "source" / "answers" / "a.png", size=(40, 30))
    return tmp_path / "source"


def test_init_makes_a_root_key_a_publish_key_and_a_signed_list(capsys, tmp_path):
    code, out, _err = keys_cli(capsys, "init", str(tmp_path / "keys"))
    assert code == 0 and "keep it offline" in out
    folder = tmp_path / "keys"
    assert folder.stat().st_mode & 0o777 == 0o700
    modes = {path.name: path.stat().st_mode & 0o777 for path in folder.iterdir()}
    assert modes["root.key"] == 0o600 and modes["root.pub"] == 0o644
    assert [mode for name, mode in modes.items() if name.startswith("publish-")] == [0o600]
    _signed, key_list = read_signed_key_list(folder / "keys.json")
    assert key_list.version == 1 and len(key_list.keys) == 1
    assert dt.timedelta(days=364) < key_list.expires - dt.datetime.now(dt.timezone.utc) <= dt.timedelta(days=365)


def test_init_never_replaces_keys(capsys, tmp_path):
    assert keys_cli(capsys, "init", str(tmp_path / "keys"))[0] == 0
    before = (tmp_path / "keys" / "root.key").read_bytes()
    code, _out, err = keys_cli(capsys, "init", str(tmp_path / "keys"))
    assert code == 1 and "never replaces keys" in err
    assert (tmp_path / "keys" / "root.key").read_bytes() == before


def test_a_published_manifest_is_accepted_by_a_box_pinning_the_root(capsys, tmp_path, source):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys))
    code = main(["publish", str(source), "--out", str(tmp_path / "site"), "--key", publish_key(keys)])
    assert code == 0 and "(signed)" in capsys.readouterr().out
    assert box_verdict(tmp_path / "site", keys).accepted


def test_rotating_replaces_the_publish_key_without_touching_the_box(capsys, tmp_path, source):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys))
    old_key = publish_key(keys)
    main(["publish", str(source), "--out", str(tmp_path / "site"), "--key", old_key])
    first = box_verdict(tmp_path / "site", keys).record
    shutil.copy(keys / "keys.json", tmp_path / "keys-v1.json")

    code, out, _err = keys_cli(capsys, "rotate", str(keys))
    assert code == 0 and "revoked" in out
    new_key = next(str(path) for path in keys.glob("publish-*.key") if str(path) != old_key)
    _signed, key_list = read_signed_key_list(keys / "keys.json")
    assert key_list.version == 2 and len(key_list.keys) == 1
    # The old key no longer signs with the new list...
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--key", old_key]) == 1
    # ... the new one does, and the box (same root.pub) takes it.
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--key", new_key]) == 0
    second = box_verdict(tmp_path / "site", keys, first)
    assert second.accepted and second.record.keys_version == 2
    # Whoever holds the old key and the old list cannot go back: the box refuses the old list.
    leaked = Signer.from_files(tmp_path / "keys" / old_key.rsplit("/", 1)[1], tmp_path / "keys-v1.json")
    body = json.dumps({"serial": second.record.serial + 1, "generated": "2026-12-18T08:00:00+09:00",
                       "expires": "2099-01-01T00:00:00Z", "files": []}).encode()
    (tmp_path / "site" / MANIFEST).write_bytes(leaked.envelope(body).to_bytes())
    assert "key list rollback" in box_verdict(tmp_path / "site", keys, second.record).refused


def test_add_publish_and_revoke(capsys, tmp_path):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys))
    assert keys_cli(capsys, "add-publish", str(keys))[0] == 0
    _signed, key_list = read_signed_key_list(keys / "keys.json")
    assert key_list.version == 2 and len(key_list.keys) == 2
    first = sorted(key_list.keys)[0]
    code, out, _err = keys_cli(capsys, "revoke", str(keys), first[:10])
    assert code == 0 and f"revoked {first[:16]}" in out
    _signed, key_list = read_signed_key_list(keys / "keys.json")
    assert key_list.version == 3 and first not in key_list.keys and len(key_list.keys) == 1
    code, _out, err = keys_cli(capsys, "revoke", str(keys), next(iter(key_list.keys))[:10])
    assert code == 1 and "only publish key" in err
    code, _out, err = keys_cli(capsys, "revoke", str(keys), "abc")
    assert code == 1 and "at least its first 8" in err
    code, _out, err = keys_cli(capsys, "revoke", str(keys), "00000000")
    assert code == 1 and "names 0 keys" in err


def test_renew_signs_a_higher_version_with_a_new_expiry(capsys, tmp_path):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys), "--valid-days", "10")
    assert keys_cli(capsys, "renew", str(keys), "--valid-days", "100")[0] == 0
    _signed, key_list = read_signed_key_list(keys / "keys.json")
    assert key_list.version == 2
    assert key_list.expires - dt.datetime.now(dt.timezone.utc) > dt.timedelta(days=99)
    code, out, _err = keys_cli(capsys, "show", str(keys))
    assert code == 0 and "version 2" in out


def test_the_root_key_can_live_elsewhere_and_a_wrong_one_is_refused(capsys, tmp_path):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys))
    offline = tmp_path / "usb"
    offline.mkdir()
    (keys / "root.key").rename(offline / "root.key")
    assert keys_cli(capsys, "renew", str(keys))[0] == 1  # no root key in the folder any more
    assert keys_cli(capsys, "renew", str(keys), "--root-key", str(offline / "root.key"))[0] == 0
    keys_cli(capsys, "init", str(tmp_path / "other"))
    code, _out, err = keys_cli(capsys, "add-publish", str(keys), "--root-key", str(tmp_path / "other" / "root.key"))
    assert code == 1 and "is not signed by the root key" in err


def test_publish_refuses_a_bad_key_before_publishing_anything(capsys, tmp_path, source):
    keys = tmp_path / "keys"
    keys_cli(capsys, "init", str(keys))
    key = publish_key(keys)
    (keys / "keys.json").write_text("[]")
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--key", key]) == 1
    assert not (tmp_path / "site" / MANIFEST).exists()
    assert main(["publish", str(source), "--out", str(tmp_path / "site"), "--resign"]) == 1
    assert "need --key" in capsys.readouterr().err
    publish(source, tmp_path / "site")  # unsigned, as before: a box without a root key takes it
