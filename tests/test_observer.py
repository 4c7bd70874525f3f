"""The seam to watchdog: its events become plain FolderEvents relative to the folder, the noise is left out,
and a folder that is replaced is watched again."""

import logging
import os
import shutil
import time

import pytest
from watchdog.events import (
    DirModifiedEvent, EventsLostEvent, FileClosedNoWriteEvent, FileCreatedEvent, FileModifiedEvent, FileMovedEvent,
    FileOpenedEvent,
)
from watchdog.observers import Observer

from kiosk.boundary.observer import Notifications, ObservedFolder, relative_path
from kiosk.core.folderdiff import FolderEvent


@pytest.fixture
def heard(tmp_path):
    events: list[FolderEvent] = []
    return tmp_path, events, Notifications(events.append, tmp_path)


def test_paths_are_relative_to_the_folder_with_slashes(tmp_path):
    root = os.fsdecode(tmp_path)
    assert relative_path(os.path.join(root, "answers", "a.jpg"), root) == "answers/a.jpg"
    assert relative_path(os.fsencode(os.path.join(root, "a.jpg")), root) == "a.jpg"
    assert relative_path(root, root) is None
    assert relative_path(os.path.dirname(root), root) is None


def test_a_file_event_becomes_a_folder_event(heard):
    root, events, notifications = heard
    notifications.dispatch(FileCreatedEvent(str(root / "answers" / "a.jpg")))
    notifications.dispatch(DirModifiedEvent(str(root)))
    assert events == [FolderEvent("created", "answers/a.jpg"), FolderEvent("modified", None, None, True)]


def test_a_rename_from_a_hidden_name_counts_and_one_out_of_the_folder_names_no_destination(heard):
    root, events, notifications = heard
    notifications.dispatch(FileMovedEvent(str(root / "answers" / ".a.jpg.XyZ"), str(root / "answers" / "a.jpg")))
    notifications.dispatch(FileMovedEvent(str(root / "answers" / "b.jpg"), str(root.parent / "elsewhere.jpg")))
    assert events == [FolderEvent("moved", "answers/.a.jpg.XyZ", "answers/a.jpg"),
                      FolderEvent("moved", "answers/b.jpg", None)]


@pytest.mark.parametrize("name", [".kiosk-sync/chunk", "answers/b.jpg.part", "answers/.b.jpg.a1B2c3", "answers/~b.jpg"])
def test_events_about_hidden_and_temporary_names_only_are_left_out(heard, name):
    root, events, notifications = heard
    notifications.dispatch(FileModifiedEvent(str(root / name)))
    notifications.dispatch(FileMovedEvent(str(root / name), str(root / (name + ".tmp"))))
    assert events == []


def test_reads_change_nothing_and_are_left_out(heard):
    root, events, notifications = heard
    notifications.dispatch(FileOpenedEvent(str(root / "answers" / "a.jpg")))
    notifications.dispatch(FileClosedNoWriteEvent(str(root / "answers" / "a.jpg")))
    assert events == []


def test_an_overflow_of_the_kernels_queue_says_that_anything_may_have_changed(heard):
    root, events, notifications = heard
    notifications.dispatch(EventsLostEvent(str(root), is_directory=True))  # as watchdog's observer delivers it
    assert events == [FolderEvent("events_lost", None, None, True)]


def wait_for_event(events, path, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(event.path == path or event.moved_to == path for event in events):
            return
        time.sleep(0.05)
    raise AssertionError(f"no event about {path}: {events}")


def test_a_folder_deleted_and_made_again_is_watched_again(tmp_path):
    folder = tmp_path / "slides"
    folder.mkdir()
    events: list[FolderEvent] = []
    observed = ObservedFolder(folder, recursive=True, mode="native", on_event=events.append)
    try:
        assert observed.ensure() is True  # started
        assert observed.ensure() is False  # nothing changed
        (folder / "a.jpg").write_bytes(b"x")
        wait_for_event(events, "a.jpg")
        shutil.rmtree(folder)
        assert observed.ensure() is True  # gone: stopped
        assert observed.ensure() is False
        folder.mkdir()
        assert observed.ensure() is True  # back: watched again
        (folder / "b.jpg").write_bytes(b"y")
        wait_for_event(events, "b.jpg")
    finally:
        observed.close()


class KernelLimit:
    """The platform's observer, as when inotify's limit on watches is reached: it refuses every watch until
    a watch is freed."""

    def __init__(self) -> None:
        self.full = True
        self.tries = 0

    def __call__(self) -> Observer:
        limit = self

        class Refusing(Observer):
            def schedule(self, *args, **kwargs):
                limit.tries += 1
                if limit.full:
                    raise OSError(28, "inotify watch limit reached")
                return super().schedule(*args, **kwargs)

        return Refusing()


def test_a_refused_watch_is_said_once_and_tried_again_only_when_asked_or_when_the_folder_is_replaced(
        tmp_path, caplog):
    folder = tmp_path / "slides"
    folder.mkdir()
    events: list[FolderEvent] = []
    kernel = KernelLimit()
    observed = ObservedFolder(folder, recursive=True, mode="native", on_event=events.append, native=kernel)
    caplog.set_level(logging.INFO)
    try:
        assert observed.ensure() is True  # the folder is new: listed whole, and the refusal said
        assert [observed.ensure() for _ in range(5)] == [False] * 5  # not tried every second, nor said again
        assert kernel.tries == 1 and caplog.text.count("cannot watch") == 1
        assert observed.ensure(retry_refused=True) is False  # the rescan tries again: still refused, still quiet
        assert kernel.tries == 2 and caplog.text.count("cannot watch") == 1
        kernel.full = False
        assert observed.ensure(retry_refused=True) is False  # watched at last; the folder itself did not change
        assert "watching" in caplog.text
        (folder / "a.jpg").write_bytes(b"x")
        wait_for_event(events, "a.jpg")
        observed.close()
        kernel.full = True
        shutil.rmtree(folder)
        folder.mkdir()
        assert observed.ensure() is True  # replaced: tried at once
        assert kernel.tries == 4
    finally:
        observed.close()


def test_this_is_the_only_module_that_imports_watchdog():
    import ast
    from pathlib import Path

    import kiosk

    importers = set()
    for path in Path(kiosk.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else (
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else [])
            if any(name == "watchdog" or name.startswith("watchdog.") for name in names):
                importers.add(path.relative_to(Path(kiosk.__file__).parent).as_posix())
    assert importers == {"boundary/observer.py"}
