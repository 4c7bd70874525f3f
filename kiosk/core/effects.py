"""What the show's director asks the render loop to do, as plain data.

The director (kiosk.core.director) decides; the loop (kiosk.app.show)
carries these out on the screen, the decode worker, the recorder, systemd
and the display's power commands, in the order given. Tests read them.
`Effect` is the closed set: the loop's one dispatch covers each of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeAlias

from kiosk.core.frames import Frame, FrameKey
from kiosk.core.rotation import SavedState
from kiosk.core.priority import Priority


@dataclass(frozen=True)
class RequestFrame:
    """Ask the decode worker for this frame."""

    key: FrameKey
    priority: Priority = Priority.NEXT


@dataclass(frozen=True)
class ConfigureWorker:
    """Give the decode worker new settings; they apply from its next request."""

    slide_folder: Path
    font: Path
    max_pixels: int


@dataclass(frozen=True)
class HoldWorker:
    """No new decode starts until ReleaseWorker: a crossfade gets the CPU to itself."""


@dataclass(frozen=True)
class ReleaseWorker:
    """The decode worker may start jobs again."""


@dataclass(frozen=True)
class PrepareSurface:
    """Turn the next slide's frame into a surface now, while the picture stands still."""

    frame: Frame


@dataclass(frozen=True)
class Present:
    """A slide begins: cut to its frame, or fade to it over `fade_seconds` (Blend follows)."""

    frame: Frame
    fade_seconds: float = 0.0
    from_blank: bool = False  # fade from the background colour, not from the slide on screen


@dataclass(frozen=True)
class PlayVideo:
    """The video presented (its first frame) plays: frame 0 at the monotonic moment `starts`, each frame
    after it when the time since then asks for it (kiosk.core.videoclock)."""

    key: FrameKey
    starts: float
    sound: bool = False  # its sound plays too (the sidecar's `audio: true`, where display.audio is on)
    joined: bool = False  # its clock began before it reached this screen (a box joining its sync group mid-video)


@dataclass(frozen=True)
class Blend:
    """One frame of the running fade, `progress` from 0 to 1."""

    progress: float


@dataclass(frozen=True)
class EndFade:
    """The fade is over: show the new slide alone."""


@dataclass(frozen=True)
class Redraw:
    """Draw the slide on screen again (the info overlay came or went)."""


@dataclass(frozen=True)
class ShowStill:
    """The screen is off by schedule: the background colour, or the off slide's frame."""

    frame: Frame | None = None


@dataclass(frozen=True)
class RecordSlide:
    """Save the rotation, then append the play-log line (the order makes resume exact)."""

    state: SavedState
    record: dict[str, Any]


@dataclass(frozen=True)
class SlideLeft:
    """A slide has left the screen: its play-log line (`time`, `path`) is written with `left`.

    `left` is the line's `time` plus the seconds the slide was visible, measured
    on the monotonic clock (kiosk.core.journal.left_time), so that a step of the
    wall clock while it showed does not change its time on screen.
    """

    time: str
    path: str
    left: str


@dataclass(frozen=True)
class SlideBegan:
    """A slide in turn has begun: its slip from `due` is measured when the frame is presented."""

    due: float


@dataclass(frozen=True)
class Notify:
    """Tell systemd: `ready` once, then `status` lines."""

    kind: str
    text: str


@dataclass(frozen=True)
class RunDisplayCommand:
    """Run the display's power command (off or on) without waiting for it."""

    command: str
    purpose: str


@dataclass(frozen=True)
class PublishStatus:
    """Hand the newest status to the status writer now."""


Effect: TypeAlias = (
    RequestFrame | ConfigureWorker | HoldWorker | ReleaseWorker | PrepareSurface | Present | PlayVideo | Blend | EndFade
    | Redraw | ShowStill | RecordSlide | SlideLeft | SlideBegan | Notify | RunDisplayCommand | PublishStatus
)
