"""The plaza for real: a published folder with fleet.yaml on nginx, and three kiosk processes syncing from it.

One tall case (answers only) and two giant boxes in one sync group. The
tests run in order on the one plaza: roles, the sync group, a fleet file
the boxes must refuse, takedown, and an override put up and withdrawn.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from kiosk.boundary.playlog import read_play_log
from kiosk.boundary.publish import publish

from .conftest import make_picture
from .servers import Nginx

pytestmark = pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)")

FLEET = """\
roles:
  tall-case:
    playlist:
      kinds: [answer]
  giant-box:
    playlist:
      answers_per_contribute: 1
      sync_group: row-1
"""
BOXES = {"tall-case-1": "tall-case", "giant-box-1": "giant-box", "giant-box-2": "giant-box"}
TAKEDOWN_SECONDS = 30


class Plaza:
    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="kiosk-plaza-"))
        self.root.chmod(0o755)
        self.source = self.root / "source"
        for index in range(2):
            make_picture(self.source / "contribute" / f"c{index}.png", size=(320, 180), colour=(200, 40 * index, 0))
        for index in range(6):
            make_picture(self.source / "answers" / f"a{index}.jpg", size=(320, 240), colour=(30 * index, 90, 90))
        (self.source / "fleet.yaml").write_text(FLEET, encoding="utf-8")
        self.site = self.root / "site"
        self._logs: list = []
        self.publish()
        self.nginx = Nginx(self.site)
        self.boxes = {name: self._start(name, role) for name, role in BOXES.items()}

    def publish(self) -> float:
        publish(self.source, self.site)
        for path in self.site.rglob("*"):
            path.chmod(0o755 if path.is_dir() else 0o644)
        self.site.chmod(0o755)
        return time.monotonic()

    def _start(self, name: str, role: str) -> subprocess.Popen:
        folder = self.root / name
        folder.mkdir()
        config = folder / "config.yaml"
        config.write_text(f"""\
slides:
  folder: {folder / 'slides'}
  settle_seconds: 0.2
state:
  dir: {folder / 'state'}
  play_log_lines_per_write: 1
timing:
  contribute_seconds: 0.6
  answer_seconds: 0.4
  transition_seconds: 0.05
sync:
  url: {self.nginx.url}
  interval_seconds: 1
  jitter_seconds: 0.2
box:
  name: {name}
  role: {role}
""", encoding="utf-8")
        log = open(folder / "kiosk.log", "w")  # noqa: SIM115 - closed in stop()
        self._logs.append(log)
        return subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "64x36"],
            env=dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy"),
            stdout=subprocess.DEVNULL, stderr=log,
        )

    def plays(self, name: str) -> list[dict]:
        return read_play_log(self.root / name / "state")

    def status(self, name: str) -> dict:
        try:
            return json.loads((self.root / name / "state" / "status.json").read_text())
        except (OSError, ValueError):
            return {}

    def log(self, name: str) -> str:
        return (self.root / name / "kiosk.log").read_text()

    def wait(self, predicate, timeout: float = 60.0, what: str = "") -> float:
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if predicate():
                return time.monotonic() - start
            time.sleep(0.1)
        raise AssertionError(f"not within {timeout:g} s: {what}\n" + "\n".join(
            f"--- {name}\n{self.log(name)[-1500:]}" for name in self.boxes))

    def stop(self) -> None:
        for process in self.boxes.values():
            process.terminate()
        for process in self.boxes.values():
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        self.nginx.stop()
        for log in self._logs:
            log.close()
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="module")
def plaza():
    running = Plaza()
    try:
        running.wait(lambda: all(len(running.plays(name)) >= 12 for name in running.boxes), what="every box playing")
        yield running
    finally:
        running.stop()


def settled(plaza, name: str) -> float:
    """Once the box has its fleet file and has admitted all the content: the wall time from then on."""
    def ready():
        status = plaza.status(name)
        content = status.get("content", {})
        return status.get("fleet", {}).get("version") and content.get("arriving") == 0 and \
            content.get("answer", 0) + content.get("contribute", 0) >= 6
    plaza.wait(ready, what=f"{name} settled")
    return time.time() + 0.5


def test_each_box_shows_what_its_role_selects(plaza):
    # The fleet file is applied before the content it came with: no contribute slide ever.
    tall = [play["kind"] for play in plaza.plays("tall-case-1") if play["kind"] != "fallback"]
    assert tall and set(tall) == {"answer"}
    since = settled(plaza, "giant-box-1")
    plaza.wait(lambda: len([p for p in plaza.plays("giant-box-1") if play_seconds(p) > since]) >= 8)
    giant = [p["kind"] for p in plaza.plays("giant-box-1") if play_seconds(p) > since][:8]
    assert giant in (["contribute", "answer"] * 4, ["answer", "contribute"] * 4)
    assert plaza.status("tall-case-1")["role"] == "tall-case"
    assert plaza.status("giant-box-1")["fleet"]["version"] and not plaza.status("giant-box-1")["fleet"]["refused"]


def test_the_boxes_of_a_sync_group_change_slides_together(plaza):
    giants = ("giant-box-1", "giant-box-2")
    since = max(settled(plaza, name) for name in giants)  # the group's settings and content on both
    plaza.wait(lambda: all(len([p for p in plaza.plays(name) if play_seconds(p) > since]) >= 12 for name in giants))

    def by_slot(name):
        return {round(play_seconds(play), 1): play["path"] for play in plaza.plays(name) if play_seconds(play) > since}

    one, two = by_slot(giants[0]), by_slot(giants[1])
    shared = set(one) & set(two)
    assert len(shared) >= 10, (sorted(one)[-5:], sorted(two)[-5:])
    assert all(one[moment] == two[moment] for moment in shared), [
        (moment, one[moment], two[moment]) for moment in sorted(shared)]


def play_seconds(play: dict) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(play["time"]).timestamp()


def test_a_bad_fleet_file_is_refused_whole_and_the_last_good_one_stays(plaza):
    # As a broken central server or a hand edit would leave it: the box must refuse it.
    fleet = plaza.root / "tall-case-1" / "slides" / "fleet.yaml"
    fleet.write_text(FLEET.replace("kinds: [answer]", "kinds: [everything]"), encoding="utf-8")
    plaza.wait(lambda: plaza.status("tall-case-1").get("fleet", {}).get("refused"), timeout=30, what="the refusal")
    refused = plaza.status("tall-case-1")["fleet"]["refused"]
    assert "roles.tall-case.playlist.kinds" in refused[0]
    assert "fleet file refused" in plaza.log("tall-case-1")
    count = len(plaza.plays("tall-case-1"))
    plaza.wait(lambda: len(plaza.plays("tall-case-1")) >= count + 5)
    assert {play["kind"] for play in plaza.plays("tall-case-1")[count:]} == {"answer"}  # the last good one


def test_a_photo_withdrawn_centrally_leaves_every_screen_within_30_s(plaza):
    (plaza.source / "answers" / "a2.jpg").unlink()
    published = plaza.publish()
    for name in plaza.boxes:
        gone = plaza.root / name / "slides" / "answers" / "a2.jpg"
        plaza.wait(lambda gone=gone: not gone.exists(), timeout=TAKEDOWN_SECONDS - (time.monotonic() - published),
                   what=f"a2.jpg gone from {name}")
    settled = time.time() + 1.0
    time.sleep(3)
    for name in plaza.boxes:
        late = [p for p in plaza.plays(name) if p["path"] == "answers/a2.jpg" and play_seconds(p) > settled]
        assert late == [], name


def test_an_override_goes_up_on_every_screen_and_comes_down(plaza):
    make_picture(plaza.source / "override" / "ceremony.png", size=(320, 180), colour=(250, 250, 0))
    published = plaza.publish()
    for name in plaza.boxes:
        plaza.wait(lambda name=name: any(p["kind"] == "override" for p in plaza.plays(name)[-3:]),
                   timeout=TAKEDOWN_SECONDS - (time.monotonic() - published), what=f"override on {name}")
    (plaza.source / "override" / "ceremony.png").unlink()
    withdrawn = plaza.publish()
    for name in plaza.boxes:
        plaza.wait(lambda name=name: plaza.plays(name)[-1]["kind"] != "override",
                   timeout=TAKEDOWN_SECONDS - (time.monotonic() - withdrawn), what=f"override off {name}")
    count = len(plaza.plays("tall-case-1"))
    plaza.wait(lambda: len(plaza.plays("tall-case-1")) >= count + 3)
    assert {p["kind"] for p in plaza.plays("tall-case-1")[count:]} == {"answer"}  # back to its rotation


# --- a sync group whose boxes found different files unusable -------------------------------------

GROUP_SHOW = """\
timing:
  contribute_seconds: 0.6
  answer_seconds: 0.4
  transition_seconds: 0.05
playlist:
  answers_per_contribute: 1
  sync_group: row-2
box:
  name: {name}
"""


def _group_box(root: Path, name: str, broken: str) -> tuple[list, dict]:
    """A kiosk's command line on its own copy of the content, with its own corrupted copy of one file."""
    from .conftest import write_config

    folder = root / name
    slides = folder / "slides"
    for index in range(2):
        make_picture(slides / "contribute" / f"c{index}.png", size=(64, 36), colour=(200, 80 * index, 0))
    for index in range(6):
        make_picture(slides / "answers" / f"a{index}.jpg", size=(64, 36), colour=(30 * index, 90, 90))
    (slides / broken).write_bytes(b"\xff\xd8\xff\xe0 not the JPEG the other box has" + bytes(300))
    config = write_config(folder, GROUP_SHOW.format(name=name), slides=slides)
    command = [sys.executable, "-m", "kiosk", "run", "--config", str(config), "--windowed", "--size", "64x36"]
    return command, dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")


def test_two_boxes_of_a_group_with_different_unusable_files_keep_its_boundaries_and_slides(tmp_path):
    import datetime as dt

    from kiosk.boundary.folder import scan
    from kiosk.boundary.configfile import load_config
    from kiosk.core.playlist import playlist_settings
    from kiosk.core.plaza import synced_entry

    broken = {"box-1": "answers/a1.jpg", "box-2": "answers/a4.jpg"}  # each can show what the other cannot
    boxes = {name: _group_box(tmp_path, name, path) for name, path in broken.items()}
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in boxes}  # noqa: SIM115 - closed below
    running: dict[str, subprocess.Popen] = {}

    def start(name):
        command, env = boxes[name]
        running[name] = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=logs[name])

    def plays(name):
        return read_play_log(tmp_path / name / "state")

    def wait(predicate, what):
        deadline = time.monotonic() + 90
        while not predicate():
            assert time.monotonic() < deadline, what + "".join(
                f"\n--- {name}\n{(tmp_path / f'{name}.log').read_text()[-1500:]}" for name in boxes)
            time.sleep(0.1)

    try:
        start("box-1")
        start("box-2")
        wait(lambda: all(len(plays(name)) >= 15 for name in boxes), "both playing")
        # box-2 restarts: it knows a4 is unusable from its saved state; box-1 has just found a1 out.
        running["box-2"].terminate()
        running["box-2"].wait(timeout=20)
        restarted = time.time()
        start("box-2")
        wait(lambda: len([p for p in plays("box-2") if moment(p) > restarted]) >= 30, "box-2 playing again")
    finally:
        for process in running.values():
            process.terminate()
        for process in running.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in logs.values():
            log.close()
    for name, path in broken.items():
        assert f"skipping {path}" in (tmp_path / f"{name}.log").read_text()

    # The group's slots, from the content as published (box-1's listing: same names, sizes aside).
    config = load_config(tmp_path / "box-1" / "config.yaml")
    listed = scan(tmp_path / "box-1" / "slides")
    first = min(moment(p) for p in plays("box-2") if moment(p) > restarted)
    at = dt.datetime.fromtimestamp(first, dt.timezone.utc)
    slots: dict[float, str] = {}
    while at.timestamp() < time.time():
        entry = synced_entry(listed, playlist_settings(config), at)
        slots[at.timestamp()] = entry.path
        at += dt.timedelta(seconds=entry.seconds)
    boundaries = sorted(slots)

    def on_slots(name):
        """Each start after box-2's restart, put on the group's boundary it belongs to (within 0.15 s)."""
        found, off = {}, 0
        for play in plays(name):
            start_at = moment(play)
            if start_at <= first:
                continue
            nearest = min(boundaries, key=lambda b: abs(b - start_at))
            if abs(nearest - start_at) < 0.15:
                found[nearest] = play["path"]
            else:
                off += 1
        return found, off

    shown = {}
    for name in boxes:
        found, off = on_slots(name)
        assert len(found) >= 20 and off <= 2, (name, off, len(found))  # it changes slides on the group's boundaries
        assert broken[name] not in found.values()
        shown[name] = found
    one, two = shown["box-1"], shown["box-2"]
    both = [b for b in boundaries if b in one and b in two and slots[b] not in broken.values()]
    assert len(both) >= 15
    assert [one[b] for b in both] == [slots[b] for b in both] == [two[b] for b in both]
    # Where a box cannot show the group's slide, the other shows it, and that box holds the slide before.
    for name in shown:
        other = shown["box-2" if name == "box-1" else "box-1"]
        theirs = [b for b in boundaries if slots[b] == broken[name] and b in other]
        assert theirs and all(other[b] == broken[name] for b in theirs)


def moment(play: dict) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(play["time"]).timestamp()


def test_three_boxes_of_a_group_show_the_same_frame_of_a_video_even_one_joining_mid_video(tmp_path):
    """Three kiosk processes, started 1.3 s apart on a 4 s clip and a picture: whichever moment a box starts,
    it shows the frame the group's clock gives (a box joining mid-video does not begin the clip again)."""
    from .clips import make_clip
    from .frametrace import frame_spreads, run_group

    slides = tmp_path / "slides"
    make_clip(slides / "contribute" / "1-video.mp4", size=(160, 90), frames=120, rate=30, options={"g": "30"})
    make_picture(slides / "contribute" / "2-picture.png", (160, 90))
    traces = run_group(tmp_path / "boxes", slides, 3, 14.0, (160, 90), stagger=1.3,
                       timing="contribute_seconds: 1\n  transition_seconds: 0.3")
    spreads = [spread for _moment, spread in frame_spreads(traces)]
    assert all(traces) and len(spreads) >= 300, [len(trace) for trace in traces]  # 3 s and more of shared video
    # A frame apart at most on most moments (a box may come to a refresh a frame's time after another); a box
    # that began the clip again would be many frames off for the whole slot.
    assert sorted(spreads)[len(spreads) // 2] <= 1 and sorted(spreads)[int(len(spreads) * 0.9)] <= 2, (
        sorted(spreads)[-20:])
