"""A running kiosk (a real process, headless) while its folder and config change.

Every test asserts on the play log: what was actually shown, and when.
"""

import datetime as dt
import io
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from kiosk.core.catalogue import kind_of
from kiosk.core.playlist import FALLBACK_PATH
from kiosk.boundary.playlog import read_play_log

from .conftest import make_picture, write_config

FAST = """
timing:
  contribute_seconds: 0.4
  answer_seconds: 0.3
  transition_seconds: 0.05
playlist:
  answers_per_contribute: 2
"""


class LiveKiosk:
    def __init__(self, tmp_path: Path, slides: Path, body: str = FAST) -> None:
        self.config = write_config(tmp_path, body, slides=slides, slides_extra="  settle_seconds: 0.3\n")
        self.state = tmp_path / "state"
        self.slides = slides
        self.stderr_path = tmp_path / "kiosk.log"
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        self._stderr = open(self.stderr_path, "w")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(self.config), "--windowed", "--size", "96x54"],
            env=env, stdout=subprocess.DEVNULL, stderr=self._stderr,
        )
        self.wait_until(lambda plays: len(plays) >= 1)

    def plays(self) -> list[dict]:
        return read_play_log(self.state)

    def played(self) -> list[str]:
        return [record["path"] for record in self.plays()]

    def log(self) -> str:
        return self.stderr_path.read_text()

    def wait_until(self, predicate, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"kiosk died:\n{self.log()}"
            plays = self.plays()
            if predicate(plays):
                return plays
            time.sleep(0.05)
        raise AssertionError(f"condition not met; played {self.played()[-20:]}\n{self.log()}")

    def wait_for_plays(self, count: int) -> list[dict]:
        start = len(self.plays())
        return self.wait_until(lambda plays: len(plays) >= start + count)[start:]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=10)
        self._stderr.close()
        assert self.process.returncode == 0, self.log()
        assert "Traceback" not in self.log()


@pytest.fixture
def live(tmp_path, slide_folder):
    kiosks = []

    def start(body: str = FAST, slides: Path | None = None) -> LiveKiosk:
        kiosk = LiveKiosk(tmp_path, slides or slide_folder, body)
        kiosks.append(kiosk)
        return kiosk

    yield start
    for kiosk in kiosks:
        kiosk.stop()


def only_slides(paths):
    """Every played path is a real slide name (or the fallback card): never a temp file."""
    for path in paths:
        assert path == FALLBACK_PATH or kind_of(path) is not None, f"played a non-slide: {path}"


def photo_bytes(size=(800, 600), seed=0) -> bytes:
    rng = random.Random(seed)
    image = Image.frombytes("RGB", size, rng.randbytes(size[0] * size[1] * 3))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.mark.skipif(shutil.which("rsync") is None, reason="rsync is not installed (.ci/run installs it)")
def test_rsync_into_the_running_folder(live, tmp_path):
    kiosk = live()
    incoming = tmp_path / "incoming"
    for index in range(5):
        (incoming / "answers").mkdir(parents=True, exist_ok=True)
        (incoming / "answers" / f"r{index}.jpg").write_bytes(photo_bytes(seed=index))
    subprocess.run(["rsync", "-a", f"{incoming}/", f"{kiosk.slides}/"], check=True, timeout=60)
    new = {f"answers/r{index}.jpg" for index in range(5)}
    kiosk.wait_until(lambda plays: new <= {r["path"] for r in plays})
    only_slides(kiosk.played())


def test_atomic_rename_and_plain_copy(live, tmp_path):
    kiosk = live()
    answers = kiosk.slides / "answers"
    temp = answers / ".renamed.jpg.tmp"
    temp.write_bytes(photo_bytes(seed=1))
    os.rename(temp, answers / "renamed.jpg")
    source = tmp_path / "copied.jpg"
    source.write_bytes(photo_bytes(seed=2))
    shutil.copy(source, answers / "copied.jpg")
    kiosk.wait_until(lambda plays: {"answers/renamed.jpg", "answers/copied.jpg"} <= {r["path"] for r in plays})
    only_slides(kiosk.played())


def test_new_answer_is_shown_soon(live):
    kiosk = live()
    kiosk.wait_for_plays(2)
    (kiosk.slides / "answers" / "fresh.jpg").write_bytes(photo_bytes(seed=3))
    before = len(kiosk.plays())
    plays = kiosk.wait_until(lambda plays: "answers/fresh.jpg" in [r["path"] for r in plays])
    position = [r["path"] for r in plays].index("answers/fresh.jpg")
    # Settling and decoding take a few slides at this speed; it must not wait a whole round.
    assert position - before <= 8


def test_slow_writer_is_shown_only_after_its_last_byte(live):
    kiosk = live()
    data = photo_bytes(size=(3000, 2000), seed=4)
    target = kiosk.slides / "answers" / "slow.jpg"
    chunks = 30  # over three seconds, a write every 0.1 s: well inside the 0.3 s settle time
    with open(target, "wb") as handle:
        for index in range(chunks):
            handle.write(data[index * len(data) // chunks:(index + 1) * len(data) // chunks])
            handle.flush()
            time.sleep(0.1)
    finished = dt.datetime.now().astimezone()
    plays = kiosk.wait_until(lambda plays: "answers/slow.jpg" in [r["path"] for r in plays])
    first = next(r for r in plays if r["path"] == "answers/slow.jpg")
    assert dt.datetime.fromisoformat(first["time"]) >= finished
    assert "skipping answers/slow.jpg" not in kiosk.log()


def test_deleting_the_slide_on_screen(live):
    kiosk = live()
    plays = kiosk.wait_until(lambda plays: plays[-1]["kind"] == "answer")
    on_screen = plays[-1]["path"]
    (kiosk.slides / on_screen).unlink()
    deleted_at = len(kiosk.plays())
    kiosk.wait_for_plays(12)
    later = kiosk.played()[deleted_at:]
    assert on_screen not in later
    assert f"removed {on_screen}" in kiosk.log()


def test_deleting_everything_shows_the_fallback_and_content_coming_back_resumes(live, tmp_path):
    kiosk = live()
    kiosk.wait_for_plays(2)
    shutil.rmtree(kiosk.slides)
    kiosk.wait_until(lambda plays: plays[-1]["path"] == FALLBACK_PATH)
    make_picture(kiosk.slides / "contribute" / "back.png")
    plays = kiosk.wait_until(lambda plays: plays[-1]["path"] == "contribute/back.png")
    fallback_at = max(i for i, r in enumerate(plays) if r["path"] == FALLBACK_PATH)
    assert set(r["path"] for r in plays[fallback_at + 1:]) == {"contribute/back.png"}


def test_missing_folder_at_start(live, tmp_path):
    kiosk = live(slides=tmp_path / "not-yet")
    assert kiosk.played()[0] == FALLBACK_PATH
    make_picture(tmp_path / "not-yet" / "answers" / "first.jpg")
    kiosk.wait_until(lambda plays: plays[-1]["path"] == "answers/first.jpg")


def test_config_edit_changes_timing_from_the_next_slide(live):
    kiosk = live()
    kiosk.wait_for_plays(2)
    text = kiosk.config.read_text()
    kiosk.config.write_text(text.replace("answer_seconds: 0.3", "answer_seconds: 0.45"))
    kiosk.wait_until(lambda plays: any(r["kind"] == "answer" and r["seconds"] == 0.45 for r in plays))
    plays = kiosk.wait_for_plays(6)
    assert all(r["seconds"] == 0.45 for r in plays if r["kind"] == "answer")
    assert "config changed: timing.answer_seconds: 0.3 -> 0.45" in kiosk.log()


def test_invalid_config_edit_keeps_the_last_good_config(live):
    kiosk = live()
    text = kiosk.config.read_text()
    kiosk.config.write_text(text.replace("answer_seconds: 0.3", "answer_seconds: soon"))
    deadline = time.monotonic() + 20
    while "config not applied" not in kiosk.log() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "timing.answer_seconds: must be a number of seconds > 0 and <= 86400, got 'soon'" in kiosk.log()
    assert ":10: timing.answer_seconds" in kiosk.log()
    plays = kiosk.wait_for_plays(6)
    assert all(r["seconds"] == 0.3 for r in plays if r["kind"] == "answer")


def test_a_hostile_sidecar_arriving_live_does_not_stop_later_changes(live):
    kiosk = live()
    (kiosk.slides / "answers" / "a1.yaml").write_text("caption: " + "[" * 1500 + "]" * 1500 + "\n")
    (kiosk.slides / "answers" / "a2.yaml").write_text("seconds: .inf\n")
    time.sleep(0.6)
    (kiosk.slides / "answers" / "later.jpg").write_bytes(photo_bytes(seed=3))
    kiosk.wait_until(lambda plays: "answers/later.jpg" in [p["path"] for p in plays])
    assert "a1.yaml: sidecar ignored: line 1: nested more than" in kiosk.log()
    assert "a2.yaml: sidecar ignored: seconds must be a finite number" in kiosk.log()
    assert "unexpected error" not in kiosk.log()
