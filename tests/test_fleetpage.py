"""The office's page of every screen, in a real browser (Debian's Chromium) against nginx with three boxes' uploads."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from PIL import Image

from kiosk.boundary.fleetpage import FLEET_PAGE, STALE_SECONDS
from kiosk.boundary.publish import publish

from .conftest import REPO, make_picture
from .servers import FleetNginx

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]


def status(box, role, kind="answer", path="answers/a1.jpg", screen="on", unusable=0):
    return {
        "box": box, "role": role, "running": True, "screen": screen,
        "on_screen": {"path": path, "kind": kind, "seconds": 8, "since": "2026-12-18T12:00:00+09:00"},
        "content": {"contribute": 8, "answer": 26, "arriving": 0},
        "sync": {"configured": True, "last_result": "sync ok: version abc", "last_time": "2026-12-18T12:00:00+09:00"},
        "frames": {"fade_gap_seconds": {"0.5": 0.016, "0.9": 0.017, "0.99": 0.0183}},
        "errors": {"unusable_count": unusable},
    }


@pytest.fixture
def office():
    root = Path(tempfile.mkdtemp(prefix="kiosk-office-"))
    root.chmod(0o755)
    make_picture(root / "source" / "answers" / "a1.jpg")
    publish(root / "source", root / "site")
    fleet = root / "site" / "fleet"
    boxes = {
        "giant-box-1": status("giant-box-1", "giant-box", kind="contribute", path="contribute/08-together.png"),
        "tall-case-2": status("tall-case-2", "tall-case"),
        "tall-case-3": status("tall-case-3", "tall-case", kind="fallback", path="(fallback)", unusable=4),
    }
    pictures = {"giant-box-1": REPO / "docs" / "snapshot-giant-box.png",
                "tall-case-2": REPO / "docs" / "snapshot-tall-case.png", "tall-case-3": REPO / "assets" / "fallback.png"}
    for name, report in boxes.items():
        (fleet / name).mkdir(parents=True)
        (fleet / name / "status.json").write_text(json.dumps(report))
        with Image.open(pictures[name]) as picture:  # what such a box's screen.jpg looks like
            small = picture.convert("RGB")
            small.thumbnail((480, 480))
            small.save(fleet / name / "screen.jpg", quality=80)
    stale = time.time() - STALE_SECONDS - 600  # tall-case-2 last reported ten minutes too long ago
    os.utime(fleet / "tall-case-2" / "status.json", (stale, stale))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    nginx = FleetNginx(root / "site", {})
    yield nginx, f"http://127.0.0.1:{nginx.port}/{FLEET_PAGE}", root
    nginx.stop()
    shutil.rmtree(root, ignore_errors=True)


def chromium(*args: str) -> str:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={tempfile.mkdtemp(prefix='kiosk-chromium-')}", "--virtual-time-budget=5000", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=120).stdout


def test_the_page_lists_every_box_and_flags_the_ones_that_need_a_look(office):
    _nginx, url, _root = office
    page = chromium("--dump-dom", url)
    cards = dict(re.findall(r'<section class="box ([^"]*)" data-box="([^"]+)"', page))
    by_box = {box: classes.split() for classes, box in cards.items()}
    assert sorted(by_box) == ["giant-box-1", "tall-case-2", "tall-case-3"]
    assert by_box["giant-box-1"] == []  # healthy
    assert by_box["tall-case-2"] == ["stale"]
    assert by_box["tall-case-3"] == ["fallback", "unusable"]
    assert "3 screens · 1 healthy · 2 need a look" in page
    assert "contribute/08-together.png (contribute)" in page and "giant-box" in page
    assert "63 fps in fades, p99 gap 18 ms" in page and "8 contribute, 26 answers" in page
    assert 'src="fleet/giant-box-1/screen.jpg?' in page


def test_a_screenshot_of_the_page_for_the_docs(office, tmp_path):
    _nginx, url, _root = office
    shot = tmp_path / "fleet-page.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,760", "--hide-scrollbars", url)
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get("KIOSK_WRITE_DOCS"):
        shutil.copy(shot, REPO / "docs" / "fleet-page.png")
