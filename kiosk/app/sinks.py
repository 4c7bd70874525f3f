"""What the render loop drives: the screen, the decode worker, and where the director's other effects go.

`kiosk run` (kiosk.app.run) builds the real ones (kiosk.boundary.display,
worker, state, notify, power, status, screenshot) and passes them in; tests
pass working fakes. Nothing here imports them, so importing the loop pulls
in neither pygame nor a thread.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from kiosk.core.frames import Frame, FrameKey
from kiosk.core.priority import Priority
from kiosk.core.rotation import SavedState


class ScreenLike(Protocol):
    """What the loop needs of a screen (kiosk.boundary.display.Screen, or a test's fake)."""

    def open(self) -> tuple[int, int]: ...
    @property
    def pixel_format(self) -> str: ...
    def surface_for(self, frame: Frame) -> Any: ...
    def blank(self, colour: tuple[int, int, int]) -> Any: ...
    def update(self, surface: Any, frame: Any) -> None: ...
    def show(self, surface: Any, overlay: list[str] | None = None) -> None: ...
    def blend(self, old: Any, new: Any, progress: float, overlay: list[str] | None = None) -> None: ...
    def poll_input(self) -> list[str]: ...
    def close(self) -> None: ...


class WorkerLike(Protocol):
    """The decode worker (kiosk.boundary.worker.DecodeWorker)."""

    def request(self, key: FrameKey, priority: Priority = Priority.NEXT) -> None: ...
    def busy_for(self) -> tuple[str, float] | None: ...
    def hold(self) -> None: ...
    def release(self) -> None: ...
    def configure(self, slide_folder: Any, font: Any, max_pixels: int) -> None: ...


class SpeakerLike(Protocol):
    """The sound of the video slot on screen (kiosk.boundary.sound.Speaker); none of its calls waits."""

    def play(self, key: FrameKey, starts: float, slide_folder: Any) -> None: ...
    def presented(self, key: FrameKey | None) -> None: ...
    def stop(self) -> None: ...
    def close(self) -> None: ...
    def summary(self) -> dict[str, Any] | None: ...


class RecorderLike(Protocol):
    """Where slide starts and ends are written (kiosk.boundary.state: the rotation and the play log)."""

    def slide_started(self, state: SavedState, record: dict[str, Any]) -> None: ...
    def slide_left(self, time: str, path: str, left: str) -> None: ...


class NotifierLike(Protocol):
    """systemd (kiosk.boundary.notify.SystemdNotifier)."""

    def ready(self, status: str = "") -> None: ...
    def status(self, text: str) -> None: ...
    def stopping(self) -> None: ...
    def ping_watchdog(self) -> None: ...


class PowerLike(Protocol):
    """The display's power commands (kiosk.boundary.power.DisplayPower)."""

    def run(self, command: str, purpose: str) -> object: ...
    def stop(self) -> None: ...


class StatusWriterLike(Protocol):
    """status.json, kiosk.prom and the heartbeat (kiosk.boundary.status.StatusWriter)."""

    def update(self, status: dict[str, Any]) -> None: ...


class ScreenshotsLike(Protocol):
    """The screenshot of what was presented (kiosk.boundary.screenshot.ScreenshotWriter)."""

    def presented(self, frame: Frame | None) -> None: ...


class Troubled(Protocol):
    """A writer that says what it could not write, for status.json (None while writes work)."""

    @property
    def problem(self) -> str | None: ...


@dataclass
class Sinks:
    """Where the loop's effects go, besides the screen and the worker."""

    recorder: RecorderLike
    notifier: NotifierLike
    power: PowerLike
    status_writer: StatusWriterLike | None = None
    screenshots: ScreenshotsLike | None = None
    threads: Callable[[], dict[str, Any]] = dict  # the helper threads' health, for status.json
    writers: tuple[Troubled, ...] = ()  # whose present problem status.json lists (`state_problems`)
