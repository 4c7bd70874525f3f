"""The picture in flight: a file that gets the kiosk killed is not decoded again after the restart."""

import os
import signal
import subprocess
import sys
import time

from PIL import Image

from kiosk.boundary.inflight import InFlightFile, left_in_flight
from kiosk.boundary.playlog import read_play_log

from .conftest import make_picture, write_config


def test_begin_end_and_a_clean_close(tmp_path):
    record = InFlightFile(tmp_path)
    record.begin("answers/a.jpg", (10, 20))
    assert left_in_flight(tmp_path) == ("answers/a.jpg", (10, 20))
    record.begin("answers/b.jpg", (1, 2))  # rewritten in place, never appended
    assert left_in_flight(tmp_path) == ("answers/b.jpg", (1, 2))
    record.end()
    assert left_in_flight(tmp_path) is None
    record.close()
    assert not (tmp_path / "decoding.json").exists()


def test_a_torn_or_hostile_record_names_nothing(tmp_path):
    for data in (b'{"path": "a.jpg", "vers', b"[" * 5000, b'{"path": 3, "version": [1, 2]}', b"\xff\xfe"):
        (tmp_path / "decoding.json").write_bytes(data)
        assert left_in_flight(tmp_path) is None


def test_a_read_only_state_folder_costs_the_record_not_the_decode(tmp_path):
    (tmp_path / "state").write_text("a file where the folder should be")
    record = InFlightFile(tmp_path / "state")
    record.begin("answers/a.jpg", (1, 2))
    record.end()
    record.close()


def test_a_kill_during_a_decode_skips_that_file_after_the_restart(tmp_path, slide_folder):
    """kill -9 while a large picture is being prepared, as the OOM killer would."""
    big = slide_folder / "answers" / "a0-big.png"
    Image.radial_gradient("L").resize((7000, 7000)).convert("RGB").save(big, compress_level=1)
    config = write_config(
        tmp_path,
        "timing:\n  contribute_seconds: 0.3\n  answer_seconds: 0.2\n  transition_seconds: 0\n"
        "decoding:\n  max_pixels: 60000000\n  cache_megabytes: 16\n",
        slides=slide_folder,
    )
    state = tmp_path / "state"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    command = [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "64x36"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    caught = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        caught = left_in_flight(state)
        if caught is not None and caught[0] == "answers/a0-big.png":
            process.send_signal(signal.SIGKILL)
            break
        time.sleep(0.002)
    process.wait(timeout=10)
    assert caught is not None and caught[0] == "answers/a0-big.png", "never caught the big picture in flight"
    assert left_in_flight(state) == caught  # the page cache outlives the killed process

    restarted = subprocess.run(command + ["--exit-after", "2"], env=env, capture_output=True, text=True, timeout=60)
    assert restarted.returncode == 0, restarted.stderr
    assert "skipping answers/a0-big.png: the kiosk stopped while preparing it (killed or crashed)" in restarted.stderr
    assert "answers/a0-big.png" not in [r["path"] for r in read_play_log(state)]
    assert left_in_flight(state) is None  # a clean stop leaves nothing in flight
    make_picture(big, size=(64, 48))  # once the file changes, it is tried again
