"""The screen drawn with surfaces: with kiosk.boundary.texture_screen, the only modules that draw with pygame.

The render loop owns one `Screen`. It opens the window or the fullscreen
mode with only SDL's video subsystem (no audio device is touched, so no
ALSA errors on a box without sound), hides the cursor, turns finished
frames into surfaces and presents them, plain or blended for a crossfade.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

import pygame

from kiosk.core.errors import DisplayError
from kiosk.core.frames import Frame, Pixels

WINDOWED_DEFAULT = (1280, 720)

# Maintenance keys for a keyboard plugged into the box; the director ignores them unless display.keys is on.
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
        self._fonts: dict[int, pygame.font.Font] = {}

    def open(self) -> tuple[int, int]:
        """Opens the display and returns the panel size in pixels."""
        try:
            pygame.display.init()
        except pygame.error as exc:
            raise DisplayError(
                f"cannot start SDL video (driver {os.environ.get('SDL_VIDEODRIVER', 'auto')}): {exc}{no_screen_hint()}"
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

    @property
    def pixel_format(self) -> str:
        """The layout frames should have to be copied straight into a surface like the display's."""
        return display_pixel_format(self._display())

    def surface_for(self, frame: Frame) -> pygame.Surface:
        """A surface in the display's own pixel format, so blits need no conversion."""
        display = self._display()
        if frame.pixel_format == display_pixel_format(display) != "RGB":
            # The worker already laid the bytes out as the display does: a copy, no conversion.
            return copied_into(pygame.Surface(frame.size, 0, display), frame)
        return rgb_surface(frame).convert()

    def update(self, surface: pygame.Surface, frame: Pixels) -> None:
        """A video frame's pixels copied into a surface made by `surface_for` (in place, no new surface)."""
        if frame.pixel_format == display_pixel_format(self._display()) != "RGB":
            copied_into(surface, frame)
        else:
            surface.blit(rgb_surface(frame), (0, 0))

    def blank(self, colour: tuple[int, int, int]) -> pygame.Surface:
        surface = pygame.Surface(self.size).convert()
        surface.fill(colour)
        return surface

    def show(self, surface: pygame.Surface, overlay: list[str] | None = None) -> None:
        display = self._display()
        display.blit(surface, _centred(display, surface))
        self._present(overlay)

    def blend(self, old: pygame.Surface, new: pygame.Surface, progress: float,
              overlay: list[str] | None = None) -> None:
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
        box = overlay_surface(lines, display.get_height(), self.font_path, self._fonts)
        box.set_alpha(200)
        display.blit(box, (box.get_height() // 10 + 6, box.get_height() // 10 + 6))

    def poll_input(self) -> list[str]:
        """Drains window and keyboard events into the names of keys for the loop (next, pause, quit, ...)."""
        return keys_pressed(self.windowed)

    def save(self, path: str) -> None:
        """Writes what the display shows now to a PNG."""
        pygame.image.save(self._display(), path)

    def close(self) -> None:
        if self._surface is not None:
            pygame.display.quit()
            self._surface = None


def keys_pressed(windowed: bool) -> list[str]:
    commands = []
    for event in pygame.event.get():
        if event.type == pygame.QUIT:
            commands.append("close")  # the window's close button, never a key
        elif event.type == pygame.KEYDOWN:
            ctrl = event.mod & pygame.KMOD_CTRL
            if ctrl and event.key == pygame.K_q:
                commands.append("quit")  # a deliberate chord: a stray key never ends the show
            elif windowed and event.key == pygame.K_ESCAPE:
                commands.append("quit")
            elif not ctrl and event.key in _KEYS:
                commands.append(_KEYS[event.key])
        elif event.type == pygame.WINDOWEXPOSED:
            commands.append("redraw")
    return commands


def overlay_surface(lines: list[str], height: int, font_path: object, fonts: dict) -> pygame.Surface:
    """The maintenance info box as a surface, sized for a screen `height` pixels tall."""
    size = max(12, height // 40)
    font = fonts.get(size)
    if font is None:
        try:
            font = pygame.font.Font(str(font_path), size) if font_path else pygame.font.Font(None, size)
        except (OSError, pygame.error):
            font = pygame.font.Font(None, size)
        fonts[size] = font
    rendered = [font.render(line, True, (255, 255, 255)) for line in lines]
    pad = size // 2
    box = pygame.Surface((max(r.get_width() for r in rendered) + 2 * pad,
                          sum(r.get_height() for r in rendered) + 2 * pad))
    box.fill((0, 0, 0))
    y = pad
    for line in rendered:
        box.blit(line, (pad, y))
        y += line.get_height()
    return box


def no_screen_hint() -> str:
    if os.environ.get("SDL_VIDEODRIVER") or os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return ""
    return (
        ". No desktop session and no usable /dev/dri device was found: on a display box see"
        " 'Deploying on a display box' in docs/install.md (kmsdrm or cage); on a machine without"
        " a screen use SDL_VIDEODRIVER=dummy, or `kiosk snapshot` to see the slides as PNG files"
    )


# Masks of 32-bit surfaces without alpha whose bytes lie in memory (little-endian,
# as on x86 and ARM boxes) in the order of one of Pillow's raw modes.
_MEMORY_LAYOUTS = {
    (0xFF0000, 0xFF00, 0xFF, 0): "BGRX",  # XRGB8888: what most displays use
    (0xFF, 0xFF00, 0xFF0000, 0): "RGBX",
}
XRGB8888 = (0xFF0000, 0xFF00, 0xFF, 0)


def display_pixel_format(surface: pygame.Surface) -> str:
    """The Pillow raw mode matching the surface's pixels in memory, or RGB if none does."""
    if surface.get_bytesize() != 4 or sys.byteorder != "little":
        return "RGB"  # frames are then converted on the render loop, as before
    red, green, blue, alpha = surface.get_masks()
    return _MEMORY_LAYOUTS.get((red, green, blue, alpha), "RGB")


def copied_into(surface: pygame.Surface, frame: Pixels) -> pygame.Surface:
    """The frame's bytes copied into a 32-bit surface of the same layout."""
    if surface.get_pitch() != frame.size[0] * 4:
        # Padded rows (SDL does not pad 32-bit ones): the converting path is slower, still right.
        surface.blit(rgb_surface(frame), (0, 0))
        return surface
    pixels = memoryview(surface.get_view("0")).cast("B")  # type: ignore[arg-type]  # a BufferProxy is a buffer; pygame's stub does not say so
    try:
        pixels[:] = memoryview(frame.data).cast("B")
    finally:
        pixels.release()  # the surface stays locked while a view of it exists
    return surface


def rgb_surface(frame: Pixels) -> pygame.Surface:
    """A 24-bit surface of any frame, whatever its layout (a slow path: converts every pixel)."""
    if frame.pixel_format == "RGB":
        return pygame.image.frombytes(bytes(frame.data), frame.size, "RGB")
    from PIL import Image

    image = Image.frombytes("RGB", frame.size, bytes(frame.data), "raw", frame.pixel_format)
    return pygame.image.frombytes(image.tobytes(), frame.size, "RGB")


def _centred(display: pygame.Surface, surface: pygame.Surface) -> tuple[int, int]:
    return ((display.get_width() - surface.get_width()) // 2, (display.get_height() - surface.get_height()) // 2)
