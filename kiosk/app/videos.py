"""The video slot on screen, for the render loop: its player, its clock, and the frames counted.

The loop (kiosk.app.show) starts a player when a video slide's first frame
is made ready (PrepareSurface), so decoding is under way before the slot
begins; attaches the slot's clock at PlayVideo; and each refresh asks
`due()` for the frame to present, which kiosk.core.videoclock chooses from
the time since the slot began and the frames the player has ready. The
first frame (the poster the worker composed) stays on screen through the
fade in; the last stays through the fade out, because the next slide fades
in over the surface the frames were copied into.
"""

from __future__ import annotations

import collections
import logging
from pathlib import Path
from typing import Any, Callable, Protocol

from kiosk.core.framestats import quantiles
from kiosk.core.frames import FrameKey
from kiosk.core.videoclock import FrameCounts, Playback, Slot, due_seconds, step

log = logging.getLogger(__name__)

KEEP_TIMES = 5000  # the latest frames whose gaps and lateness the status sums up
FRAME_WAIT_FLOOR = 0.004  # seconds: the loop's shortest sleep while a late frame is awaited
# A frame due within this much of now is shown now: the loop woken at a frame's moment must not miss it by
# a rounding of the clock and sleep again.
CLOCK_SLACK = 0.0005


class PlayerLike(Protocol):
    """What the loop needs of a video player (kiosk.boundary.videoplayer.VideoPlayer, or a test's fake)."""

    key: FrameKey
    slot: Slot | None

    def start(self) -> None: ...
    def playing(self, starts: float | None = None) -> None: ...
    def ready(self) -> list[int]: ...
    def take(self, count: int) -> list[Any]: ...
    def give_back(self, frames: list[Any]) -> None: ...
    def stop(self) -> None: ...


# Makes the player of a video slide: given its key, the slide folder and the caption font.
PlayerMaker = Callable[[FrameKey, Path, Path], PlayerLike]


class Videos:
    """At most one video playing (the slide on screen) and one decoding ahead (the next slide)."""

    def __init__(self, make_player: PlayerMaker | None, slide_folder: Path, font: Path) -> None:
        self.make_player = make_player
        self.slide_folder, self.font = slide_folder, font
        self._ahead: PlayerLike | None = None
        self._playing: PlayerLike | None = None
        self._starts = 0.0
        self._playback = Playback()
        self._ended = FrameCounts()  # of the slots already over
        self._last_shown: float | None = None  # when this slot's last frame reached the screen
        self.gaps: collections.deque[float] = collections.deque(maxlen=KEEP_TIMES)  # between frames of a slot
        self.lateness: collections.deque[float] = collections.deque(maxlen=KEEP_TIMES)  # after each one was due
        # How late the first frame shown once a slot's clock runs was (the first frame itself is on screen
        # through the fade in): whether the decoder was ready as the slot began.
        self.first_lateness: collections.deque[float] = collections.deque(maxlen=KEEP_TIMES)
        self._clock_running = False  # a frame of this slot was shown since its clock began

    def configure(self, slide_folder: Path, font: Path) -> None:
        self.slide_folder, self.font = slide_folder, font

    @property
    def counts(self) -> FrameCounts:
        """Frames of video counted as they reached the screen, since the start."""
        return self._ended + self._playback.counts

    def summary(self) -> dict[str, object]:
        """The counts, and the gaps between frames and how late each came, for status.json."""
        counts = self.counts
        return {"shown": counts.shown, "late": counts.late, "skipped": counts.skipped,
                "gap_seconds": quantiles(list(self.gaps)), "lateness_seconds": quantiles(list(self.lateness)),
                "first_frame_lateness_seconds": quantiles(list(self.first_lateness))}

    @property
    def playing(self) -> bool:
        return self._playing is not None

    def prepare(self, key: FrameKey) -> None:
        """The next slide's frame is ready: a video's player starts decoding ahead of its slot."""
        if key.video is None or self.make_player is None:
            return
        if self._ahead is not None and self._ahead.key == key:
            return
        self._drop_ahead()
        self._ahead = self._start(key)

    def play(self, key: FrameKey, starts: float, joined: bool = False) -> None:
        """The video's first frame is on screen; from `starts` (monotonic) its frames follow the clock. A
        slot `joined` (its clock ran before it reached this screen: a box joining its sync group mid-video)
        has no start of its own: its first frame's lateness is not a slot start's."""
        self.stop()
        if self.make_player is None:
            return
        if self._ahead is not None and self._ahead.key == key:
            player, self._ahead = self._ahead, None
        else:
            self._drop_ahead()
            player = self._start(key)
        player.playing(starts)
        self._playing, self._starts, self._playback = player, starts, Playback()
        self._last_shown = None
        self._clock_running = joined  # (a slot joined has no start to be late for)

    def presented(self, key: FrameKey | None) -> None:
        """Another slide (or none) is on screen: the video playing stops, its last frame left standing."""
        if self._playing is not None and self._playing.key != key:
            self.stop()

    def stop(self) -> None:
        """The slot ends: the player is stopped and its counts kept."""
        if self._playing is not None:
            self._playing.stop()
            self._playing = None
            self._ended = self._ended + self._playback.counts
            self._playback = Playback()

    def close(self) -> None:
        self.stop()
        self._drop_ahead()

    def due(self, now: float) -> tuple[Any, Callable[[], None]] | None:
        """The frame to present now, and what to call once it is copied to the screen; None if none is."""
        player = self._playing
        if player is None or player.slot is None:
            return None
        chosen = step(self._playback, player.slot, now - self._starts + CLOCK_SLACK, player.ready())
        self._playback = chosen.playback
        taken = player.take(chosen.take)
        if chosen.over:
            player.give_back(taken)
            self.stop()  # the last frame stays on screen for the fade out
            return None
        if chosen.present is None or not taken:
            player.give_back(taken)
            return None
        if self._last_shown is not None:
            self.gaps.append(now - self._last_shown)
        self._last_shown = now
        late = max(0.0, now - self._starts - due_seconds(player.slot, chosen.present))
        self.lateness.append(late)
        if not self._clock_running and now >= self._starts:
            self._clock_running = True
            self.first_lateness.append(late)
        return taken[-1], lambda: player.give_back(taken)

    def wait_seconds(self, now: float) -> float | None:
        """How long the loop may sleep before the next frame is due; None if no video is playing."""
        player = self._playing
        if player is None:
            return None
        if player.slot is None:
            return FRAME_WAIT_FLOOR  # still opening: look again soon
        on_screen = self._playback.on_screen
        following = 0 if on_screen is None else on_screen + 1
        due = self._starts + min(due_seconds(player.slot, following), player.slot.length)
        return max(FRAME_WAIT_FLOOR, due - now)

    def _start(self, key: FrameKey) -> PlayerLike:
        assert self.make_player is not None
        player = self.make_player(key, self.slide_folder, self.font)
        player.start()
        return player

    def _drop_ahead(self) -> None:
        if self._ahead is not None:
            self._ahead.stop()
            self._ahead = None
