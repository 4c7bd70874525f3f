import json
import os

from kiosk.playlist import Rotation
from kiosk.state import RotationStore, SavedState, default_seed, write_atomically


def test_fresh_state_when_nothing_was_saved(tmp_path):
    assert RotationStore(tmp_path).load(seed=5) == SavedState(Rotation(seed=5))


def test_save_and_load_round_trip(tmp_path):
    store = RotationStore(tmp_path)
    state = SavedState(Rotation(seed=5, round=2, bag=("answers/a.jpg",), last_answer="answers/b.jpg"), {"answers/x.jpg": (3, 4)})
    store.save(state)
    assert store.load(seed=99) == state


def test_corrupt_state_warns_and_starts_fresh(tmp_path, caplog):
    (tmp_path / "rotation.json").write_text('{"rotation": {"seed": 1, "bag": ["a"')
    assert RotationStore(tmp_path).load(seed=5) == SavedState(Rotation(seed=5))
    assert "unreadable" in caplog.text


def test_wrongly_shaped_state_starts_fresh(tmp_path):
    (tmp_path / "rotation.json").write_text(json.dumps({"rotation": {"bag": 3}}))
    assert RotationStore(tmp_path).load(seed=5).rotation == Rotation(seed=5)


def test_atomic_write_leaves_no_temp_files(tmp_path):
    target = tmp_path / "sub" / "file.json"
    write_atomically(target, "one")
    write_atomically(target, "two")
    assert target.read_text() == "two"
    assert os.listdir(target.parent) == ["file.json"]


def test_unwritable_state_dir_does_not_raise(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    RotationStore(blocker).save(SavedState(Rotation(seed=1)))


def test_default_seed_is_stable_per_box_and_differs_between_boxes():
    assert default_seed("plaza-box-1") == default_seed("plaza-box-1")
    assert default_seed("plaza-box-1") != default_seed("plaza-box-2")
