"""What status.json says about the show's health, built from plain data: no screen, no files, no threads."""

from __future__ import annotations

import datetime as dt
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.boundary.fleetpage import STATUS_MAX_BYTES
from kiosk.core.catalogue import Catalogue, Slide
from kiosk.core.frames import FrameKey
from kiosk.core.messages import ConfigChanged, SyncDone, SyncResult
from kiosk.core.showstatus import STATUS_LIST_LIMIT, STATUS_TEXT_LIMIT, STUCK_WORKER_SECONDS, show_status

from .test_director import FAST, KEYS, Box, config_of, slides

SYNCING = config_of(FAST + "sync:\n  url: https://kiosk.example.org/manifest.json\n")


def status_of(box: Box) -> dict:
    return json.loads(json.dumps(show_status(box.director.snapshot(), 0, box.wall), ensure_ascii=False))


def test_a_pause_says_since_when_and_only_while_it_lasts():
    box = Box(config_of(FAST + KEYS))
    assert status_of(box)["paused"] is False and status_of(box)["paused_since"] is None
    box.advance(1.0)
    box.key("pause")
    paused_at = box.wall.isoformat(timespec="seconds")
    box.advance(200.0)  # within display.pause_seconds (300 s by default)
    status = status_of(box)
    assert status["paused"] is True and status["paused_since"] == paused_at
    assert dt.datetime.fromisoformat(status["time"]) - dt.datetime.fromisoformat(paused_at) == dt.timedelta(seconds=200)
    box.key("next")  # next ends a pause as well as the pause key does
    assert status_of(box)["paused"] is False and status_of(box)["paused_since"] is None
    box.advance(30.0)
    box.key("pause")  # a new pause, a new time
    assert status_of(box)["paused_since"] == box.wall.isoformat(timespec="seconds") != paused_at
    box.key("pause")
    assert status_of(box)["paused_since"] is None


def test_sync_says_never_succeeded_then_how_many_failures_since_the_last_success():
    box = Box(SYNCING)
    sync = status_of(box)["sync"]
    assert sync["configured"] and sync["last_success"] is None and sync["last_success_unix"] == 0
    assert sync["consecutive_failures"] == 0 and "last_result" not in sync  # never tried yet
    for _ in range(3):
        box.send(SyncDone(SyncResult(False, "HTTP 503", None)))
    sync = status_of(box)["sync"]
    assert sync["consecutive_failures"] == 3 and sync["failures"] == 3 and sync["last_success"] is None
    assert sync["ok"] is False and sync["last_result"] == "sync failed: HTTP 503"
    box.advance(60.0)
    box.send(SyncDone(SyncResult(True, "changed", "v2")))
    sync = status_of(box)["sync"]
    assert sync["consecutive_failures"] == 0 and sync["failures"] == 3, "the total still counts (kiosk.prom's counter)"
    assert sync["last_success"] == box.wall.isoformat(timespec="seconds")
    assert sync["last_success_unix"] == int(box.wall.timestamp()) and sync["manifest_version"] == "v2"
    box.send(SyncDone(SyncResult(False, "timeout", None)))
    sync = status_of(box)["sync"]
    assert sync["consecutive_failures"] == 1 and sync["failures"] == 4 and sync["last_success"] is not None


def test_a_stuck_worker_names_the_picture_until_it_works_again():
    box = Box()
    box.director.health.check_worker(("answers/huge.png", STUCK_WORKER_SECONDS + 1))
    assert status_of(box)["worker_stuck_on"] == "answers/huge.png"
    box.director.health.check_worker(("answers/huge.png", 1.0))
    assert status_of(box)["worker_stuck"] is False and status_of(box)["worker_stuck_on"] is None


def test_a_refused_fleet_file_says_why():
    box = Box()
    assert status_of(box)["fleet"] is None  # no fleet file
    box.send(ConfigChanged(box.config,
                           {"version": "abc", "refused": ["fleet.yaml:3: heartbeat.url: only config.yaml"]}))
    assert status_of(box)["fleet"] == {"version": "abc", "refused": ["fleet.yaml:3: heartbeat.url: only config.yaml"]}


def crowded(text: str, length: int) -> Box:
    """A box with every list of its status full, each path and reason `length` repetitions of `text`."""
    long = (text * length)[:length]
    answers = tuple(Slide(f"answers/{i:03d}{long}.jpg", "answer", 1, 1) for i in range(2 * STATUS_LIST_LIMIT + 50))
    overrides = tuple(Slide(f"overrides/{i:03d}{long}.jpg", "override", 10, 1) for i in range(STATUS_LIST_LIMIT + 5))
    catalogue = Catalogue(contribute=slides().contribute, answers=answers, overrides=overrides,
                          problems=tuple(f"{i}{long}" for i in range(STATUS_LIST_LIMIT + 5)))
    box = Box(catalogue=catalogue)
    box.send(ConfigChanged(box.config,
                           {"version": "a", "refused": [f"{i}: {long}" for i in range(STATUS_LIST_LIMIT + 5)]}))
    layout = box.director.frames.layout
    content = box.director.content
    for slide in answers[:STATUS_LIST_LIMIT + 20]:
        content.mark_unusable(slide.path, (1, 1), "cannot decode: " + long)
    for slide in answers[STATUS_LIST_LIMIT + 20:]:
        content.failed(FrameKey(slide.path, (1, 1), "", "answer", layout), "I/O error: " + long, True, box.now)
    return box


@settings(max_examples=20, deadline=None)
@given(text=st.text(st.characters(blacklist_characters="/"), min_size=1, max_size=4), length=st.integers(1, 5000))
def test_every_list_is_capped_and_every_text_clipped_so_the_fleet_page_reads_it(text, length):
    box = crowded(text, length)
    status = status_of(box)
    errors = status["errors"]
    assert errors["unusable_count"] == STATUS_LIST_LIMIT + 20 and len(errors["unusable_files"]) <= STATUS_LIST_LIMIT
    assert errors["retrying_count"] == STATUS_LIST_LIMIT + 30 and len(errors["retrying"]) <= STATUS_LIST_LIMIT
    assert errors["content_problem_count"] == STATUS_LIST_LIMIT + 5
    assert len(errors["content_problems"]) == STATUS_LIST_LIMIT
    assert len(status["overriding"]) == STATUS_LIST_LIMIT and len(status["fleet"]["refused"]) == STATUS_LIST_LIMIT
    texts = [*errors["unusable_files"].items(), *errors["retrying"].items()]
    texts = [t for pair in texts for t in pair] + errors["content_problems"] + status["overriding"]
    assert all(len(t) <= STATUS_TEXT_LIMIT for t in texts + status["fleet"]["refused"])
    if length > STATUS_TEXT_LIMIT:
        assert any(t.endswith("…") for t in texts)
    size = len(json.dumps(status, ensure_ascii=False, indent=1).encode())  # as the status writer writes it
    assert size < STATUS_MAX_BYTES // 2, f"{size} bytes: the fleet page would call this box's status too big"
