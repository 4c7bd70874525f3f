"""A video slot's sound heard on the slot's clock: the track's queue, and the speaker driving a fake device on a
fake clock with real clips; then the whole kiosk in a real process, through SDL's disk driver."""

from __future__ import annotations

import array
import json
import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kiosk.boundary.sound import QUEUE_SAMPLES, SoundTrack, SoundUnavailable, Speaker
from kiosk.core.audioclock import SLACK_SECONDS
from kiosk.core.errors import VideoError
from kiosk.core.frames import FrameKey
from kiosk.core.layout import Layout
from kiosk.core.videoclock import VideoPlan
from kiosk.picture.videosound import RATE, SAMPLE_BYTES, Chunk
from tests.clips import click_onsets, corrupted, make_clip

from .conftest import FakeClock, write_config

LAYOUT = Layout(size=(48, 27), fit="cover", pixel_format="BGRX", title="", footer="")
BUFFER = 1024
LATENCY = 0.02
AAC_ONSET = 0.0005  # a click's first loud sample comes this soon after its moment


def key_for(path: str = "contribute/clicks.mp4", plan: VideoPlan | None = None) -> FrameKey:
    return FrameKey(path, (1, 1), "", "contribute", LAYOUT, plan or VideoPlan(3.0, audio=True))


def chunk(moment: float, samples: int, value: int = 1) -> Chunk:
    return Chunk(moment, value.to_bytes(2, "little", signed=True) * 2 * samples)


def listed(*chunks: Chunk):
    """A chunk source from plain data."""
    def source(path, root, plan, start_at):
        yield from chunks
    return source


# --- the track's queue --------------------------------------------------------------

def test_the_head_is_the_first_sample_waiting_and_a_break_ends_what_follows_it():
    clock = FakeClock(100.0)
    track = SoundTrack(key_for(), Path("/slides"), starts=100.0, clock=clock,
                       source=listed(chunk(0.0, 480), chunk(0.01, 480), chunk(0.5, 480)))
    assert track.head() == (None, 0)
    while track.read_once():
        pass
    assert track.ended and track.queued == 1440
    assert track.head() == (0.0, 960)  # the third chunk is half a second on: a break
    track.drop(100)
    moment, available = track.head()
    assert moment == pytest.approx(100 / RATE) and available == 860
    buffer = memoryview(bytearray(1000 * SAMPLE_BYTES))
    assert track.take_into(buffer, 0, 1000) == 1000  # across the break: the speaker asks only for what follows
    assert track.head() == (pytest.approx(0.5 + 140 / RATE), 340)
    assert track.take_into(buffer, 0, 1000) == 340
    assert track.head() == (None, 0) and track.queued == 0


def test_take_into_copies_the_samples_in_order_from_the_byte_asked():
    track = SoundTrack(key_for(), Path("/slides"), starts=0.0, clock=FakeClock(0.0),
                       source=listed(chunk(0.0, 3, value=7), chunk(3 / RATE, 3, value=9)))
    while track.read_once():
        pass
    buffer = memoryview(bytearray(b"\xff" * 6 * SAMPLE_BYTES))
    assert track.take_into(buffer, SAMPLE_BYTES, 4) == 4
    values = [int.from_bytes(buffer[at: at + 2], "little", signed=True) for at in range(0, len(buffer), 2)]
    assert values == [-1, -1, 7, 7, 7, 7, 7, 7, 9, 9, -1, -1]


def test_chunks_already_over_when_read_are_not_queued():
    clock = FakeClock(100.0)
    track = SoundTrack(key_for(), Path("/slides"), starts=98.0, clock=clock,  # the slot began two seconds ago
                       source=listed(chunk(1.0, 4800), chunk(1.95, 4800), chunk(2.5, 4800)))
    while track.read_once():
        pass
    assert track.head() == (1.95, 4800)  # it ends after the clock's 2 s: it is queued, the speaker drops its head


def test_the_reader_keeps_about_half_a_second_queued_however_long_the_sound():
    """Each chunk is read only when the queue has room: checked by the source itself, on the reader's thread."""
    track_of: dict = {}
    crowded: list[int] = []

    def source(path, root, plan, start_at):
        for index in range(200):
            queued = track_of["track"].queued
            if queued >= QUEUE_SAMPLES:
                crowded.append(queued)
            yield chunk(index * BUFFER / RATE, BUFFER)

    track = SoundTrack(key_for(), Path("/slides"), starts=0.0, clock=FakeClock(0.0), source=source)
    track_of["track"] = track
    track.start()
    buffer = memoryview(bytearray(BUFFER * SAMPLE_BYTES))
    taken = 0
    deadline = time.monotonic() + 30
    while taken < 200 * BUFFER:
        assert time.monotonic() < deadline, "the reader stalled"
        got = track.take_into(buffer, 0, BUFFER)
        taken += got
        if not got:
            time.sleep(0.001)
    assert track.join(5.0)
    assert crowded == [] and track.ended


def test_stop_ends_the_reader_and_closes_its_source():
    closed = threading.Event()

    def source(path, root, plan, start_at):
        try:
            index = 0
            while True:
                yield chunk(index * BUFFER / RATE, BUFFER)
                index += 1
        finally:
            closed.set()

    track = SoundTrack(key_for(), Path("/slides"), starts=0.0, clock=FakeClock(0.0), source=source)
    track.start()
    deadline = time.monotonic() + 30
    while track.queued < QUEUE_SAMPLES:
        assert time.monotonic() < deadline
        time.sleep(0.001)
    track.stop()
    assert track.join(5.0) and closed.is_set()
    assert track.head() == (None, 0)


def test_sound_that_fails_goes_silent_with_one_warning_naming_the_file(caplog):
    def source(path, root, plan, start_at):
        yield chunk(0.0, 480)
        raise VideoError(f"{path.name}: its sound: Invalid data found when processing input")

    track = SoundTrack(key_for(), Path("/slides"), starts=0.0, clock=FakeClock(0.0), source=source)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        while track.read_once():
            pass
    assert track.ended and track.head() == (0.0, 480)  # what came before the damage still plays
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert warnings == ["no sound from here on: clicks.mp4: its sound: Invalid data found when processing input"]


# --- the speaker, on a fake device and a fake clock ---------------------------------------------

class FakeOutput:
    """A working fake of the audio device: the test asks it for buffers at the pace it chooses, on the fake
    clock, and it keeps what it was given with the moment each buffer is heard."""

    def __init__(self, fill, clock, latency=LATENCY):
        self.fill, self.clock, self.latency = fill, clock, latency
        self.description = "a fake device"
        self.heard: list[tuple[float, bytes]] = []
        self.closed = False

    def pull(self, samples=BUFFER):
        buffer = bytearray(b"\xaa" * samples * SAMPLE_BYTES)  # noise: every byte must be written
        self.fill(memoryview(buffer))
        self.heard.append((self.clock() + self.latency, bytes(buffer)))

    def close(self):
        self.closed = True

    def clicks(self) -> list[float]:
        """When each click was heard (monotonic): the moment of its buffer plus its place in it."""
        found = click_onsets(b"".join(data for _moment, data in self.heard))
        return [self.heard[index // BUFFER][0] + index % BUFFER / RATE for index in found]

    def loud_between(self, start: float, end: float) -> bool:
        """Whether anything but silence was heard from `start` to `end`."""
        for moment, data in self.heard:
            levels = array.array("h", data)
            if any(abs(level) > 1 and start <= moment + index // 2 / RATE < end for index, level in enumerate(levels)):
                return True
        return False


class ReadWhenAsked(SoundTrack):
    """The real track, its reader run by the test (before each buffer) instead of by a thread."""

    def start(self):
        pass

    def top_up(self):
        while self.queued < QUEUE_SAMPLES and self.read_once():
            pass


class Box:
    """A speaker whose device and tracks the test drives: the clock moves only as the device asks."""

    def __init__(self, folder: Path, open_output=None, spawn=None):
        self.clock = FakeClock(1000.0)
        self.folder = folder
        self.tracks: list[ReadWhenAsked] = []
        self.outputs: list[FakeOutput] = []

        def make_track(key, slide_folder, starts, clock):
            track = ReadWhenAsked(key, slide_folder, starts, clock)
            self.tracks.append(track)
            return track

        def fake_output(fill):
            self.outputs.append(FakeOutput(fill, self.clock))
            return self.outputs[-1]

        self.speaker = Speaker(open_output or fake_output, make_track, self.clock,
                               spawn=spawn or (lambda job: job()))

    @property
    def output(self) -> FakeOutput:
        return self.outputs[0]

    def listen(self, seconds: float, pace: float = 1.0, samples: int = BUFFER) -> None:
        """The device asks for a buffer every `samples` of its own crystal's time (`pace` times the clock's)."""
        end = self.clock.now + seconds
        while self.clock.now < end:
            for track in self.tracks:
                track.top_up()
            for output in self.outputs:
                output.pull(samples)
            self.clock.advance(samples / RATE * pace)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("slides")
    make_clip(folder / "contribute" / "clicks.mp4", frames=75, rate=25, clicks=True)  # clicks at 0, 1 and 2 s
    return folder


@pytest.mark.parametrize("pace", [1.0, 0.97, 1.03])
def test_every_click_is_heard_on_the_slots_clock_whatever_the_devices_pace(clips, pace):
    """A device whose crystal runs 3 % slow or fast (real ones are off by a hundredth of that) is pulled back
    to the clock: each click is heard within the slack of its moment (kiosk.core.audioclock), well inside the
    40 ms the picture may be from the sound. Pulling a slow device back drops 15 ms of sound every half
    second, which may take a click with it."""
    box = Box(clips)
    starts = box.clock.now + 0.3  # the fade in is still under way
    box.speaker.play(key_for(plan=VideoPlan(3.0, loop=2, audio=True)), starts, clips)
    box.listen(7.0, pace)
    heard = box.output.clicks()
    assert len(heard) == 6 if pace == 1.0 else len(heard) >= 5
    for moment in heard:
        second = round(moment - starts)
        assert abs(moment - (starts + second)) <= SLACK_SECONDS + AAC_ONSET + 2 / RATE
    assert not box.output.loud_between(0, starts - SLACK_SECONDS)  # nothing before the slot
    assert not box.output.loud_between(starts + 6.0 + SLACK_SECONDS, 10**9)  # nor after it
    summary = box.speaker.summary()
    assert summary["device"] == "open" and summary["offset_seconds"]["0.99"] <= SLACK_SECONDS
    assert summary["underruns"] == 0


def test_a_slot_joined_half_way_is_heard_from_where_its_clock_is(clips):
    box = Box(clips)
    starts = box.clock.now - 1.5  # the sync group's slot began a second and a half ago
    box.speaker.play(key_for(), starts, clips)
    box.listen(2.0)
    heard = box.output.clicks()
    assert len(heard) == 1 and abs(heard[0] - (starts + 2.0)) <= SLACK_SECONDS + AAC_ONSET + 2 / RATE


def test_the_device_is_opened_once_and_only_when_a_slot_with_sound_comes(clips):
    box = Box(clips)
    assert box.speaker.summary() is None and box.outputs == []
    box.speaker.stop()
    box.speaker.presented(None)
    assert box.outputs == []  # a box whose videos have no sound never touches the device
    box.speaker.play(key_for(), box.clock.now, clips)
    box.listen(0.5)
    box.speaker.play(key_for(), box.clock.now, clips)
    assert len(box.outputs) == 1 and len(box.tracks) == 2
    box.speaker.close()
    assert box.output.closed and box.speaker.summary()["device"] == "closed"
    box.speaker.play(key_for(), box.clock.now, clips)
    assert len(box.tracks) == 2  # closed for good


def test_another_slide_on_screen_silences_the_sound(clips):
    box = Box(clips)
    starts = box.clock.now + 0.1
    box.speaker.play(key_for(), starts, clips)
    box.listen(0.5)
    box.speaker.presented(key_for())  # the same slide: it plays on
    box.listen(0.7)
    box.speaker.presented(key_for("answers/a1.jpg"))
    box.listen(1.5)
    assert [round(moment - starts, 2) for moment in box.output.clicks()] == [0.0, 1.0]
    assert not box.output.loud_between(starts + 1.3, 10**9)
    assert box.tracks[0].head() == (None, 0)


def test_without_an_audio_device_one_warning_and_the_videos_play_on_silent(clips, caplog):
    opened: list = []

    def no_device(fill):
        opened.append(fill)
        raise SoundUnavailable("SDL's alsa driver lists no output device")

    box = Box(clips, open_output=no_device)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        box.speaker.play(key_for(), box.clock.now, clips)
        box.speaker.play(key_for(), box.clock.now, clips)
    assert len(opened) == 1 and len(box.tracks) == 1  # tried once; no sound read for a device that is not there
    assert box.tracks[0].head() == (None, 0)  # the first slot's track stopped
    assert [record.getMessage() for record in caplog.records] == [
        "no sound: SDL's alsa driver lists no output device; videos play without it"]
    assert box.speaker.summary()["device"] == "unavailable"


def test_a_device_that_fails_to_open_in_any_way_is_no_device(clips, caplog):
    def failing(fill):
        raise OSError(5, "Input/output error")

    box = Box(clips, open_output=failing)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        box.speaker.play(key_for(), box.clock.now, clips)
    assert box.speaker.summary()["device"] == "unavailable"
    assert "no sound: the audio device failed to open" in caplog.text


def test_a_show_that_ends_while_the_device_opens_closes_it_once_open(clips):
    waiting: list = []
    box = Box(clips, spawn=waiting.append)  # the opening thread, run when the test says
    box.speaker.play(key_for(), box.clock.now, clips)
    assert box.speaker.summary()["device"] == "opening"
    box.speaker.close()
    waiting[0]()
    assert box.output.closed and box.speaker.summary()["device"] == "closed"


def test_a_buffer_is_filled_with_silence_if_anything_goes_wrong_and_it_is_said_once(clips, caplog):
    box = Box(clips)
    box.speaker.play(key_for(), box.clock.now, clips)

    def broken():
        raise RuntimeError("a bug")

    box.tracks[0].head = broken
    with caplog.at_level(logging.ERROR, logger="kiosk"):
        box.listen(0.2)
    assert all(data == bytes(len(data)) for _moment, data in box.output.heard)
    assert caplog.text.count("filling a sound buffer failed") == 1


def test_a_file_whose_sound_breaks_half_way_goes_silent_and_the_device_goes_on(tmp_path, clips, caplog):
    folder = tmp_path / "slides"
    (folder / "contribute").mkdir(parents=True)
    corrupted(clips / "contribute" / "clicks.mp4", folder / "contribute" / "clicks.mp4", start=0.5, length=4000)
    box = Box(folder)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        box.speaker.play(key_for(), box.clock.now, folder)
        box.listen(3.5)
    assert len(box.output.heard) > 150  # every buffer the device asked for was filled
    assert caplog.text.count("no sound from here on") <= 1
    assert all("clicks.mp4" in record.getMessage() for record in caplog.records)


def test_a_file_whose_sound_failed_is_said_once_and_its_next_turns_are_silent(tmp_path, clips, caplog):
    folder = tmp_path / "slides"
    (folder / "contribute").mkdir(parents=True)
    (folder / "contribute" / "clicks.mp4").write_bytes(b"not a video at all")
    box = Box(folder)
    with caplog.at_level(logging.WARNING, logger="kiosk"):
        for _turn in range(3):
            box.speaker.play(key_for(), box.clock.now, folder)
            box.listen(0.1)
    assert len(box.tracks) == 1  # the file is not read again until it changes (its version is part of the key)
    assert len(caplog.records) == 1 and "clicks.mp4" in caplog.records[0].getMessage()
    changed = FrameKey("contribute/clicks.mp4", (2, 2), "", "contribute", LAYOUT, VideoPlan(3.0, audio=True))
    box.speaker.play(changed, box.clock.now, folder)
    assert len(box.tracks) == 2


def test_a_sound_that_failed_for_a_reason_not_the_files_is_tried_again_next_turn(tmp_path, clips):
    folder = tmp_path / "slides"
    box = Box(folder)  # the file is not there: an I/O error is the reason, not the file
    box.speaker.play(key_for(), box.clock.now, folder)
    box.listen(0.1)
    box.speaker.play(key_for(), box.clock.now, folder)
    assert len(box.tracks) == 2


def test_a_reader_that_falls_behind_is_counted(clips):
    box = Box(clips)
    box.speaker.play(key_for(), box.clock.now, clips)
    box.listen(0.2)
    track = box.tracks[0]
    track.top_up = lambda: None  # the reader stops keeping up
    box.listen(1.0)
    assert box.speaker.summary()["underruns"] > 0


# --- the whole kiosk in a real process, through SDL's disk driver ---------------------------------

def test_a_kiosk_with_sound_writes_the_clicks_at_their_moments_on_the_slots_clock(tmp_path):
    """SDL's disk driver writes each buffer to a file right after the speaker fills it, pacing itself with a
    sleep of SDL_DISKAUDIODELAY ms. The test watches the file grow (time.monotonic is the kiosk's clock too)
    and reads the slot's start from the kiosk's log. What is asserted holds however loaded the machine:

    - each click is in the file, at full level on both channels, nothing else loud;
    - it became visible no earlier than its moment less the device latency the speaker assumes and the
      40 ms bound (a write is visible only after it happened);
    - it was still unwritten no later than its moment plus the bound, and plus the two buffers (8 kB) the
      C library may hold back before the file grows.
    """
    slides = tmp_path / "slides"
    make_clip(slides / "contribute" / "clicks.mp4", size=(160, 90), frames=50, rate=25, clicks=True)
    (slides / "contribute" / "clicks.yaml").write_text("audio: true\n", encoding="utf-8")
    (slides / "answers").mkdir()
    body = "timing:\n  transition_seconds: 0.05\ndisplay:\n  audio: true\n"
    config = write_config(tmp_path, body, slides=slides)
    raw = tmp_path / "sound.raw"
    env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="disk", SDL_DISKAUDIOFILE=str(raw),
               SDL_DISKAUDIODELAY="21")
    sizes: list[tuple[float, int]] = []  # (monotonic, the file's size then)
    logged: list[str] = []
    with subprocess.Popen(
            [sys.executable, "-m", "kiosk", "run", "-v", "--config", str(config), "--windowed", "--size", "320x180",
             "--exit-after", "5"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) as process:
        reader = threading.Thread(target=lambda: logged.append(process.stderr.read()), daemon=True)
        reader.start()  # the log is read as it comes, so the kiosk never waits on a full pipe
        while process.poll() is None:
            sizes.append((time.monotonic(), raw.stat().st_size if raw.exists() else 0))
            time.sleep(0.002)
        reader.join(60)
    err = logged[0]
    assert process.returncode == 0, err
    assert "Traceback" not in err
    assert "sound through 'System audio output device' (SDL's disk driver)" in err
    starts = [float(moment) for moment in re.findall(r"on the slot's clock, from ([0-9.]+) \(monotonic\)", err)]
    assert starts

    data = raw.read_bytes()
    onsets = click_onsets(data)
    assert len(onsets) >= 2
    latency = BUFFER / RATE  # what the speaker assumes of SDL: the buffer before this one plays first
    bound = 0.040
    held_back = 8192 / SAMPLE_BYTES / RATE
    for onset in onsets:
        end = (onset // BUFFER + 1) * BUFFER * SAMPLE_BYTES  # the file holds the onset once it is this long
        unwritten = max(moment for moment, size in sizes if size < end)
        visible = min(moment for moment, size in sizes if size >= end)
        offset_in_buffer = onset % BUFFER / RATE
        written_at = (unwritten + visible) / 2
        slot = max(start for start in starts if start <= written_at + latency + offset_in_buffer + bound)
        due = slot + round(written_at + latency + offset_in_buffer - slot)  # the click's moment: a whole second
        wanted = due - latency - offset_in_buffer  # when the buffer holding it should be written
        assert visible >= wanted - bound, f"click at sample {onset} written {wanted - visible:.3f} s early"
        assert unwritten <= wanted + bound + held_back, \
            f"click at sample {onset} written {unwritten - wanted:.3f} s late"
    samples = array.array("h", data)
    for channel in (samples[0::2], samples[1::2]):
        assert 14_000 <= max(abs(level) for level in channel) <= 19_000  # half the full scale, as in the clip
        near = set()
        for onset in onsets:
            near.update(range(onset - RATE // 200, onset + RATE // 60))  # AAC smears a click over a few ms
        assert max(abs(level) for index, level in enumerate(channel) if index not in near) < 1000  # silence between
    status = json.loads((tmp_path / "state" / "status.json").read_text(encoding="utf-8"))
    assert status["sound"]["device"] == "closed"
    assert status["sound"]["offset_seconds"]["0.99"] <= SLACK_SECONDS + 0.001
