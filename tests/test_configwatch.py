"""The config watcher on real files: poll_once() with a fake clock, and the thread for real."""

import logging
import os
import queue

import pytest

from kiosk.boundary.configwatch import ConfigWatcher
from kiosk.core.messages import ConfigChanged

from .conftest import FakeClock, write_config
from .test_folderwatch import wait_for


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def config_watch(tmp_path, clock):
    path = write_config(tmp_path, "timing:\n  answer_seconds: 8\n")
    inbox: queue.Queue = queue.Queue()
    watcher = ConfigWatcher(path, inbox, settle_seconds=0.3, clock=clock)
    yield path, inbox, watcher
    watcher.stop()


def settle(watcher, clock):
    watcher.poll_once()
    clock.advance(0.35)
    watcher.poll_once()


def test_valid_edit_posts_the_new_config(config_watch, clock):
    path, inbox, watcher = config_watch
    path.write_text(path.read_text().replace("answer_seconds: 8", "answer_seconds: 5"))
    settle(watcher, clock)
    message = inbox.get_nowait()
    assert isinstance(message, ConfigChanged) and message.config.timing.answer_seconds == 5


def test_unchanged_file_posts_nothing(config_watch, clock):
    _path, inbox, watcher = config_watch
    settle(watcher, clock)
    assert inbox.empty()


def test_a_file_still_being_written_is_not_read(config_watch, clock):
    path, inbox, watcher = config_watch
    path.write_text(path.read_text().replace("answer_seconds: 8", "answer_seconds: 5"))
    watcher.poll_once()
    assert inbox.empty()


def test_invalid_edit_is_logged_once_and_the_old_config_stays(config_watch, clock, caplog):
    path, inbox, watcher = config_watch
    caplog.set_level(logging.INFO)
    path.write_text(path.read_text().replace("answer_seconds: 8", "answer_seconds: -1"))
    for _ in range(3):
        settle(watcher, clock)
    assert inbox.empty()
    assert caplog.text.count("timing.answer_seconds: must be a number of seconds > 0 and <= 86400, got -1") == 1
    assert ":6: timing.answer_seconds" in caplog.text
    path.write_text(path.read_text().replace("answer_seconds: -1", "answer_seconds: 6"))
    settle(watcher, clock)
    assert inbox.get_nowait().config.timing.answer_seconds == 6


def test_atomic_replace_is_seen(config_watch, clock):
    path, inbox, watcher = config_watch
    temp = path.with_name(".config.yaml.swp")
    temp.write_text(path.read_text().replace("answer_seconds: 8", "answer_seconds: 3"))
    os.replace(temp, path)
    settle(watcher, clock)
    assert inbox.get_nowait().config.timing.answer_seconds == 3


def test_config_thread_follows_an_editor_save(tmp_path):
    path = write_config(tmp_path, "timing:\n  answer_seconds: 8\n")
    inbox: queue.Queue = queue.Queue()
    watcher = ConfigWatcher(path, inbox, settle_seconds=0.1, poll_seconds=5)
    watcher.start()
    try:
        with open(path, "r+") as handle:  # truncate and write, like many editors
            text = handle.read().replace("answer_seconds: 8", "answer_seconds: 2")
            handle.seek(0)
            handle.truncate()
            handle.write(text)
        message = wait_for(lambda: None if inbox.empty() else inbox.get_nowait())
        assert message.config.timing.answer_seconds == 2
    finally:
        watcher.stop()


def test_a_wake_up_is_answered_after_the_burst_wait_not_after_the_files_settle_time(tmp_path):
    """The file's settle time (unchanged this long before it is read) is the watcher's own; the thread's
    wait for a burst of events to end is the template's: a long settle time never delays a round."""
    path = write_config(tmp_path, "timing:\n  answer_seconds: 8\n")
    watcher = ConfigWatcher(path, queue.Queue(), settle_seconds=30, poll_seconds=600)
    watcher.start()
    try:
        watcher.wake()  # as SIGHUP does
        wait_for(lambda: watcher.health()["last_success"] is not None, timeout=5)
    finally:
        watcher.stop()
