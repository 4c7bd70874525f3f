"""The slide folder's watcher on real folders: poll_once() with a fake clock, and the thread for real."""

import os
import queue
import shutil
import time

import pytest

from kiosk.core.messages import ContentChanged
from kiosk.boundary.folderwatch import RELIST_AFTER_START_SECONDS, FolderWatcher
from kiosk.core.folderdiff import FolderEvent

from .conftest import FakeClock, make_picture


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def watched(tmp_path, clock):
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=1.0, rescan_seconds=60, clock=clock)
    watcher.accept_initial()
    yield root, inbox, watcher
    watcher.stop()


def paths(inbox):
    """The answer paths of the newest ContentChanged, or None if none came."""
    latest = None
    while not inbox.empty():
        message = inbox.get_nowait()
        assert isinstance(message, ContentChanged)
        latest = message.catalogue
    return None if latest is None else sorted(s.path for s in (*latest.contribute, *latest.answers))


def test_initial_listing_is_taken_as_complete(watched):
    root, inbox, watcher = watched
    watcher.poll_once()
    assert paths(inbox) is None  # nothing changed since the start


def test_new_file_is_reported_only_once_it_has_settled(watched, clock):
    root, inbox, watcher = watched
    make_picture(root / "answers" / "b.jpg")
    watcher.poll_once()
    assert paths(inbox) is None
    clock.advance(1.0)
    watcher.poll_once()
    assert paths(inbox) == ["answers/a.jpg", "answers/b.jpg"]


def test_growing_file_waits_for_its_last_byte(watched, clock):
    root, inbox, watcher = watched
    target = root / "answers" / "slow.jpg"
    with open(target, "wb") as handle:
        for _ in range(4):
            handle.write(b"\xff" * 1000)
            handle.flush()
            os.utime(target, ns=(time.time_ns(), time.time_ns()))
            watcher.poll_once()
            clock.advance(0.6)
    assert paths(inbox) is None
    clock.advance(1.0)
    watcher.poll_once()
    assert "answers/slow.jpg" in paths(inbox)


@pytest.mark.parametrize(
    "name",
    ["b.jpg.part", ".b.jpg.a1B2c3", ".syncthing.b.jpg.tmp", ".b.jpg.~1a2b3c4d", "b.jpg.crdownload", "~b.jpg", "b.tmp"],
)
def test_temporary_names_never_enter(watched, clock, name):
    root, inbox, watcher = watched
    make_picture(root / "answers" / name, fmt="JPEG")
    for _ in range(3):
        watcher.poll_once()
        clock.advance(1.0)
    assert paths(inbox) is None


def test_rename_from_a_temporary_name_enters(watched, clock):
    root, inbox, watcher = watched
    temp = make_picture(root / "answers" / ".b.jpg.XyZ123", fmt="JPEG")
    watcher.poll_once()
    os.rename(temp, root / "answers" / "b.jpg")
    watcher.poll_once()
    clock.advance(1.0)
    watcher.poll_once()
    assert paths(inbox) == ["answers/a.jpg", "answers/b.jpg"]


def test_deleted_file_leaves_at_once(watched):
    root, inbox, watcher = watched
    (root / "answers" / "a.jpg").unlink()
    watcher.poll_once()
    assert paths(inbox) == []


def test_sidecar_edit_changes_the_caption_after_settling(watched, clock):
    root, inbox, watcher = watched
    (root / "answers" / "a.txt").write_text("새 캡션", encoding="utf-8")
    watcher.poll_once()
    clock.advance(1.0)
    watcher.poll_once()
    latest = None
    while not inbox.empty():
        latest = inbox.get_nowait().catalogue
    assert latest.get("answers/a.jpg").meta.caption == "새 캡션"


def test_folder_deleted_and_recreated(watched, clock):
    root, inbox, watcher = watched
    shutil.rmtree(root)
    watcher.poll_once()
    assert paths(inbox) == []
    make_picture(root / "contribute" / "c.png")
    watcher.poll_once()
    clock.advance(1.0)
    watcher.poll_once()
    assert paths(inbox) == ["contribute/c.png"]


def test_missing_folder_at_start_is_not_fatal(tmp_path, clock):
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(tmp_path / "later", inbox, settle_seconds=1.0, clock=clock)
    try:
        assert len(watcher.accept_initial()) == 0
        make_picture(tmp_path / "later" / "answers" / "a.jpg")
        watcher.poll_once()
        clock.advance(1.0)
        watcher.poll_once()
        assert paths(inbox) == ["answers/a.jpg"]
    finally:
        watcher.stop()


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.mark.parametrize("mode", ["native", "poll"])
def test_thread_reports_changes_by_itself(tmp_path, mode):
    root = tmp_path / "slides"
    (root / "answers").mkdir(parents=True)
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, mode=mode, settle_seconds=0.2, rescan_seconds=600)
    watcher.accept_initial()
    watcher.start()
    try:
        make_picture(root / "answers" / "new.jpg")
        message = wait_for(lambda: None if inbox.empty() else inbox.get_nowait())
        assert [s.path for s in message.catalogue.answers] == ["answers/new.jpg"]
    finally:
        watcher.stop()
    assert not watcher.running


def test_periodic_rescan_finds_what_events_missed(tmp_path):
    root = tmp_path / "slides"
    (root / "answers").mkdir(parents=True)
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.05, rescan_seconds=0.3, use_events=False)
    watcher.accept_initial()
    watcher.start()
    try:
        make_picture(root / "answers" / "missed.jpg")
        message = wait_for(lambda: None if inbox.empty() else inbox.get_nowait())
        assert [s.path for s in message.catalogue.answers] == ["answers/missed.jpg"]
    finally:
        watcher.stop()


def test_between_events_only_the_root_is_checked_and_the_rescan_still_comes(tmp_path, clock):
    """A quiet folder costs one stat a second, not a listing; the rescan catches what events missed."""
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.5, rescan_seconds=30, clock=clock, use_events=False)
    watcher.accept_initial()
    make_picture(root / "answers" / "unnoticed.jpg")
    watcher.tick(woken=False)
    assert inbox.empty()  # no event, no rescan due: not listed
    clock.advance(30)
    watcher.tick(woken=False)  # the rescan lists, and starts the settle wait
    clock.advance(0.6)
    watcher.tick(woken=False)  # the settle check is due
    assert paths(inbox) == ["answers/a.jpg", "answers/unnoticed.jpg"]
    watcher.stop()


def test_a_file_added_before_the_watch_took_hold_is_found_by_the_listing_after_start(tmp_path, clock):
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, mode="poll", settle_seconds=0.5, rescan_seconds=600, clock=clock)
    watcher.accept_initial()
    make_picture(root / "answers" / "early.jpg")  # the polling observer may snapshot it: no event
    watcher.tick(woken=False)
    assert watcher.listings == 0, "not while the first slide is being prepared"
    clock.advance(RELIST_AFTER_START_SECONDS)
    watcher.tick(woken=False)  # lists anyway, and starts the settle wait
    clock.advance(0.6)
    watcher.tick(woken=False)
    assert paths(inbox) == ["answers/a.jpg", "answers/early.jpg"]
    watcher.tick(woken=False)
    assert (watcher.listings, watcher.looks) == (1, 1), "the settle check looks at the one file again"
    watcher.tick(woken=False)
    assert (watcher.listings, watcher.looks) == (1, 1), "after that, quiet rounds cost one stat"
    watcher.stop()


def test_a_file_renamed_into_place_needs_no_settle_wait_but_one_written_in_place_does(tmp_path):
    root = tmp_path / "slides"
    (root / "answers").mkdir(parents=True)
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=30, rescan_seconds=600)  # a long settle, to tell them apart
    watcher.accept_initial()
    watcher.start()
    try:
        # Written whole under a hidden name, as rsync does.
        make_picture(root / "answers" / ".renamed.jpg.tmp", fmt="JPEG")
        os.rename(root / "answers" / ".renamed.jpg.tmp", root / "answers" / "renamed.jpg")
        make_picture(root / "answers" / "copied.jpg")  # written in place: may still be growing
        message = wait_for(lambda: None if inbox.empty() else inbox.get_nowait(), timeout=10)
        assert [s.path for s in message.catalogue.answers] == ["answers/renamed.jpg"]
    finally:
        watcher.stop()


# --- a change costs what the change is, not what the folder holds ----------------------------


def _messages(inbox):
    found = []
    while not inbox.empty():
        found.append(inbox.get_nowait())
    return found


def test_with_a_thousand_photos_a_new_one_is_looked_at_alone_and_reported_as_the_change(tmp_path):
    root = tmp_path / "slides"
    (root / "answers").mkdir(parents=True)
    for index in range(1000):
        (root / "answers" / f"photo-{index:04d}.jpg").write_bytes(b"x" * 10)
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.3, rescan_seconds=600)
    assert len(watcher.accept_initial().answers) == 1000
    watcher._list_again_at = None  # this test is about notifications alone
    watcher.start()
    try:
        (root / "answers" / ".new.jpg.part").write_bytes(b"y" * 20)
        os.rename(root / "answers" / ".new.jpg.part", root / "answers" / "new.jpg")
        message = wait_for(lambda: next(iter(_messages(inbox)), None), timeout=10)
        assert [s.path for s in message.changed] == ["answers/new.jpg"] and message.removed == ()
        assert len(message.catalogue.answers) == 1001
        (root / "answers" / "photo-0007.jpg").unlink()
        message = wait_for(lambda: next(iter(_messages(inbox)), None), timeout=10)
        assert message.removed == ("answers/photo-0007.jpg",) and message.changed == ()
        assert watcher.listings == 0 and watcher.looks < 20
    finally:
        watcher.stop()


def test_a_sidecar_written_later_changes_its_picture_and_a_folder_comes_and_goes_whole(tmp_path):
    root = tmp_path / "slides"
    (root / "answers").mkdir(parents=True)
    make_picture(root / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.2, rescan_seconds=600)
    watcher.accept_initial()
    watcher._list_again_at = None
    watcher.start()
    try:
        (root / "answers" / "a.yaml").write_text("caption: Migration means hoping together\n", encoding="utf-8")
        message = wait_for(lambda: next(iter(_messages(inbox)), None), timeout=10)
        assert [s.meta.caption for s in message.changed] == ["Migration means hoping together"]
        batch = tmp_path / "batch"
        for index in range(3):
            make_picture(batch / f"b{index}.jpg")
        os.rename(batch, root / "answers" / "batch")  # a folder moved in whole
        message = wait_for(lambda: next(iter(_messages(inbox)), None), timeout=10)
        assert sorted(s.path for s in message.changed) == [f"answers/batch/b{index}.jpg" for index in range(3)]
        os.rename(root / "answers" / "batch", tmp_path / "gone")  # and out again
        message = wait_for(lambda: next(iter(_messages(inbox)), None), timeout=10)
        assert sorted(message.removed) == [f"answers/batch/b{index}.jpg" for index in range(3)]
        assert [s.path for s in message.catalogue.answers] == ["answers/a.jpg"]
        assert watcher.listings == 0
    finally:
        watcher.stop()


def test_an_override_folder_removed_without_a_word_about_its_file_is_still_seen(tmp_path):
    """The kernel may not have watched a folder made a moment earlier (the sync's override/);
    the root's own change is enough to notice the folder, and its file, are gone."""
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    make_picture(root / "override" / "ceremony.png")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.0, rescan_seconds=600, use_events=True)
    watcher.accept_initial()
    (root / "override" / "ceremony.png").unlink()
    (root / "override").rmdir()
    watcher.notice(FolderEvent("modified", None, is_folder=True))  # all the kernel said: the root changed
    watcher.poll_once(full=False)
    message = inbox.get_nowait()
    assert message.removed == ("override/ceremony.png",) and watcher.listings == 0
    watcher.stop()


def test_a_folder_with_only_an_override_keeps_it_when_a_photo_arrives(tmp_path, clock):
    root = tmp_path / "slides"
    make_picture(root / "override" / "ceremony.png")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=1.0, rescan_seconds=600, clock=clock)
    try:
        watcher.accept_initial()
        make_picture(root / "answers" / "new.jpg")
        watcher.poll_once()
        clock.advance(1.0)
        watcher.poll_once()
        [message] = _messages(inbox)
        assert [s.path for s in message.catalogue.overrides] == ["override/ceremony.png"]
        assert [s.path for s in message.catalogue.answers] == ["answers/new.jpg"]
    finally:
        watcher.stop()


@pytest.mark.parametrize("name", ["trip2024", "trip.2024"])
def test_a_sub_folder_moved_out_of_the_tree_leaves_at_once_whatever_its_name(tmp_path, name):
    """watchdog says one thing about a folder moved out of the watched tree: that the folder was deleted."""
    root = tmp_path / "slides"
    make_picture(root / "answers" / "stays.jpg")
    make_picture(root / "answers" / name / "a.jpg")
    (tmp_path / "archive").mkdir()
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.0, rescan_seconds=600)
    watcher.accept_initial()
    try:
        shutil.move(root / "answers" / name, tmp_path / "archive" / name)

        def removed():
            watcher.poll_once(full=False)  # where the notifications point, as a round between rescans
            return [path for message in _messages(inbox) for path in message.removed]

        assert wait_for(removed, timeout=5) == [f"answers/{name}/a.jpg"]
        assert watcher.listings == 0
    finally:
        watcher.stop()


def test_lost_notifications_make_the_next_round_a_whole_listing(tmp_path):
    root = tmp_path / "slides"
    make_picture(root / "answers" / "a.jpg")
    inbox: queue.Queue = queue.Queue()
    watcher = FolderWatcher(root, inbox, settle_seconds=0.0, rescan_seconds=600, use_events=False)
    watcher.accept_initial()
    make_picture(root / "answers" / "missed.jpg")  # its notification lost in the kernel's overflowed queue
    watcher.notice(FolderEvent("events_lost", None, None, is_folder=True))
    watcher.poll_once(full=False)
    assert paths(inbox) == ["answers/a.jpg", "answers/missed.jpg"] and watcher.listings == 1
    watcher.stop()
