"""The command line, end to end: real files, real config, pixels of snapshots."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from PIL import Image

from kiosk.app.cli import main
from kiosk.boundary.playlog import read_play_log

from .conftest import REPO, make_picture, write_config


def run_cli(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def kiosk_process(*args, **kwargs):
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    return subprocess.Popen(
        [sys.executable, "-m", "kiosk", *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, **kwargs,
    )


# --- check -------------------------------------------------------------------

def test_check_reports_every_bad_file(tmp_path, slide_folder, capsys):
    answers = slide_folder / "answers"
    truncated = make_picture(answers / "truncated.jpg", size=(800, 600))
    truncated.write_bytes(truncated.read_bytes()[:700])
    (answers / "empty.jpg").write_bytes(b"")
    (answers / "text.png").write_text("hello")
    make_picture(answers / "png-named.jpg", fmt="PNG")
    from .test_decoder import png_claiming

    png_claiming(answers / "bomb.png", 12_000, 12_000)
    (answers / "a1.yaml").write_text("caption: Nguyễn says hi 😀\n", encoding="utf-8")
    (answers / "a2.yaml").write_text("seconds: soon\n")
    config = write_config(tmp_path, slides=slide_folder)
    code, out, _err = run_cli(capsys, "check", "--json", "--config", str(config))
    assert code == 0
    report = json.loads(out)
    by_path = {s["path"]: s for s in report["slides"]}
    assert report["config_errors"] == []
    assert by_path["answers/a1.jpg"] == {"path": "answers/a1.jpg", "kind": "answer", "ok": True, "error": None,
                                         "format": "JPEG", "colour_profile": None, "private_metadata": [],
                                         "shown_differently": []}
    assert by_path["contribute/c1.png"]["kind"] == "contribute"
    assert "cannot decode" in by_path["answers/truncated.jpg"]["error"]
    assert "answers/empty.jpg" not in by_path  # nothing to decode: not a slide until it has content
    assert "answers/empty.jpg: skipped: an empty file (it is shown once it has content)" in report["content_problems"]
    assert by_path["answers/text.png"]["error"] == "not a picture Pillow can read"
    assert by_path["answers/png-named.jpg"]["ok"]
    assert "over the limit" in by_path["answers/bomb.png"]["error"]
    assert report["missing_glyphs"] == [{"where": "answers/a1.jpg", "characters": ["😀"]}]  # ễ: the fallback font
    assert any("a2.yaml" in p and "seconds must be a number" in p for p in report["content_problems"])


def test_check_text_output(tmp_path, slide_folder, capsys):
    (slide_folder / "answers" / "bad.jpg").write_text("x")
    code, out, _ = run_cli(capsys, "check", "--config", str(write_config(tmp_path, slides=slide_folder)))
    assert code == 0
    assert "slides: 3 contribute, 5 answers, 1 unusable" in out
    assert "unusable: answers/bad.jpg: not a picture Pillow can read" in out


def test_check_exits_1_on_bad_config(tmp_path, capsys):
    config = write_config(tmp_path, "timing:\n  answer_seconds: -4\n")
    code, out, _ = run_cli(capsys, "check", "--json", "--config", str(config))
    assert code == 1
    errors = json.loads(out)["config_errors"]
    assert len(errors) == 1 and ":6: timing.answer_seconds: must be a number of seconds > 0" in errors[0]


def test_run_exits_1_on_bad_config_with_the_key_in_the_log(tmp_path):
    config = write_config(tmp_path, "display:\n  fit: sideways\n")
    process = kiosk_process("run", "--config", str(config), "--windowed")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 1
    assert "display.fit: must be one of contain, cover, blur, got 'sideways'" in err


# --- plan --------------------------------------------------------------------

def test_plan_json(tmp_path, slide_folder, capsys):
    config = write_config(tmp_path, "playlist:\n  answers_per_contribute: 2\n", slides=slide_folder)
    code, out, _ = run_cli(capsys, "plan", "--json", "--count", "6", "--at", "2026-12-18T09:00:00+09:00",
                           "--config", str(config))
    assert code == 0
    rows = json.loads(out)
    assert [r["kind"] for r in rows] == ["contribute", "answer", "answer"] * 2
    assert rows[0] == {"start": "2026-12-18T09:00:00.000+09:00", "path": "contribute/c1.png", "kind": "contribute",
                       "seconds": 12.0}
    assert rows[1]["start"] == "2026-12-18T09:00:12.000+09:00"


def test_plan_never_changes_the_saved_state(tmp_path, slide_folder, capsys):
    config = write_config(tmp_path, slides=slide_folder)
    first = run_cli(capsys, "plan", "--json", "--config", str(config))[1]
    second = run_cli(capsys, "plan", "--json", "--config", str(config))[1]
    assert [r["path"] for r in json.loads(first)] == [r["path"] for r in json.loads(second)]
    assert not (tmp_path / "state" / "rotation.json").exists()


# --- snapshot ----------------------------------------------------------------

def snapshot(capsys, tmp_path, config, *extra):
    out = tmp_path / "snaps"
    code, stdout, _ = run_cli(capsys, "snapshot", "--out", str(out), "--config", str(config), *extra)
    assert code == 0, stdout
    return out


def test_snapshot_writes_numbered_pngs_in_plan_order(tmp_path, slide_folder, capsys):
    config = write_config(tmp_path, "playlist:\n  answers_per_contribute: 1\n", slides=slide_folder)
    out = snapshot(capsys, tmp_path, config, "--count", "3", "--size", "160x90")
    assert sorted(p.name for p in out.iterdir()) == ["0001.png", "0002.png", "0003.png"]
    first = Image.open(out / "0001.png").convert("RGB")
    assert first.size == (160, 90)
    assert first.getpixel((80, 20))[0] > 150  # c1.png is red


def one_slide(capsys, tmp_path, body, slide, size="320x180"):
    config = write_config(tmp_path, body, slides=tmp_path / "slides")
    out = snapshot(capsys, tmp_path, config, "--slide", slide, "--size", size)
    return Image.open(out / "0001.png").convert("RGB")


def test_snapshot_portrait_photo_in_contain_blur_and_cover(tmp_path, capsys):
    make_picture(tmp_path / "slides" / "answers" / "tall.jpg", size=(300, 600), colour=(220, 30, 30))
    contain = one_slide(capsys, tmp_path, "display:\n  fit: contain\n  background: '#0000ff'\n", "answers/tall.jpg")
    blur = one_slide(capsys, tmp_path, "display:\n  fit: blur\n  background: '#0000ff'\n", "answers/tall.jpg")
    cover = one_slide(capsys, tmp_path, "display:\n  fit: cover\n  background: '#0000ff'\n", "answers/tall.jpg")
    assert contain.getpixel((10, 90)) == (0, 0, 255)
    assert blur.getpixel((10, 90)) != (0, 0, 255) and blur.getpixel((10, 90))[0] > blur.getpixel((10, 90))[2]
    assert cover.getpixel((10, 90))[0] > 180


def test_snapshot_honours_exif_orientation(tmp_path, capsys):
    # Stored landscape with the marker top-left; EXIF 6 makes it portrait, marker top-right.
    make_picture(tmp_path / "slides" / "answers" / "phone.jpg", size=(600, 300), orientation=6, marker=True,
                 colour=(20, 20, 20))
    shot = one_slide(capsys, tmp_path, "display:\n  fit: contain\n", "answers/phone.jpg", size="300x600")
    assert shot.getpixel((225, 150))[0] > 200  # top-right quarter is the white marker
    assert shot.getpixel((75, 150))[0] < 60
    assert shot.getpixel((75, 450))[0] < 60


def test_snapshot_of_phone_photos_heic_upright_and_display_p3_in_srgb(tmp_path, capsys):
    """As the panel shows them: a HEIC turned by its orientation, and a Display P3 photo whose
    colours arrive converted to sRGB (not the P3 numbers shown as if they were sRGB)."""
    import io as _io

    from PIL import Image, ImageCms

    from .colour import display_p3_profile

    make_picture(tmp_path / "slides" / "answers" / "phone.heic", size=(600, 300), orientation=6, marker=True,
                 colour=(20, 20, 20), fmt="HEIF")
    shot = one_slide(capsys, tmp_path, "display:\n  fit: contain\n", "answers/phone.heic", size="300x600")
    assert shot.getpixel((225, 150))[0] > 200 and shot.getpixel((75, 150))[0] < 60

    p3 = display_p3_profile()
    Image.new("RGB", (320, 180), (200, 100, 50)).save(tmp_path / "slides" / "answers" / "p3.png", icc_profile=p3)
    expected = ImageCms.profileToProfile(Image.new("RGB", (1, 1), (200, 100, 50)),
                                         ImageCms.ImageCmsProfile(_io.BytesIO(p3)),
                                         ImageCms.createProfile("sRGB")).getpixel((0, 0))
    shot = one_slide(capsys, tmp_path, "display:\n  fit: cover\n", "answers/p3.png", size="320x180")
    assert shot.getpixel((160, 90)) == expected != (200, 100, 50)


@pytest.mark.parametrize("rotation, white_corner", [(90, (300, 20)), (270, (20, 160)), (180, (300, 160))])
def test_snapshot_rotation(tmp_path, capsys, rotation, white_corner):
    make_picture(tmp_path / "slides" / "answers" / "m.png", size=(180, 320), marker=True, colour=(20, 20, 20))
    body = f"display:\n  fit: contain\n  rotation: {rotation}\n"
    size = "320x180" if rotation in (90, 270) else "180x320"
    shot = one_slide(capsys, tmp_path, body, "answers/m.png", size=size)
    if rotation == 180:
        white_corner = (160, 300)
    assert shot.size == tuple(int(n) for n in size.split("x"))
    assert shot.getpixel(white_corner)[0] > 200


def test_snapshot_draws_korean_and_english_caption_and_overlays(tmp_path, capsys):
    make_picture(tmp_path / "slides" / "answers" / "a.jpg", size=(640, 360), colour=(60, 120, 60))
    (tmp_path / "slides" / "answers" / "a.txt").write_text("이주란 함께 희망하는 것\nMigration means hoping together",
                                                          encoding="utf-8")
    body = "overlays:\n  title: 당신에게 이주란?\n  footer: '#MigrationMeans'\n"
    shot = one_slide(capsys, tmp_path, body, "answers/a.jpg", size="640x360")
    bare = one_slide(capsys, tmp_path, "captions:\n  enabled: false\n", "answers/a.jpg", size="640x360")

    def whites(image, box):
        return sum(image.crop(box).convert("L").histogram()[201:])

    assert whites(shot, (0, 0, 640, 50)) > 50  # title band
    assert whites(shot, (0, 230, 640, 360)) > 300  # caption and footer
    assert whites(bare, (0, 0, 640, 360)) == 0


def test_snapshot_of_empty_folder_is_the_fallback_card(tmp_path, capsys):
    config = write_config(tmp_path, slides=tmp_path / "nothing")
    out = snapshot(capsys, tmp_path, config, "--count", "1", "--size", "320x180")
    shot = Image.open(out / "0001.png").convert("RGB")
    small = shot.resize((32, 18)).tobytes()
    assert len({small[i:i + 3] for i in range(0, len(small), 3)}) > 10  # a designed card, not a flat colour


def test_snapshot_unknown_slide_is_an_error(tmp_path, slide_folder, capsys):
    config = write_config(tmp_path, slides=slide_folder)
    code = main(["snapshot", "--out", str(tmp_path / "o"), "--slide", "answers/nope.jpg", "--config", str(config)])
    assert code == 1


# --- run as a process ----------------------------------------------------------

FAST = "timing:\n  contribute_seconds: 0.3\n  answer_seconds: 0.2\n  transition_seconds: 0.05\n"


def test_run_exit_after_ends_cleanly_without_audio_errors(tmp_path, slide_folder):
    config = write_config(tmp_path, FAST, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "160x90", "--exit-after", "1.5")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "ALSA" not in err and "Traceback" not in err
    assert len(read_play_log(tmp_path / "state")) >= 3


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_signals_end_the_kiosk_with_exit_0_within_2_seconds(tmp_path, slide_folder, signum):
    config = write_config(tmp_path, FAST, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "160x90")
    deadline = time.monotonic() + 30
    while not read_play_log(tmp_path / "state") and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signum)
    _out, err = process.communicate(timeout=2)
    assert process.returncode == 0, err
    assert f"received {signal.Signals(signum).name}" in err


def test_python_dash_m_and_version(tmp_path):
    result = subprocess.run([sys.executable, "-m", "kiosk", "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stdout.startswith("kiosk ")


def test_check_does_not_import_pygame(tmp_path, slide_folder):
    config = write_config(tmp_path, slides=slide_folder)
    code = (
        "import sys; from kiosk.app.cli import main; main(['check', '--json', '--config', sys.argv[1]]);"
        "sys.exit(3 if 'pygame' in sys.modules else 0)"
    )
    result = subprocess.run([sys.executable, "-c", code, str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0


def test_bundled_demo_content_checks_clean(capsys):
    code, out, _ = run_cli(capsys, "check", "--json", "--config", str(REPO / "config.yaml"))
    report = json.loads(out)
    assert code == 0
    assert all(s["ok"] for s in report["slides"])
    assert sum(s["kind"] == "contribute" for s in report["slides"]) == 9  # the eight cards and the Mayor's video
    assert sum(s["kind"] == "answer" for s in report["slides"]) >= 24
    [video] = [s for s in report["slides"] if "video" in s]
    assert video["path"] == "contribute/09-hoping-together.mp4"
    assert video["video"]["codec"] == "h264" and video["video"]["decoded_frames"] == 180
    assert video["private_metadata"] == []
    assert report["content_problems"] == [] and report["missing_glyphs"] == []


def test_plan_follows_the_schedule(tmp_path, slide_folder, capsys):
    body = 'schedule:\n  hours: "07:00-23:00"\n  timezone: Asia/Seoul\n'
    config = write_config(tmp_path, body, slides=slide_folder)
    code, out, _ = run_cli(capsys, "plan", "--json", "--count", "4", "--at", "2026-12-18T22:59:40",
                           "--config", str(config))
    rows = json.loads(out)
    assert [r["start"] for r in rows] == [
        "2026-12-18T22:59:40.000+09:00",  # contribute, 12 s
        "2026-12-18T22:59:52.000+09:00",  # answer, 8 s: ends exactly at 23:00
        "2026-12-19T07:00:00.000+09:00",  # the first slide after the night starts exactly at 07:00
        "2026-12-19T07:00:08.000+09:00",
    ]


@pytest.mark.parametrize("renderer", ["auto", "gpu"])
def test_run_with_each_renderer(tmp_path, slide_folder, renderer):
    config = write_config(tmp_path, FAST + f"display:\n  renderer: {renderer}\n", slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "160x90", "--exit-after", "1.5")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert len(read_play_log(tmp_path / "state")) >= 3


# --- one bad file must not take a box down ------------------------------------------

CP949_NAME = "사진-답변.jpg".encode("cp949")
def test_run_plays_a_video_slide_in_a_real_process_and_counts_its_frames(tmp_path, slide_folder):
    from tests.clips import make_clip

    make_clip(slide_folder / "contribute" / "c0-video.mp4", size=(160, 90), frames=25, rate=25)
    (slide_folder / "contribute" / "c0-video.yaml").write_text("caption: hoping together\nloop: 2\n",
                                                                 encoding="utf-8")
    config = write_config(tmp_path, FAST + "display:\n  renderer: gpu\n", slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "160x90", "--exit-after", "6")
    _out, err = process.communicate(timeout=90)
    assert process.returncode == 0, err
    records = read_play_log(tmp_path / "state")
    video = [r for r in records if r["path"] == "contribute/c0-video.mp4"]
    assert video and video[0]["seconds"] == pytest.approx(0.05 + 2.0)  # two plays of one second, after the fade
    status = json.loads((tmp_path / "state" / "status.json").read_text(encoding="utf-8"))
    counts = status["video_frames"]
    assert counts["shown"] >= 25 and counts["shown"] + counts["skipped"] >= 50  # every frame of a play is counted
    prom = (tmp_path / "state" / "kiosk.prom").read_text(encoding="utf-8")
    assert f'kiosk_video_frames_total{{outcome="shown"}} {counts["shown"]}' in prom
    assert "Traceback" not in err


FAST_RUN = "timing:\n  contribute_seconds: 0.3\n  answer_seconds: 0.2\n  transition_seconds: 0.05\n"


def test_a_deeply_nested_sidecar_neither_stops_check_nor_run(tmp_path, slide_folder, capsys):
    (slide_folder / "answers" / "a1.yaml").write_text("caption: " + "[" * 1500 + "]" * 1500 + "\n")
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    code, out, _err = run_cli(capsys, "check", "--json", "--config", str(config))
    assert code == 0
    problems = json.loads(out)["content_problems"]
    assert "answers/a1.yaml: sidecar ignored: line 1: nested more than 24 levels deep" in problems
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36", "--exit-after", "1.5")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "answers/a1.jpg" in [r["path"] for r in read_play_log(tmp_path / "state")]


def test_an_alias_bomb_sidecar_makes_a_short_report(tmp_path, slide_folder, capsys):
    from .hostile import alias_bomb

    (slide_folder / "answers" / "a1.yaml").write_text(alias_bomb(9, 9).replace("a0:", "caption:", 1))
    config = write_config(tmp_path, slides=slide_folder)
    code, out, _err = run_cli(capsys, "check", "--config", str(config))
    assert code == 0 and len(out) < 2000 and "aliases are expanded" in out


def test_a_name_that_is_not_utf8_costs_nothing_but_that_file(tmp_path, slide_folder, capsys):
    answers = os.fsencode(slide_folder / "answers")
    os.rename(make_picture(slide_folder / "answers" / "x.jpg"), answers + b"/" + CP949_NAME)
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    strict = dict(os.environ, PYTHONIOENCODING="utf-8:strict", SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
    for args in (["plan", "--count", "30"], ["check", "--json"]):
        result = subprocess.run([sys.executable, "-m", "kiosk", *args, "--config", str(config)],
                                env=strict, capture_output=True, timeout=60)
        assert result.returncode == 0, result.stderr
        result.stdout.decode("utf-8")  # valid UTF-8 all through
    check = json.loads(subprocess.run([sys.executable, "-m", "kiosk", "check", "--json", "--config", str(config)],
                                      env=strict, capture_output=True, timeout=60).stdout)
    assert any("the name is not UTF-8" in problem for problem in check["content_problems"])
    code, out, _err = run_cli(capsys, "publish", str(slide_folder), "--out", str(tmp_path / "site"))
    assert code == 0 and "7 files" in out
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36", "--exit-after", "3")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    plays = read_play_log(tmp_path / "state")
    assert len(plays) >= 8  # every slide start recorded (the recorder used to fail at each one)
    status = json.loads((tmp_path / "state" / "status.json").read_text())
    assert status["slides_shown"] and all(t["failing"] is None for t in status["threads"].values())
    assert "cannot record" not in err and "Traceback" not in err
    assert err.count("the name is not UTF-8") == 1


def test_link_loops_in_the_folder_do_not_keep_the_screen_from_opening(tmp_path, slide_folder):
    os.symlink(".", slide_folder / "answers" / "loop")
    os.symlink("..", slide_folder / "answers" / "up")
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36", "--exit-after", "1.5")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    played = [r["path"] for r in read_play_log(tmp_path / "state")]
    assert played and not any("loop" in path or "up/" in path for path in played)


def test_thousands_of_broken_files_leave_signals_and_the_watchdog_working(tmp_path, slide_folder):
    for index in range(3000):
        (slide_folder / "answers" / f"broken{index:04d}.jpg").write_bytes(b"x")
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (tmp_path / "state" / "play.jsonl").exists():
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=15)  # the loop answers a stop between messages
    assert process.returncode == 0, err[-2000:]
    assert err.count("skipping answers/broken0001.jpg") <= 1


# --- the box: one kiosk per state folder, signals, bounded stops ----------------------

import socket
import stat
import threading


def test_a_second_kiosk_on_the_same_state_folder_refuses_to_start(tmp_path, slide_folder):
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    first = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36")
    try:
        deadline = time.monotonic() + 30
        while not (tmp_path / "state" / "play.jsonl").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        second = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36", "--exit-after", "5")
        _out, err = second.communicate(timeout=30)
        assert second.returncode == 1
        assert f"another kiosk (pid {first.pid}) is running with the state folder" in err
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=30)
    assert first.returncode == 0


def test_sighup_reads_the_config_again_and_does_not_stop_the_kiosk(tmp_path, slide_folder):
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36")
    deadline = time.monotonic() + 30
    while not (tmp_path / "state" / "play.jsonl").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGHUP)
    time.sleep(0.5)
    assert process.poll() is None, "SIGHUP ended the kiosk"
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "received SIGHUP; reading" in err


class SilentServer:
    """Accepts connections and never answers: a hung heartbeat or sync server."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


def test_a_stop_is_bounded_with_a_hung_heartbeat_and_sync_server(tmp_path, slide_folder):
    server = SilentServer()
    try:
        body = FAST_RUN + (f"heartbeat:\n  url: http://127.0.0.1:{server.port}/fleet/\n  interval_seconds: 1\n"
                           f"sync:\n  url: http://127.0.0.1:{server.port}/manifest.json\n  jitter_seconds: 0\n")
        config = write_config(tmp_path, body, slides=slide_folder)
        process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36")
        deadline = time.monotonic() + 30
        while len(server.held) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(server.held) >= 2, "the heartbeat and the sync never connected"
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=10)
        stopped_after = time.monotonic() - started
        assert process.returncode == 0, err
        print(f"stopped {stopped_after:.2f} s after SIGTERM with a hung heartbeat and sync")
    finally:
        server.close()


def test_status_files_are_readable_by_others_and_say_when_the_kiosk_stopped(tmp_path, slide_folder):
    config = write_config(tmp_path, FAST_RUN, slides=slide_folder)
    process = kiosk_process("run", "--config", str(config), "--windowed", "--size", "64x36", "--exit-after", "1.5")
    _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    state = tmp_path / "state"
    for name in ("status.json", "kiosk.prom", "rotation.json"):
        assert stat.S_IMODE((state / name).stat().st_mode) == 0o644, name
    prom = (state / "kiosk.prom").read_text()
    assert 'kiosk_up{box="' in prom and "} 0" in prom.split("kiosk_up{")[1].splitlines()[0]
    stamp = next(float(line.split()[1]) for line in prom.splitlines()
                 if line.startswith("kiosk_status_timestamp_seconds "))
    assert abs(stamp - time.time()) < 120
    assert json.loads((state / "status.json").read_text())["running"] is False


def test_a_plan_across_a_daylight_saving_change_uses_the_real_zone(tmp_path, slide_folder):
    body = 'schedule:\n  hours: "07:00-22:00"\n'
    config = write_config(tmp_path, body, slides=slide_folder)
    env = dict(os.environ, TZ="Europe/Berlin")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "plan", "--json", "--count", "1", "--at", "2027-03-27T22:30:00",
         "--config", str(config)], env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # Summer time starts in the night: the screen comes on at 07:00 local, which is +02:00 now.
    assert json.loads(result.stdout)[0]["start"] == "2027-03-28T07:00:00.000+02:00"


# --- the plaza: what a given box will play -----------------------------------------------------

def test_plan_and_snapshot_show_what_a_box_of_a_role_will_play(tmp_path, slide_folder, capsys):
    (slide_folder / "fleet.yaml").write_text(
        "roles:\n  tall-case:\n    playlist: {kinds: [answer]}\n    display: {rotation: 90}\n"
        "boxes:\n  giant-box-1:\n    playlist: {answers_per_contribute: 1}\n", encoding="utf-8")
    config = str(write_config(tmp_path, slides=slide_folder))
    assert main(["plan", "--config", config, "--count", "6", "--json", "--role", "tall-case"]) == 0
    assert {row["kind"] for row in json.loads(capsys.readouterr().out)} == {"answer"}
    assert main(["plan", "--config", config, "--count", "6", "--json", "--box", "giant-box-1"]) == 0
    assert [row["kind"] for row in json.loads(capsys.readouterr().out)] == ["contribute", "answer"] * 3
    assert main(["plan", "--config", config, "--count", "6", "--json"]) == 0
    kinds = [row["kind"] for row in json.loads(capsys.readouterr().out)]
    assert kinds[:4] == ["contribute", "answer", "answer", "answer"]
    out = tmp_path / "tall"
    assert main(["snapshot", "--config", config, "--out", str(out), "--count", "1", "--size", "320x180",
                 "--role", "tall-case"]) == 0
    with Image.open(out / "0001.png") as snapshot:
        assert snapshot.size == (320, 180)  # the panel, turned for a portrait mount


def test_check_reports_the_fleet_file_in_force_and_a_refusal(tmp_path, slide_folder, capsys):
    (slide_folder / "fleet.yaml").write_text("roles:\n  r:\n    box:\n      name: x\n", encoding="utf-8")
    config = str(write_config(tmp_path, slides=slide_folder))
    assert main(["check", "--config", config, "--json"]) == 0
    fleet = json.loads(capsys.readouterr().out)["fleet"]
    assert fleet["version"] is None and "roles.r.box.name: belongs to each box" in fleet["refused"][0]


def test_publish_refuses_a_fleet_file_every_box_would_refuse(tmp_path, slide_folder):
    from kiosk.boundary.publish import publish
    from kiosk.core.errors import PublishError

    (slide_folder / "fleet.yaml").write_text("roles:\n  r:\n    timing: {answer_seconds: -3}\n", encoding="utf-8")
    with pytest.raises(PublishError) as refused:
        publish(slide_folder, tmp_path / "site")
    assert refused.value.problems[0].startswith("fleet.yaml:3: roles.r.timing.answer_seconds: must be")
    assert main(["publish", str(slide_folder), "--out", str(tmp_path / "site")]) == 1
    assert not (tmp_path / "site" / "manifest.json").exists()
    (slide_folder / "fleet.yaml").write_text("roles:\n  r:\n    timing: {answer_seconds: 3}\n", encoding="utf-8")
    assert main(["publish", str(slide_folder), "--out", str(tmp_path / "site")]) == 0
    manifest = json.loads((tmp_path / "site" / "manifest.json").read_text())
    assert "fleet.yaml" in [item["path"] for item in manifest["files"]]


def test_check_reports_phone_formats_colour_profiles_private_metadata_and_a_corrupt_heic(tmp_path, capsys):
    from .test_rendition import phone_photo

    answers = tmp_path / "slides" / "answers"
    answers.mkdir(parents=True)
    phone_photo(answers / "iphone.heic", size=(400, 300), fmt="HEIF")
    make_picture(answers / "android.avif", size=(64, 48), fmt="AVIF")
    make_picture(answers / "plain.jpg", size=(64, 48))
    whole = make_picture(tmp_path / "whole.heic", size=(256, 192), fmt="HEIF").read_bytes()
    (answers / "cut.heic").write_bytes(whole[: len(whole) // 3])
    config = write_config(tmp_path, "", slides=tmp_path / "slides")
    code, out, _err = run_cli(capsys, "check", "--json", "--config", str(config))
    report = {slide["path"]: slide for slide in json.loads(out)["slides"]}
    assert report["answers/cut.heic"]["ok"] is False and report["answers/cut.heic"]["error"]
    iphone = report["answers/iphone.heic"]
    assert iphone["ok"] and iphone["format"] == "HEIF" and iphone["colour_profile"].startswith("Display P3")
    assert {"GPS position", "camera serial number"} <= set(iphone["private_metadata"])
    assert report["answers/android.avif"]["format"] == "AVIF" and report["answers/plain.jpg"]["private_metadata"] == []
    code, out, _err = run_cli(capsys, "check", "--config", str(config))
    assert "1 unusable" in out and "unusable: answers/cut.heic" in out and "1 AVIF, 1 HEIF, 1 JPEG" in out
    assert "shown converted to sRGB: answers/iphone.heic (Display P3" in out
    assert "private metadata" in out and "GPS position" in out


def test_check_calls_every_png_mode_fine_and_says_what_is_not_shown_as_the_file_asks(tmp_path, capsys):
    """Issue 23: 16-bit greyscale showed white while check called it fine. Now it shows grey, and check
    names what the box still shows otherwise than the file asks."""
    import shutil

    from .pngsuite import FOLDER

    answers = tmp_path / "slides" / "answers"
    answers.mkdir(parents=True)
    for stem in ("basn0g16", "tbbn2c16", "g25n2c08", "basn3p04"):
        shutil.copy(FOLDER / f"{stem}.png", answers / f"{stem}.png")
    frames = [Image.new("RGB", (16, 16), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    frames[0].save(answers / "moving.gif", save_all=True, append_images=frames[1:], duration=100)
    config = write_config(tmp_path, "", slides=tmp_path / "slides")
    _code, out, _err = run_cli(capsys, "check", "--json", "--config", str(config))
    report = {slide["path"]: slide for slide in json.loads(out)["slides"]}
    assert all(slide["ok"] for slide in report.values())
    assert report["answers/basn3p04.png"]["shown_differently"] == [
        "its gAMA chunk asks for gamma 1, which is not applied: it shows as sRGB, as Pillow and most image "
        "tools show it (a web browser would show it otherwise)"]
    assert any("gamma 2.5" in note for note in report["answers/g25n2c08.png"]["shown_differently"])
    assert any("16-bit transparent colour" in note for note in report["answers/tbbn2c16.png"]["shown_differently"])
    assert report["answers/moving.gif"]["shown_differently"] == ["animated (2 frames): only the first frame shows"]
    _code, out, _err = run_cli(capsys, "check", "--config", str(config))
    assert "5 slides are not shown exactly as their files ask" in out and "0 unusable" in out
