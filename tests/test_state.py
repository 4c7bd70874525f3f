import json
import os

from kiosk.playlist import Rotation
from kiosk.state import RotationStore, SavedState, default_seed


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



def test_unwritable_state_dir_does_not_raise(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    RotationStore(blocker).save(SavedState(Rotation(seed=1)))


def test_default_seed_is_stable_per_box_and_differs_between_boxes():
    assert default_seed("plaza-box-1") == default_seed("plaza-box-1")
    assert default_seed("plaza-box-1") != default_seed("plaza-box-2")


def test_resume_after_sigkill_continues_and_keeps_answers_fair(tmp_path):
    """Kill -9 in the middle of the show; the restarted kiosk shows the planned next slide,
    and no answer repeats before every answer has had its turn."""
    import signal
    import subprocess
    import sys
    import time

    from kiosk.cli import main
    from kiosk.playlog import read_play_log

    from .conftest import make_picture, write_config

    slides = tmp_path / "slides"
    make_picture(slides / "contribute" / "c1.png")
    for index in range(12):
        make_picture(slides / "answers" / f"a{index:02d}.jpg", colour=(index * 20, 50, 50))
    body = "timing:\n  contribute_seconds: 0.2\n  answer_seconds: 0.15\n  transition_seconds: 0\nplaylist:\n  answers_per_contribute: 3\n"
    config = write_config(tmp_path, body, slides=slides)
    env = dict(os.environ, SDL_VIDEODRIVER="dummy")
    command = [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "64x36"]

    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while len(read_play_log(tmp_path / "state")) < 6 and time.monotonic() < deadline:
        time.sleep(0.02)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)
    before = [r["path"] for r in read_play_log(tmp_path / "state")]

    import contextlib
    import io
    import json

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["plan", "--json", "--count", "3", "--config", str(config)])
    predicted = [row["path"] for row in json.loads(out.getvalue())]

    process = subprocess.Popen(command + ["--exit-after", "1.5"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert process.wait(timeout=60) == 0
    after = [r["path"] for r in read_play_log(tmp_path / "state")][len(before):]
    assert after[:3] == predicted
    answers = [p for p in before + after if p.startswith("answers/")]
    first_round = answers[:12]
    assert len(set(first_round)) == len(first_round), "an answer repeated before all had their turn"
