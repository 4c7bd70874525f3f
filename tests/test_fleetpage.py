"""The office's page of every screen, in a real browser (Debian's Chromium) against nginx with the boxes' uploads.

Healthy, unhealthy and hostile boxes side by side: each card must give the
right verdict and say why, and no box's files may disturb another's card.
The page's verdict function is also run over generated statuses (Hypothesis)
in the same browser, under the page's Content-Security-Policy.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from kiosk.boundary.fleetpage import (
    FLEET_PAGE, HEADER_POLICY, POLICY, SCREEN_MAX_BYTES, SCRIPT, STALE_SECONDS, STATUS_MAX_BYTES, STYLE, TEXT_CHARS,
    body_attributes, fleet_page, page_limits, write_fleet_page,
)
from kiosk.boundary.publish import publish
from kiosk.core.messages import SyncDone, SyncResult

from .conftest import REPO, make_picture
from .servers import FleetNginx
from .test_show import FAST, world

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER = (
    pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed (.ci/run installs it)"),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
)


def in_browser(test):
    for mark in BROWSER:
        test = mark(test)
    return test


# --- what boxes upload ------------------------------------------------------------------------------------

def iso(seconds_from_now: float = 0.0) -> str:
    return (dt.datetime.now().astimezone() + dt.timedelta(seconds=seconds_from_now)).isoformat(timespec="seconds")


def healthy(box: str, role: str = "tall-case", kind: str = "answer", path: str = "answers/a1.jpg", **changes) -> dict:
    """A status as a healthy box writes it (kiosk/core/showstatus.py and kiosk/app/show.py), changed by `changes`."""
    status = {
        "box": box, "version": "0.1.0", "time": iso(-5), "uptime_seconds": 86400.0, "screen": "on",
        "paused": False, "paused_since": None,
        "on_screen": {"path": path, "kind": kind, "seconds": 8, "since": iso(-7)},
        "content": {"contribute": 8, "answer": 26, "arriving": 0},
        "slides_shown": {"contribute": 900, "answer": 2900},
        "sync": {"configured": True, "failures": 0, "consecutive_failures": 0,
                 "last_success_unix": int(time.time()) - 8,
                 "last_success": iso(-8), "last_time": iso(-8), "last_result": "sync ok: version abc, 0 downloaded, "
                 "0 removed (unchanged)", "ok": True, "manifest_version": "abc"},
        "errors": {"unusable_count": 0, "unusable_files": {}, "retrying": {}, "retrying_count": 0,
                   "content_problems": [], "content_problem_count": 0},
        "worker_stuck": False, "worker_stuck_on": None, "role": role, "fleet": {"version": "f1", "refused": []},
        "overriding": [], "running": True,
        "frames": {"fade_gap_seconds": {"0.5": 0.016, "0.9": 0.017, "0.99": 0.0183}},
        "threads": {name: {"running": True, "last_success": iso(-10), "failing": None, "failures": 0}
                    for name in ("worker", "folder-watcher", "status", "sync", "upload")},
        "clock_synchronised": True, "state_problems": [],
        "trust": {"pinned": True, "state": "accepted", "version": 42, "expires": iso(7 * 86400), "refused": None,
                  "refused_at": None},
    }
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(status.get(key), dict):
            status[key] = {**status[key], **value}
        else:
            status[key] = value
    return status


def never_synced(box: str) -> dict:
    return healthy(box, sync={"ok": False, "failures": 40, "consecutive_failures": 40, "last_success_unix": 0,
                              "last_success": None, "last_result": "sync failed: HTTP 503"})


def every_kind_of_box() -> dict[str, tuple[object, str, list[str]]]:
    """Each box: its status.json (a dict, or bytes as uploaded), its verdict, and words its reasons must hold."""
    return {
        "giant-box-1": (healthy("giant-box-1", "giant-box", "contribute", "contribute/08-together.png"), "ok", []),
        "tall-case-2": (healthy("tall-case-2"), "problem", ["no report for 15 min"]),
        "tall-case-3": (healthy("tall-case-3", kind="fallback", path="(fallback)", errors={"unusable_count": 4}),
                        "warning", ["the fallback card", "4 unusable files"]),
        "paused-4": (healthy("paused-4", paused=True, paused_since=iso(-20 * 60)), "problem", ["paused for 20 min"]),
        "never-synced-5": (never_synced("never-synced-5"), "problem",
                           ["sync has never succeeded (40 tries): takedowns do not reach it: sync failed: HTTP 503"]),
        "sync-failing-6": (healthy("sync-failing-6", sync={"ok": False, "consecutive_failures": 3,
                                                         "last_success_unix": int(time.time()) - 185,
                                                         "last_result": "sync failed: timeout"}),
                           "warning", ["sync failing for 3 min (3 tries): sync failed: timeout"]),
        "fleet-refused-7": (healthy("fleet-refused-7", fleet={"version": "f1", "refused": [
            "fleet.yaml: heartbeat.url: only the box's own config.yaml may set it"]}), "problem",
            ["fleet.yaml refused (the last good one applies): fleet.yaml: heartbeat.url"]),
        "state-8": (healthy("state-8", state_problems=["cannot write the play log in /var/lib/kiosk: No space left"]),
                    "problem", ["state: cannot write the play log"]),
        "stuck-9": (healthy("stuck-9", worker_stuck=True, worker_stuck_on="answers/huge.png"), "problem",
                    ["the decode worker is stuck on answers/huge.png"]),
        "threads-10": (healthy("threads-10", threads={"sync": {"running": True, "failing": "OSError: disk I/O error"},
                                                      "upload": {"running": False, "failing": None}}),
                       "problem", ["thread sync failing: OSError: disk I/O error", "thread upload is not running"]),
        "trust-refused-11": (healthy("trust-refused-11", trust={"state": "refused",
                                                                "refused": "signature does not verify",
                                                                "refused_at": iso(-100)}),
                             "problem", ["published content refused: signature does not verify"]),
        "unsigned-12": (healthy("unsigned-12", trust={"pinned": False, "state": "unpinned", "version": None,
                                                      "expires": None}), "warning", ["unsigned content accepted"]),
        "null-13": (b"null", "problem", ["status.json holds null, not a status"]),
        "list-14": (b"[1, 2]", "problem", ["status.json holds a list, not a status"]),
        "types-15": ({"time": 12, "paused": "yes", "sync": 5, "threads": [], "errors": {"unusable_count": -1},
                      "state_problems": "disk", "on_screen": {"path": ["x"]}}, "problem",
                     ["status.json is malformed: time, paused, on_screen.path, sync, errors.unusable_count, threads"]),
        "huge-16": ({"box": "huge-16", "padding": "x" * (STATUS_MAX_BYTES + 10)}, "problem",
                    ["status.json is too big"]),
        "broken-17": (b'{"box": "broken-17", "time": ', "problem", ["status.json is not valid JSON"]),
        "missing-18": (None, "problem", ["no status.json uploaded"]),
        "future-19": (healthy("future-19", time="2100-01-01T00:00:00+09:00"), "problem",
                      ["its clock is 73 years ahead"]),
        "future-20": (healthy("future-20"), "problem", ["received 73 years in the future: a clock is wrong"]),
        "<img src=x onerror=alert(1)>": (healthy("<img src=x onerror=alert(1)>"), "ok", []),
        "long-22": (healthy("long-22", role="r" * 300_000, on_screen={"path": "p" * 300_000, "kind": "answer"}),
                    "ok", []),
        "numbers-23": (b'{"uptime_seconds": 1e999, "content": {"contribute": -5, "answer": 2.5}, "time": "' +
                       iso(-5).encode() + b'"}', "problem",
                       ["status.json is malformed: uptime_seconds, content.contribute, content.answer"]),
        "bytes-24": (b'{"box": "\xff\xfe"}', "problem", ["status.json is not UTF-8"]),
        "stopped-25": (healthy("stopped-25", running=False), "problem", ["the kiosk has stopped"]),
        "big-screen-26": (healthy("big-screen-26"), "ok", []),
        "deep-27": (b"[" * 200_000, "problem", ["status.json is not valid JSON"]),
        "video-28": (healthy("video-28", video_frames={"shown": 1794, "late": 3, "skipped": 6}), "ok", []),
        "video-29": (healthy("video-29", video_frames={"shown": 2.5, "late": -1, "skipped": "many"}), "problem",
                     ["status.json is malformed: video_frames.shown, video_frames.late, video_frames.skipped"]),
    }


SCREENS = {"giant-box-1": REPO / "docs" / "snapshot-giant-box.png", "tall-case-3": REPO / "assets" / "fallback.png"}


def office_with(boxes: dict[str, object], stale: tuple[str, ...] = (), future: tuple[str, ...] = (),
                big_screen: tuple[str, ...] = (), screens: dict[str, Path] = SCREENS) -> tuple[FleetNginx, str, Path]:
    """A published site with each box's uploads in fleet/<box>/, served by the documented nginx configuration."""
    root = Path(tempfile.mkdtemp(prefix="kiosk-office-"))
    root.chmod(0o755)
    make_picture(root / "source" / "answers" / "a1.jpg")
    publish(root / "source", root / "site")
    fleet = root / "site" / "fleet"
    for name, report in boxes.items():
        folder = fleet / name
        folder.mkdir(parents=True)
        if report is not None:
            (folder / "status.json").write_bytes(report if isinstance(report, bytes) else json.dumps(report).encode())
        with Image.open(screens.get(name, REPO / "docs" / "snapshot-tall-case.png")) as picture:
            small = picture.convert("RGB")  # what a box's screen.jpg looks like
            small.thumbnail((480, 480))
            small.save(folder / "screen.jpg", quality=80)
        if name in big_screen:
            (folder / "screen.jpg").write_bytes(os.urandom(SCREEN_MAX_BYTES + 1))
    for name in stale:
        then = time.time() - STALE_SECONDS - 600  # ten minutes too long ago
        os.utime(fleet / name / "status.json", (then, then))
    for name in future:
        then = dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc).timestamp()
        os.utime(fleet / name / "status.json", (then, then))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    nginx = FleetNginx(root / "site", {})
    return nginx, f"http://127.0.0.1:{nginx.port}/", root


@pytest.fixture
def office():
    boxes = every_kind_of_box()
    nginx, url, root = office_with({name: report for name, (report, _, _) in boxes.items()}, stale=("tall-case-2",),
                                   future=("future-20",), big_screen=("big-screen-26",))
    yield nginx, url, root, boxes
    nginx.stop()
    shutil.rmtree(root, ignore_errors=True)


def chromium(url: str, *args: str) -> tuple[str, list[str]]:
    """The page's DOM once its scripts have run, and what its console said (CSP violations, uncaught errors)."""
    profile = tempfile.mkdtemp(prefix="kiosk-chromium-")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", "--virtual-time-budget=8000",
               *args, url]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    return done.stdout, [line for line in done.stderr.splitlines() if ":CONSOLE" in line]


class Cards(HTMLParser):
    """Each box's card in a dumped page: its verdict, its reasons and all its text."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, dict] = {}
        self.tags: list[str] = []
        self.card: dict | None = None
        self.depth = 0
        self.reason: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and "data-box" in attributes:
            self.card = {"verdict": attributes["data-verdict"], "reasons": [], "text": "", "tags": []}
            self.cards[attributes["data-box"]] = self.card
            self.depth = 0
        if self.card is None:
            return
        self.card["tags"].append((tag, attributes))
        if tag in ("section", "div", "ul", "li", "h2", "span"):
            self.depth += 1
        if tag == "li":
            self.reason = [attributes.get("class"), ""]
            self.card["reasons"].append(self.reason)

    def handle_endtag(self, tag):
        if self.card is None:
            return
        if tag == "li":
            self.reason = None
        if tag in ("section", "div", "ul", "li", "h2", "span"):
            self.depth -= 1
            if self.depth == 0:
                self.card = None

    def handle_data(self, data):
        if self.card is not None:
            self.card["text"] += data
            if self.reason is not None:
                self.reason[1] += data


def cards_of(page: str) -> dict[str, dict]:
    parser = Cards()
    parser.feed(page)
    return parser.cards


# --- the page in the browser --------------------------------------------------------------------------------

@in_browser
def test_each_box_gets_its_own_verdict_whatever_the_others_uploaded(office):
    _nginx, url, _root, boxes = office
    page, console = chromium(url + FLEET_PAGE, "--dump-dom")
    cards = cards_of(page)
    assert sorted(cards) == sorted(boxes), "every box has a card, whatever it uploaded"
    for name, (_report, level, words) in boxes.items():
        card = cards[name]
        reasons = " | ".join(text for _, text in card["reasons"])
        assert card["verdict"] == level, f"{name}: {card['verdict']} ({reasons})"
        for word in words:
            assert word in reasons, f"{name}: {word!r} not in {reasons!r}"
        if level == "ok":
            assert card["reasons"] == []
        assert all(len(text) <= 2 * TEXT_CHARS for _, text in card["reasons"])
        assert len(card["text"]) < 3000, f"{name}: the card shows all of a huge text"
    problems = sum(level == "problem" for _, level, _ in boxes.values())
    warnings = sum(level == "warning" for _, level, _ in boxes.values())
    summary = f"{len(boxes)} screens · {len(boxes) - problems - warnings} ok · {warnings} warning · {problems} problem"
    assert summary in page
    # The worst first, so the office sees them without scrolling.
    order = re.findall(r'data-verdict="(\w+)"', page)
    assert order == sorted(order, key=["problem", "warning", "ok"].index)
    # A box's name is text, never markup; a screenshot too big is not fetched.
    hostile = cards["<img src=x onerror=alert(1)>"]
    assert not [tag for tag, attributes in hostile["tags"] if "onerror" in attributes or tag == "script"]
    assert "<img src=x onerror=alert(1)>" in hostile["text"]
    assert 'src="fleet/%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E/screen.jpg?' in page
    assert "screenshot too big to show" in cards["big-screen-26"]["text"]
    assert "no screenshot uploaded" not in cards["giant-box-1"]["text"]
    assert "contribute/08-together.png (contribute)" in cards["giant-box-1"]["text"]
    assert "63 fps in fades, p99 gap 18 ms" in cards["giant-box-1"]["text"]
    assert "no video yet" in cards["giant-box-1"]["text"]
    assert "1794 shown, 3 late, 6 skipped (99.5 % on time)" in cards["video-28"]["text"]
    assert "r" * TEXT_CHARS not in cards["long-22"]["text"] and "r" * (TEXT_CHARS - 1) + "…" in cards["long-22"]["text"]
    assert not [line for line in console if "Uncaught" in line or "Content Security Policy" in line], console


@in_browser
def test_the_page_runs_under_its_content_security_policy_with_no_inline_script(office):
    _nginx, url, root, boxes = office
    with urllib.request.urlopen(url + FLEET_PAGE) as response:
        assert response.headers["Content-Security-Policy"] == HEADER_POLICY
        served = response.read().decode()
    assert f'<meta http-equiv="Content-Security-Policy" content="{html.escape(POLICY)}">' in served
    assert "script-src 'self'" in POLICY and "'unsafe-inline'" not in HEADER_POLICY
    assert "frame-ancestors 'none'" in HEADER_POLICY
    page, console = chromium(url + FLEET_PAGE, "--dump-dom")
    assert len(cards_of(page)) == len(boxes), "the page worked under its policy"
    assert not [line for line in console if "Content Security Policy" in line], console
    # The same check catches a violation: an inline script under the page's policy is refused and said.
    control = fleet_page().replace("</body>", '<script>document.body.dataset.inline = "ran";</script></body>')
    (root / "site" / "control.html").write_text(control)
    (root / "site" / "control.html").chmod(0o644)
    page, console = chromium(url + "control.html", "--dump-dom")
    assert 'data-inline="ran"' not in page
    assert any("Content Security Policy" in line and "inline script" in line for line in console), console


@in_browser
def test_a_fleet_folder_that_cannot_be_read_is_said_and_no_box_is_made_up():
    nginx, url, root = office_with({})  # no box has reported: nginx answers 404 for fleet/
    try:
        page, console = chromium(url + FLEET_PAGE, "--dump-dom")
    finally:
        nginx.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert "cannot read the reports: the fleet folder's listing HTTP 404" in page
    assert cards_of(page) == {} and not [line for line in console if "Uncaught" in line], console


def test_the_page_has_no_inline_script_or_style_and_names_its_files_by_content(tmp_path):
    write_fleet_page(tmp_path)
    page = (tmp_path / FLEET_PAGE).read_text()
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "every script is a file"
    assert "<style" not in page and " style=" not in page and " on" not in re.sub(r"<meta[^>]*>", "", page).lower()
    script = re.search(r'<script src="(fleet\.js\?v=[0-9a-f]{12})" defer>', page).group(1)
    style = re.search(r'<link rel="stylesheet" href="(fleet\.css\?v=[0-9a-f]{12})">', page).group(1)
    assert (tmp_path / SCRIPT).stat().st_size > 1000 and (tmp_path / STYLE).stat().st_size > 100
    for name, value in page_limits().items():
        attribute = re.sub(r"[A-Z]", lambda m: "-" + m.group().lower(), name)
        assert f'data-{attribute}="{value}"' in page
    before = {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    write_fleet_page(tmp_path)  # unchanged: not written again
    assert before == {path.name: path.stat().st_mtime_ns for path in tmp_path.iterdir()}
    assert script != style


# --- the verdict over generated statuses, in the browser -------------------------------------------------

HARNESS_SCRIPT = """"use strict";
(async () => {
  const cases = await (await fetch("cases.json")).json();
  const results = cases.map(c => {
    try {
      let raw, trouble = null;
      try { raw = parseJson(c.text); } catch (e) { trouble = "status.json " + reason(e); }
      const judged = verdict(raw, c.reported, c.now, LIMITS, trouble);
      const box = {name: c.name, folder: "fleet/x/", raw, trouble, reported: c.reported, screen: null};
      return {level: judged.level, reasons: judged.reasons, text: card(box, judged, c.now).textContent};
    } catch (e) {
      return {error: String(e && e.stack || e)};
    }
  });
  document.getElementById("results").textContent = JSON.stringify(results);
})();
"""


def judge_in_browser(cases: list[dict]) -> list[dict]:
    """The page's own verdict() and card() over `cases` ({name, text, reported, now}), in Chromium."""
    site = Path(tempfile.mkdtemp(prefix="kiosk-verdicts-"))
    try:
        write_fleet_page(site)
        (site / "harness.js").write_text(HARNESS_SCRIPT)
        (site / "cases.json").write_text(json.dumps(cases))
        (site / "harness.html").write_text(
            f'<!doctype html><html><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{html.escape(POLICY)}">'
            f'<script src="{SCRIPT}" defer></script><script src="harness.js" defer></script></head>'
            f'<body {body_attributes()}><pre id="results"></pre></body></html>')
        site.chmod(0o755)
        for path in site.iterdir():
            path.chmod(0o644)
        nginx = FleetNginx(site, {})
        try:
            page, console = chromium(f"http://127.0.0.1:{nginx.port}/harness.html", "--dump-dom")
        finally:
            nginx.stop()
    finally:
        shutil.rmtree(site, ignore_errors=True)
    found = re.search(r'<pre id="results">(.*?)</pre>', page, re.S)
    assert found and found.group(1), console
    return json.loads(html.unescape(found.group(1)))


NOW_MS = int(dt.datetime(2026, 12, 18, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=9))).timestamp() * 1000)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(10 ** 400), max_value=10 ** 400) | st.floats()
    | st.text(max_size=30) | st.sampled_from(["", "2100-01-01T00:00:00Z", "1970-01-01", "NaN", "__proto__"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ("box", "version", "role", "time", "uptime_seconds", "running", "screen", "paused", "paused_since",
          "on_screen", "content", "sync", "errors", "frames", "threads", "worker_stuck", "worker_stuck_on",
          "clock_synchronised", "state_problems", "fleet", "trust", "__proto__", "constructor", "toString")
HOSTILE = st.one_of(
    JSON_VALUES,
    st.fixed_dictionaries({}, optional={field: JSON_VALUES for field in FIELDS}),
    st.builds(lambda base, changes: {**base, **changes}, st.just(healthy("b")),
              st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=3)),
)

# Facts an unhealthy box reports, each with the level it deserves and words of its reason; one per group.
FACTS = {
    "pause": [({}, "ok", ""), ({"paused": True, "paused_since": "2026-12-18T11:00:00+09:00"}, "problem", "paused for")],
    "run": [({}, "ok", ""), ({"running": False}, "problem", "stopped")],
    "worker": [({}, "ok", ""), ({"worker_stuck": True}, "problem", "decode worker is stuck")],
    "state": [({}, "ok", ""), ({"state_problems": ["disk full"]}, "problem", "state: disk full")],
    "fleet": [({}, "ok", ""), ({"fleet": {"version": "a", "refused": ["bad key"]}}, "problem", "fleet.yaml refused")],
    "thread": [({}, "ok", ""), ({"threads": {"sync": {"running": True, "failing": "boom"}}}, "problem",
                                "thread sync failing: boom")],
    "trust": [({}, "ok", ""), ({"trust": {"state": "refused", "refused": "replayed"}}, "problem", "content refused"),
              ({"trust": {"pinned": False, "state": "unpinned"}}, "warning", "unsigned content accepted"),
              ({"trust": {"state": "accepted", "expires": "2026-12-17T00:00:00+09:00"}}, "problem", "expired")],
    "sync": [({}, "ok", ""),
             ({"sync": {"last_success_unix": 0, "last_success": None, "ok": False, "consecutive_failures": 2}},
              "problem", "never succeeded"),
             ({"sync": {"ok": False, "consecutive_failures": 1, "last_success_unix": NOW_MS // 1000 - 30}},
              "warning", "sync failing for"),
             ({"sync": {"ok": False, "consecutive_failures": 99, "last_success_unix": NOW_MS // 1000 - 7200}},
              "problem", "sync failing for"),
             ({"sync": {"configured": False}}, "warning", "sync not configured")],
    "clock": [({}, "ok", ""), ({"clock_synchronised": False}, "warning", "clock not synchronised")],
    "content": [({}, "ok", ""), ({"errors": {"unusable_count": 3}}, "warning", "3 unusable files"),
                ({"on_screen": {"path": "(fallback)", "kind": "fallback"}}, "warning", "fallback card")],
    "time": [({}, "ok", ""), ({"time": "2100-01-01T00:00:00+09:00"}, "problem", "ahead"),
             ({"time": "2026-12-18T10:00:00+09:00"}, "problem", "status written 2 h ago")],
}
UNHEALTHY = st.fixed_dictionaries({group: st.sampled_from(choices) for group, choices in FACTS.items()})


def not_json(constant: str) -> None:
    raise ValueError(f"{constant} is not JSON")


def unhealthy_case(facts: dict) -> tuple[dict, str, list[str]]:
    status = healthy("b", time="2026-12-18T11:59:55+09:00")
    status["sync"]["last_success_unix"] = NOW_MS // 1000 - 8
    status["trust"]["expires"] = "2026-12-25T00:00:00+09:00"
    levels, words = ["ok"], []
    for change, level, word in facts.values():
        for key, value in change.items():
            status[key] = {**status[key], **value} if isinstance(value, dict) and key in ("sync", "trust") else value
        levels.append(level)
        words += [word] if word else []
    return status, max(levels, key=["ok", "warning", "problem"].index), words


@in_browser
@settings(max_examples=4, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(hostile=st.lists(HOSTILE, min_size=30, max_size=30), unhealthy=st.lists(UNHEALTHY, min_size=30, max_size=30),
       ages=st.lists(st.floats(-1e12, 1e12) | st.sampled_from([float("nan"), 10.0]), min_size=30, max_size=30))
def test_any_status_gets_a_verdict_and_each_unhealthy_fact_its_level(hostile, unhealthy, ages):
    cases = [{"name": f"h{i}", "text": json.dumps(status), "now": NOW_MS,
              "reported": None if age != age else NOW_MS - age * 1000}
             for i, (status, age) in enumerate(zip(hostile, ages))]
    expected = [unhealthy_case(facts) for facts in unhealthy]
    cases += [{"name": f"u{i}", "text": json.dumps(status), "reported": NOW_MS - 10_000, "now": NOW_MS}
              for i, (status, _, _) in enumerate(expected)]
    results = judge_in_browser(cases)
    assert len(results) == len(cases)
    for case, result in zip(cases, results):
        assert "error" not in result, (case, result)
        reasons = [reason["text"] for reason in result["reasons"]]
        assert result["level"] == max([r["level"] for r in result["reasons"]] + ["ok"],
                                      key=["ok", "warning", "problem"].index)
        assert all(len(text) <= 2 * TEXT_CHARS for text in reasons)
        assert len(result["text"]) < 6000
        try:
            status = json.loads(case["text"], parse_constant=not_json)
        except ValueError:
            status = None  # NaN written by Python: not JSON for a browser
        if not isinstance(status, dict):
            assert result["level"] == "problem", (case, result)
            continue
        for flag in ("paused", "running", "worker_stuck"):
            if flag in status and not isinstance(status[flag], bool):
                assert result["level"] == "problem"
                assert any("malformed" in r and (flag in r or "more)" in r) for r in reasons), reasons
    for (status, level, words), result in zip(expected, results[len(hostile):]):
        reasons = " | ".join(reason["text"] for reason in result["reasons"])
        assert result["level"] == level, (status, reasons)
        for word in words:
            assert word in reasons, (word, reasons)


@in_browser
def test_the_status_a_real_show_writes_is_read_without_a_malformed_field(tmp_path, slide_folder):
    """The page's idea of status.json against the real one: a healthy show warns only that it is unpinned; a paused
    one says since when."""
    box = world(tmp_path, slide_folder, FAST.replace("display:\n", "display:\n  keys: true\n")
                + "sync:\n  url: https://kiosk.example.org/manifest.json\n")
    box.show.open()
    box.step_until(lambda: box.show.slides_shown >= 3)
    director = box.show.director
    director.receive(SyncDone(SyncResult(True, "changed", "abc", finished=box.wall().isoformat())), box.clock.now,
                     box.wall())
    ok = json.loads(json.dumps(box.show.monitor.status(), ensure_ascii=False))  # as the status writer writes it
    director.key("pause", box.clock.now, box.wall())
    box.clock.advance(600)
    director.receive(SyncDone(SyncResult(False, "HTTP 503", None)), box.clock.now, box.wall())
    paused = json.loads(json.dumps(box.show.monitor.status(), ensure_ascii=False))
    assert paused["paused_since"] and paused["sync"]["consecutive_failures"] == 1
    now = int(dt.datetime.fromisoformat(ok["time"]).timestamp() * 1000) + 5000
    cases = [{"name": "ok", "text": json.dumps(ok), "reported": now, "now": now},
             {"name": "paused", "text": json.dumps(paused), "reported": now + 600_000, "now": now + 600_000}]
    ok_result, paused_result = judge_in_browser(cases)
    # Healthy, and only the trust block speaks: a synced box with no root key pinned takes unsigned content.
    assert ok_result["level"] == "warning", ok_result
    assert [reason["text"] for reason in ok_result["reasons"]] == ["unsigned content accepted: no root key pinned"]
    reasons = [reason["text"] for reason in paused_result["reasons"]]
    assert not any("malformed" in reason for reason in reasons), reasons
    assert any(reason.startswith("paused for 10 min (since ") for reason in reasons), reasons
    assert any(reason.startswith("sync failing for 10 min (1 tries)") for reason in reasons), reasons


@in_browser
def test_a_screenshot_of_the_page_for_the_docs(tmp_path):
    boxes = {
        "giant-box-1": healthy("giant-box-1", "giant-box", "contribute", "contribute/08-together.png"),
        "tall-case-2": healthy("tall-case-2", path="answers/nepali.jpg"),
        "tall-case-3": healthy("tall-case-3", kind="fallback", path="(fallback)", errors={"unusable_count": 4}),
        "tall-case-4": healthy("tall-case-4", paused=True, paused_since=iso(-25 * 60)),
        "tall-case-5": healthy("tall-case-5"),
        "giant-box-6": never_synced("giant-box-6") | {"role": "giant-box"},
    }
    screens = SCREENS | {"giant-box-6": REPO / "docs" / "snapshot-giant-box.png",
                         "tall-case-2": REPO / "docs" / "snapshot-answer-nepali.png"}
    nginx, url, root = office_with(boxes, stale=("tall-case-5",), screens=screens)
    try:
        shot = tmp_path / "fleet-page.png"
        chromium(url + FLEET_PAGE, f"--screenshot={shot}", "--window-size=1280,1000", "--hide-scrollbars")
    finally:
        nginx.stop()
        shutil.rmtree(root, ignore_errors=True)
    assert shot.exists() and shot.stat().st_size > 10_000
    if os.environ.get("KIOSK_WRITE_DOCS"):
        shutil.copy(shot, REPO / "docs" / "fleet-page.png")
