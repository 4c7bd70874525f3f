"""The surfaces the render loop draws with: the background, the slide shown, the one fading out, the next one.

The loop (kiosk.app.show) tells them what the director decided; they turn
frames into surfaces on the screen it passes in, and remember which is
which between passes. The next slide's surface is made while the picture
stands still: a copy of 8 MB (33 MB at 4K) at the due moment would delay
its first frame by that much.
"""

from __future__ import annotations

from typing import Any

from kiosk.app.sinks import ScreenLike, ScreenshotsLike
from kiosk.core.frames import Frame, FrameKey


class Surfaces:
    """The background, the surface on screen, the one a fade starts from, and the next slide's made ahead."""

    def __init__(self, screen: ScreenLike, screenshots: ScreenshotsLike | None = None) -> None:
        self.screen = screen
        self.screenshots = screenshots  # told every slide presented, and a dark screen (written on its own thread)
        self._blank: Any = None
        self._current: Any = None  # the surface on screen
        self._fade_from: Any = None
        self._prepared: tuple[FrameKey, Any] | None = None  # the next slide's surface, made during the hold

    def open(self, background: tuple[int, int, int]) -> None:
        """The background colour, alone on screen until the first slide."""
        self._blank = self._current = self.screen.blank(background)
        self.screen.show(self._blank)

    def prepare(self, frame: Frame) -> None:
        """Makes the next slide's surface now (once), while the picture stands still."""
        if self._prepared is None or self._prepared[0] != frame.key:
            self._prepared = (frame.key, self.screen.surface_for(frame))

    def present(self, frame: Frame, from_blank: bool) -> None:
        """A slide begins: its surface (made during the hold if it could be) becomes the one on screen,
        and the fade, if one follows, starts from the slide before it or from the background."""
        prepared, self._prepared = self._prepared, None
        surface = prepared[1] if prepared is not None and prepared[0] == frame.key else self.screen.surface_for(frame)
        self._fade_from = self._blank if from_blank else self._current
        self._current = surface
        if self.screenshots is not None:
            self.screenshots.presented(frame)

    def update(self, frame: Any) -> None:
        """A video's next frame, copied into the surface on screen (drawn by the next show or blend)."""
        self.screen.update(self._current, frame)

    def blend(self, progress: float, overlay: list[str] | None) -> None:
        self.screen.blend(self._fade_from, self._current, progress, overlay)

    def show(self, overlay: list[str] | None) -> None:
        """Draws the surface on screen alone (a cut, the end of a fade, a redraw)."""
        self.screen.show(self._current, overlay)

    def end_fade(self, overlay: list[str] | None) -> None:
        self.show(overlay)
        self._fade_from = None

    def still(self, frame: Frame | None) -> None:
        """The screen is off by schedule: the background, or the off slide's frame."""
        self._prepared = None
        self._current = self._blank if frame is None else self.screen.surface_for(frame)
        self.screen.show(self._current)
        if self.screenshots is not None:
            self.screenshots.presented(frame)
