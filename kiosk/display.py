"""The screen: the only module that imports pygame for drawing.

The render loop owns one `Screen`. It opens the window or the fullscreen
mode with only SDL's video subsystem (no audio device is touched, so no
ALSA errors on a box without sound), hides the cursor, turns finished
frames into surfaces and presents them, plain or blended for a crossfade.
"""

from __future__ import annotations

import os

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame  # noqa: E402

from kiosk.errors import DisplayError  # noqa: E402
from kiosk.frames import Frame  # noqa: E402

WINDOWED_DEFAULT = (1280, 720)

# Maintenance keys for a keyboard plugged into the box.
_KEYS = {
    pygame.K_RIGHT: "next",
    pygame.K_n: "next",
    pygame.K_LEFT: "previous",
    pygame.K_b: "previous",
    pygame.K_SPACE: "pause",
    pygame.K_p: "pause",
    pygame.K_i: "info",
}


class Screen:
    """A fullscreen mode (or a window for previews) that shows frames."""

    def __init__(
        self,
        size: tuple[int, int] | None = None,
        windowed: bool = False,
        title: str = "kiosk",
        font_path: object = None,
    ) -> None:
        self.requested_size = size
        self.windowed = windowed
        self.title = title
        self.font_path = font_path
        self._surface: pygame.Surface | None = None
        self._font: pygame.font.Font | None = None
        self._font_size = 0

    def open(self) -> tuple[int, int]:
        """Opens the display and returns the panel size in pixels."""
        try:
            pygame.display.init()
        except pygame.error as exc:
            raise DisplayError(
                f"cannot start SDL video (driver {os.environ.get('SDL_VIDEODRIVER', 'auto')}): {exc}{_no_screen_hint()}"
            ) from None
        pygame.font.init()  # only for the maintenance info overlay
        pygame.display.set_caption(self.title)
        try:
            if self.windowed:
                self._surface = pygame.display.set_mode(self.requested_size or WINDOWED_DEFAULT)
            else:
                self._surface = pygame.display.set_mode(self.requested_size or (0, 0), pygame.FULLSCREEN)
        except pygame.error as exc:
            raise DisplayError(f"cannot open the screen: {exc}") from None
        pygame.mouse.set_visible(False)
        pygame.event.set_allowed(None)
        pygame.event.set_allowed([pygame.QUIT, pygame.KEYDOWN, pygame.WINDOWEXPOSED])
        return self._surface.get_size()

    @property
    def driver(self) -> str:
        """SDL's video driver in use (kmsdrm, wayland, x11, ...), for the log."""
        return pygame.display.get_driver() if pygame.display.get_init() else "none"

    @property
    def size(self) -> tuple[int, int]:
        return self._display().get_size()

    def _display(self) -> pygame.Surface:
        if self._surface is None:
            raise DisplayError("the screen is not open")
        return self._surface

    def surface_for(self, frame: Frame) -> pygame.Surface:
        """A surface in the display's own pixel format, so blits need no conversion."""
        image = pygame.image.frombytes(frame.data, frame.size, "RGB")
        return image.convert()

    def blank(self, colour: tuple[int, int, int]) -> pygame.Surface:
        surface = pygame.Surface(self.size).convert()
        surface.fill(colour)
        return surface

    def show(self, surface: pygame.Surface, overlay: list[str] | None = None) -> None:
        display = self._display()
        display.blit(surface, _centred(display, surface))
        self._present(overlay)

    def blend(self, old: pygame.Surface, new: pygame.Surface, progress: float, overlay: list[str] | None = None) -> None:
        """Shows `new` over `old` at `progress` (0 = old only, 1 = new only)."""
        display = self._display()
        display.blit(old, _centred(display, old))
        new.set_alpha(max(0, min(255, round(progress * 255))))
        display.blit(new, _centred(display, new))
        new.set_alpha(None)
        self._present(overlay)

    def _present(self, overlay: list[str] | None) -> None:
        if overlay:
            self._draw_overlay(overlay)
        pygame.display.flip()

    def _draw_overlay(self, lines: list[str]) -> None:
        """The maintenance info box in the top-left corner."""
        display = self._display()
        size = max(12, display.get_height() // 40)
        if self._font is None or self._font_size != size:
            try:
                self._font = pygame.font.Font(str(self.font_path), size) if self.font_path else pygame.font.Font(None, size)
            except (OSError, pygame.error):
                self._font = pygame.font.Font(None, size)
            self._font_size = size
        rendered = [self._font.render(line, True, (255, 255, 255)) for line in lines]
        pad = size // 2
        width = max(r.get_width() for r in rendered) + 2 * pad
        height = sum(r.get_height() for r in rendered) + 2 * pad
        box = pygame.Surface((width, height))
        box.set_alpha(200)
        box.fill((0, 0, 0))
        display.blit(box, (pad, pad))
        y = 2 * pad
        for line in rendered:
            display.blit(line, (2 * pad, y))
            y += line.get_height()

    def commands(self) -> list[str]:
        """Drains window and keyboard events into commands for the loop."""
        commands = []
        for event in pygame.event.get():
            if event.type == pygame.QUIT:
                commands.append("quit")
            elif event.type == pygame.KEYDOWN:
                ctrl = event.mod & pygame.KMOD_CTRL
                if ctrl and event.key == pygame.K_q:
                    commands.append("quit")  # a deliberate chord: a stray key never ends the show
                elif self.windowed and event.key == pygame.K_ESCAPE:
                    commands.append("quit")
                elif not ctrl and event.key in _KEYS:
                    commands.append(_KEYS[event.key])
            elif event.type == pygame.WINDOWEXPOSED:
                commands.append("redraw")
        return commands

    def save(self, path: str) -> None:
        """Writes what the display shows now to a PNG."""
        pygame.image.save(self._display(), path)

    def close(self) -> None:
        if self._surface is not None:
            pygame.display.quit()
            self._surface = None


def _no_screen_hint() -> str:
    if os.environ.get("SDL_VIDEODRIVER") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        ". No desktop session and no usable /dev/dri device was found: on a display box see"
        " 'Deploying on a display box' in the README (kmsdrm or cage); on a machine without"
        " a screen use SDL_VIDEODRIVER=dummy, or `kiosk snapshot` to see the slides as PNG files"
    )


def _centred(display: pygame.Surface, surface: pygame.Surface) -> tuple[int, int]:
    return ((display.get_width() - surface.get_width()) // 2, (display.get_height() - surface.get_height()) // 2)
