import hashlib
import os

from kiosk.boundary.files import read_json_object, sha256_cached, sha256_of, write_atomically


def test_write_atomically_replaces_whole_and_leaves_no_temp(tmp_path):
    target = tmp_path / "deep" / "state.json"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two" and os.listdir(target.parent) == ["state.json"]


def test_sha256_and_the_cached_index(tmp_path):
    path = tmp_path / "a.jpg"
    path.write_bytes(b"x" * 100_000)
    real = hashlib.sha256(b"x" * 100_000).hexdigest()
    assert sha256_of(path) == real
    stat = path.stat()
    assert sha256_cached({}, "a", path, stat.st_size, stat.st_mtime_ns) == real
    index = {"a": [stat.st_size, stat.st_mtime_ns, "cached"]}
    assert sha256_cached(index, "a", path, stat.st_size, stat.st_mtime_ns) == "cached"
    assert sha256_cached(index, "a", path, stat.st_size, stat.st_mtime_ns + 1) == real


def test_read_json_object_forgives(tmp_path):
    assert read_json_object(tmp_path / "missing.json") == {}
    (tmp_path / "list.json").write_text("[1]")
    assert read_json_object(tmp_path / "list.json") == {}
    (tmp_path / "torn.json").write_text('{"a": ')
    assert read_json_object(tmp_path / "torn.json") == {}
    (tmp_path / "ok.json").write_text('{"a": 1}')
    assert read_json_object(tmp_path / "ok.json") == {"a": 1}
