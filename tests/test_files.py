import hashlib
import os

from hypothesis import given
from hypothesis import strategies as st

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


def test_state_files_are_read_only_when_regular_and_within_their_cap(tmp_path):
    import pytest

    from kiosk.boundary.files import read_state_file
    from kiosk.core.errors import UnsafeFile

    (tmp_path / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "big.json").write_text('{"a": "' + "x" * 2000 + '"}')
    for name in ("zero.json", "fifo.json", "big.json", "missing.json"):
        assert read_json_object(tmp_path / name, limit=1000) == {}  # never blocks, never reads without end
    with pytest.raises(UnsafeFile):
        read_state_file(tmp_path / "zero.json")
    with pytest.raises(ValueError):
        read_state_file(tmp_path / "big.json", 1000)
    assert read_json_object(tmp_path / "big.json")["a"] == "x" * 2000


@given(st.binary(max_size=4096))
def test_any_bytes_read_as_a_json_state_file_give_an_object_or_nothing(data):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "state.json").write_bytes(data)
        assert isinstance(read_json_object(Path(folder) / "state.json"), dict)
