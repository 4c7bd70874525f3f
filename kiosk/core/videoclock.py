"""Which frame of a video the screen shows: chosen from the time since the slot began, never from a
count of frames drawn.

Pure: the render loop passes in the seconds elapsed since the slot began
(from the slot's start on the wall clock, so every box of a sync group
asks with the same number) and the frames the decoder has ready, and gets
back what to present and what to let go. A frame that is not ready when
it is due is not waited for: the next refresh shows whichever frame the
clock asks for then, and the ones in between are counted as skipped.

Frames are numbered by *position*: their index in the clip, counted on
across plays (the second play of a 25-frame clip starts at position 25),
so positions only grow during a slot.

Counts follow the frames as they reach the screen (as Anthias learned to:
a decoder's own count of frames dropped said nothing of the 8 to 12 fps
that reached its screen):
    shown    frames put on screen
    late     frames put on screen when a later frame was already due
    skipped  frames of the slot that never reached the screen
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from kiosk.core.sidecar import MAX_LOOPS
from kiosk.core.values import MAX_SECONDS as MAX_SLOT_SECONDS  # a slot longer than a day is a mistake
MAX_FRAMES = 24 * 3600 * 240  # a day of video at the highest frame rate a video may have


def _finite(name: str, value: object) -> float:
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, not {value!r}")
    return float(value)


@dataclass(frozen=True)
class Clip:
    """One play of a video as the clock sees it: each frame's presentation time and the play's length.

    `times` are seconds from the start of the play, increasing; the last
    frame shows until `duration`.
    """

    times: tuple[float, ...]
    duration: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "times", tuple(self.times))
        if not self.times:
            raise ValueError("a clip needs at least one frame")
        if len(self.times) > MAX_FRAMES:
            raise ValueError(f"{len(self.times):,} frames, over the limit of {MAX_FRAMES:,}")
        duration = _finite("duration", self.duration)
        previous = -math.inf
        for index, moment in enumerate(self.times):
            moment = _finite(f"frame {index}'s time", moment)
            if moment < 0 or moment <= previous:
                raise ValueError(f"frame {index}'s time {moment!r} does not follow {previous!r}")
            previous = moment
        if not self.times[-1] < duration <= MAX_SLOT_SECONDS:
            raise ValueError(f"duration {duration!r} must be after the last frame ({self.times[-1]!r}) "
                             f"and at most {MAX_SLOT_SECONDS:g} s")

    @classmethod
    def at_rate(cls, frames: int, rate: float) -> Clip:
        """A clip of `frames` frames at a constant `rate` a second."""
        if not isinstance(frames, int) or not 1 <= frames <= MAX_FRAMES:
            raise ValueError(f"frames must be from 1 to {MAX_FRAMES:,}, not {frames!r}")
        rate = _finite("rate", rate)
        if not 0 < rate <= 1000:
            raise ValueError(f"rate must be above 0 and at most 1000, not {rate!r}")
        return cls(tuple(index / rate for index in range(frames)), frames / rate)

    @classmethod
    def from_frames(cls, times: Sequence[float], seconds: float) -> Clip:
        """A clip of the decoded frames' times and the header's duration.

        A file with a variable frame rate may state a duration that ends
        before its last frame starts; then the last frame lasts as long as
        the gap before it (a single frame: a 25th of a second).
        """
        times = tuple(times)
        seconds = _finite("seconds", seconds)
        if times and seconds <= times[-1]:
            gap = times[-1] - times[-2] if len(times) > 1 else 1 / 25
            seconds = times[-1] + gap
        return cls(times, seconds)

    @classmethod
    def from_header(cls, frames: int | None, seconds: float, rate: float) -> Clip:
        """The clip as a player counts it before decoding: the header's frames (or its seconds times its
        rate) at its average rate. A variable-rate file's frames are then placed by their own times."""
        rate = _finite("rate", rate)
        by_time = max(1, round(_finite("seconds", seconds) * rate))
        if not frames or abs(frames - by_time) > max(2, by_time // 10):
            frames = by_time  # a count the duration does not bear out is not believed: it sizes the clock's table
        return cls.at_rate(frames, rate)

    def __len__(self) -> int:
        return len(self.times)


@dataclass(frozen=True)
class Slot:
    """A video's turn on screen: `loop` plays of the clip, or exactly `seconds` (trimmed, or looped
    to fill them) when given."""

    clip: Clip
    loop: int = 1
    seconds: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.loop, int) or isinstance(self.loop, bool) or not 1 <= self.loop <= MAX_LOOPS:
            raise ValueError(f"loop must be a whole number from 1 to {MAX_LOOPS}, not {self.loop!r}")
        if self.seconds is not None:
            seconds = _finite("seconds", self.seconds)
            if not 0 < seconds <= MAX_SLOT_SECONDS:
                raise ValueError(f"seconds must be above 0 and at most {MAX_SLOT_SECONDS:g}, not {self.seconds!r}")
        if self.length > MAX_SLOT_SECONDS:
            raise ValueError(f"{self.loop} plays of {self.clip.duration:g} s is over {MAX_SLOT_SECONDS:g} s")

    @property
    def length(self) -> float:
        """Seconds the slot lasts."""
        return float(self.seconds) if self.seconds is not None else self.clip.duration * self.loop

    @property
    def last_position(self) -> int:
        """The position of the frame on screen at the slot's last instant."""
        return pick(self, math.nextafter(self.length, -math.inf)).position

    def position(self, play: int, index: int) -> int:
        """The position of the clip's frame `index` in its `play`-th play (from 0)."""
        return play * len(self.clip) + index


@dataclass(frozen=True)
class VideoPlan:
    """A video's turn as the rotation plans it: one play's length (from the folder scanner's probe) and
    what its sidecar asks: `loop` plays, or exactly `seconds` (trimmed, or looped to fill them), and sound."""

    play_seconds: float
    loop: int = 1
    seconds: float | None = None
    audio: bool = False

    @property
    def length(self) -> float:
        """Seconds of video in the turn (at most a day)."""
        wanted = self.seconds if self.seconds is not None else self.play_seconds * self.loop
        return min(wanted, MAX_SLOT_SECONDS)

    def slot(self, clip: Clip) -> Slot:
        """The slot for the clip as the decoder found it (its length may differ a little from the probe's)."""
        if self.seconds is None and clip.duration * self.loop <= MAX_SLOT_SECONDS:
            return Slot(clip, self.loop)
        return Slot(clip, seconds=self.length)


@dataclass(frozen=True)
class Pick:
    """The frame the clock asks for: its play and index, its position, and whether the slot is over."""

    play: int
    index: int
    position: int
    over: bool


def pick(slot: Slot, elapsed: float) -> Pick:
    """The frame due `elapsed` seconds after the slot began.

    Before the slot begins, the first frame (held while it fades in); once
    it is over, the last one (held while it fades out), with `over` set.
    """
    elapsed = _finite("elapsed", elapsed)
    over = elapsed >= slot.length
    moment = min(max(0.0, elapsed), math.nextafter(slot.length, -math.inf))
    clip = slot.clip
    play = math.floor(moment / clip.duration)
    local = moment - play * clip.duration
    if local >= clip.duration:  # rounding at a play's very end belongs to the next play
        play, local = play + 1, local - clip.duration
    index = max(0, bisect.bisect_right(clip.times, local) - 1)
    return Pick(play, index, slot.position(play, index), over)


def due_seconds(slot: Slot, position: int) -> float:
    """Seconds from the slot's start to the moment the frame at `position` is due."""
    clip = slot.clip
    play, index = divmod(max(0, position), len(clip))
    return play * clip.duration + clip.times[min(index, len(clip) - 1)]


@dataclass(frozen=True)
class FrameCounts:
    """Frames of video counted as they reach the screen."""

    shown: int = 0
    late: int = 0
    skipped: int = 0

    def __add__(self, other: FrameCounts) -> FrameCounts:
        return FrameCounts(self.shown + other.shown, self.late + other.late, self.skipped + other.skipped)


@dataclass(frozen=True)
class Playback:
    """One video slot on screen: the position showing (None before the first), the counts, and
    whether the slot has ended."""

    on_screen: int | None = None
    counts: FrameCounts = field(default_factory=FrameCounts)
    ended: bool = False


@dataclass(frozen=True)
class Step:
    """What the render loop does at one refresh.

    `take`: how many frames to remove from the head of the ready queue; the
    last of them is presented if `present` is set (its position), the others
    are let go unseen. `over`: the slot has ended (hold the frame on screen
    for the fade out).
    """

    take: int
    present: int | None
    over: bool
    playback: Playback


def step(playback: Playback, slot: Slot, elapsed: float, ready: Sequence[int]) -> Step:
    """One refresh of a video slot: `ready` holds the positions of the decoded frames waiting, in order.

    The latest ready frame that is due is presented and the earlier ones are
    let go; frames not yet due stay. Nothing waits for a frame that is late.
    """
    if playback.ended:
        return Step(0, None, True, playback)
    wanted = pick(slot, elapsed)
    counts = playback.counts
    on_screen = playback.on_screen
    if wanted.over:
        never = slot.last_position - (on_screen if on_screen is not None else -1)
        counts = replace(counts, skipped=counts.skipped + max(0, never))
        return Step(len(ready), None, True, Playback(on_screen, counts, ended=True))
    due = bisect.bisect_right(ready, wanted.position)
    if due == 0:
        return Step(0, None, False, playback)
    chosen = ready[due - 1]
    if on_screen is not None and chosen <= on_screen:  # stale frames: the screen is past them already
        return Step(due, None, False, playback)
    first_unseen = on_screen + 1 if on_screen is not None else 0
    counts = FrameCounts(
        shown=counts.shown + 1,
        late=counts.late + (1 if chosen < wanted.position else 0),
        skipped=counts.skipped + chosen - first_unseen,
    )
    return Step(due, chosen, False, Playback(chosen, counts))
