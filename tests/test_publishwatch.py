"""`kiosk publish --watch`: the source folder watched as the kiosk watches it, published when it changes."""

import logging
import os
import shutil
import time

import pytest

from kiosk.boundary.publishwatch import PublishWatcher
from kiosk.boundary.staticsite import MANIFEST

from .conftest import FakeClock, make_picture
from .test_publish import DAY, OVER_THE_ENCODERS_LIMIT, banner, gps_exif, manifest_of, signed_manifest, signer  # noqa: F401 - signer is a fixture


def test_watch_publishes_at_once_then_new_files_once_they_settle(tmp_path, slide_folder):
    site = tmp_path / "site"
    clock = FakeClock()
    watcher = PublishWatcher(slide_folder, site, 3600, settle_seconds=1.0, clock=clock)
    try:
        watcher.poll_once()
        assert len(manifest_of(site).files) == 7
        make_picture(slide_folder / "answers" / "dropped.jpg")
        watcher.poll_once()  # seen once: maybe still being copied
        assert "answers/dropped.jpg" not in [f.path for f in manifest_of(site).files]
        assert watcher._seconds_to_next_round() == pytest.approx(1.0)  # when it may have settled
        clock.advance(1.0)
        watcher.poll_once()
        assert "answers/dropped.jpg" in [f.path for f in manifest_of(site).files]
    finally:
        watcher.stop()


def drop_a_picture_and_see_it_published(source, site, seconds=30.0):
    """Waits for the first publish, drops a picture into the source, and waits for it in the manifest."""
    deadline = time.monotonic() + seconds
    while not (site / MANIFEST).exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    make_picture(source / "answers" / "dropped.jpg")
    while time.monotonic() < deadline:
        if "answers/dropped.jpg" in [f.path for f in manifest_of(site).files]:
            return
        time.sleep(0.05)
    raise AssertionError("the dropped picture was not published in time")


def test_the_watch_thread_wakes_on_a_new_file_and_stops_at_once(tmp_path, slide_folder):
    site = tmp_path / "site"
    watcher = PublishWatcher(slide_folder, site, 3600, settle_seconds=0.2)
    watcher.start()
    try:
        drop_a_picture_and_see_it_published(slide_folder, site)
    finally:
        watcher.stop(timeout=5)
    assert not watcher.running


def test_the_watch_signs_again_before_the_manifest_expires(tmp_path, slide_folder, signer):  # noqa: F811 - the fixture imported above
    site = tmp_path / "site"
    wall = FakeClock(1_800_000_000.0)
    watcher = PublishWatcher(slide_folder, site, 3600, settle_seconds=0.0, signer=signer, wall=wall)
    try:
        watcher.poll_once()
        first = signed_manifest(site, signer).serial
        watcher.poll_once()
        assert signed_manifest(site, signer).serial == first  # nothing due
        wall.advance(4 * DAY)
        watcher.poll_once()
        assert signed_manifest(site, signer).serial > first
    finally:
        watcher._close()


def test_watch_keeps_publishing_past_a_file_it_cannot_render_and_takedowns_still_go_out(tmp_path, caplog):
    from kiosk.picture.rendition import RenditionSettings

    source = tmp_path / "slides"
    banner(source / "contribute" / "located.png", exif=gps_exif())
    make_picture(source / "answers" / "withdrawn.jpg", size=(64, 36))
    make_picture(source / "answers" / "stays.jpg", size=(64, 36), colour=(10, 10, 200))
    clock = FakeClock()
    watcher = PublishWatcher(source, tmp_path / "site", 3600, settle_seconds=1.0, clock=clock,
                             renditions=RenditionSettings(((640, 360),), max_sides=OVER_THE_ENCODERS_LIMIT))
    try:
        watcher.poll_once()
        assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/stays.jpg", "answers/withdrawn.jpg"]
        (source / "answers" / "withdrawn.jpg").unlink()  # staff withdraw a photo
        watcher.poll_once()
        clock.advance(1.0)
        watcher.poll_once()
        assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/stays.jpg"]
        make_picture(source / "answers" / "new.jpg", size=(64, 36))
        watcher.poll_once()
        clock.advance(1.0)
        watcher.poll_once()
        assert [e.path for e in manifest_of(tmp_path / "site").files] == ["answers/new.jpg", "answers/stays.jpg"]
    finally:
        watcher.stop()
    assert caplog.text.count("not published: contribute/located.png") >= 3  # said every round, never fatal


def test_kiosk_publish_watch_publishes_a_file_dropped_in_and_stops_on_sigterm(tmp_path, slide_folder):
    import signal

    from .test_cli import kiosk_process

    site = tmp_path / "site"
    process = kiosk_process("publish", str(slide_folder), "--out", str(site), "--watch", "--originals")
    try:
        drop_a_picture_and_see_it_published(slide_folder, site)
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "watching" in err


def published_paths(site):
    return [f.path for f in manifest_of(site).files]


def test_a_file_seen_once_is_not_published_whatever_its_modification_time(tmp_path, slide_folder):
    """A copy that sets the file's time before its last byte, or a share whose clock is off, must not
    publish a half-written photo: it is seen unchanged across two looks first."""
    site = tmp_path / "site"
    clock = FakeClock()
    watcher = PublishWatcher(slide_folder, site, 3600, settle_seconds=1.0, clock=clock)
    try:
        watcher.poll_once()
        half = slide_folder / "answers" / "half.jpg"
        half.write_bytes(b"\xff\xd8\xff\xe0" + bytes(1000))
        an_hour_ago = time.time() - 3600
        os.utime(half, (an_hour_ago, an_hour_ago))
        watcher.poll_once()
        assert "answers/half.jpg" not in published_paths(site)
    finally:
        watcher._close()


def test_a_source_folder_that_goes_missing_keeps_the_last_publish_until_it_is_back(tmp_path, caplog):
    """An unmounted share is not a folder emptied: publishing it would take every slide off every screen."""
    source, site = tmp_path / "slides", tmp_path / "site"
    make_picture(source / "answers" / "a.jpg")
    make_picture(source / "answers" / "b.jpg")
    clock = FakeClock()
    watcher = PublishWatcher(source, site, 3600, settle_seconds=1.0, clock=clock)
    caplog.set_level(logging.INFO)
    try:
        watcher.poll_once()
        assert published_paths(site) == ["answers/a.jpg", "answers/b.jpg"]
        source.rename(tmp_path / "unmounted")
        for _ in range(3):
            clock.advance(61)  # rescans come and go
            watcher.tick(woken=False)
        assert published_paths(site) == ["answers/a.jpg", "answers/b.jpg"]
        assert caplog.text.count("is missing; waiting for it to come back") == 1
        assert watcher._seconds_to_next_round() > 0.5  # waiting, not spinning
        (tmp_path / "unmounted").rename(source)
        (source / "answers" / "b.jpg").unlink()  # withdrawn meanwhile
        watcher.tick(woken=False)
        assert published_paths(site) == ["answers/a.jpg"]
    finally:
        watcher._close()


def test_a_folder_with_a_dot_in_its_name_moved_out_of_the_source_is_taken_down_at_once(tmp_path):
    source, site = tmp_path / "slides", tmp_path / "site"
    make_picture(source / "answers" / "stays.jpg")
    make_picture(source / "answers" / "trip.2024" / "a.jpg")
    (tmp_path / "archive").mkdir()
    watcher = PublishWatcher(source, site, 3600, settle_seconds=0.2)
    watcher.start()
    try:
        deadline = time.monotonic() + 20
        while not (site / MANIFEST).exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        shutil.move(source / "answers" / "trip.2024", tmp_path / "archive" / "trip.2024")
        deadline = time.monotonic() + 5  # well before the rescan, 60 s away
        while published_paths(site) != ["answers/stays.jpg"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert published_paths(site) == ["answers/stays.jpg"]
    finally:
        watcher.stop(timeout=5)
