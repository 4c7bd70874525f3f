"""The screen drawn through SDL's renderer: frames become textures, crossfades are blended by the GPU.

The other screen of kiosk.boundary.display, chosen by `display.renderer`
(kiosk.boundary.screens). Only the render loop calls it.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import pygame

from kiosk.boundary.display import (
    XRGB8888, WINDOWED_DEFAULT, copied_into, keys_pressed, no_screen_hint, overlay_surface, rgb_surface,
)
from kiosk.core.errors import DisplayError
from kiosk.core.frames import Frame, Pixels

if TYPE_CHECKING:  # pygame's texture API is loaded when the screen opens, not at import
    from pygame._sdl2.video import Renderer, Window


class TextureScreen:
    """The same screen drawn through SDL's renderer: frames become textures and
    crossfades are blended by the GPU where the box has one.

    `accelerated=False` uses SDL's software renderer, which is how the tests
    exercise this path on a machine without a GPU.
    """

    def __init__(
        self,
        size: tuple[int, int] | None = None,
        windowed: bool = False,
        title: str = "kiosk",
        font_path: object = None,
        accelerated: bool = True,
    ) -> None:
        self.requested_size = size
        self.windowed = windowed
        self.title = title
        self.font_path = font_path
        self.accelerated = accelerated
        self._window: Window | None = None
        self._renderer: Renderer | None = None
        self._fonts: dict[int, pygame.font.Font] = {}
        self._staging: pygame.Surface | None = None  # a video frame's pixels on their way to a texture

    def open(self) -> tuple[int, int]:
        from pygame._sdl2.sdl2 import error as sdl_error
        from pygame._sdl2.video import Renderer, Window

        try:
            pygame.display.init()
        except pygame.error as exc:
            raise DisplayError(f"cannot start SDL video: {exc}{no_screen_hint()}") from None
        pygame.font.init()
        if self.windowed:
            size = self.requested_size or WINDOWED_DEFAULT
            window = Window(self.title, size=size)
        elif self.requested_size:
            size = self.requested_size
            window = Window(self.title, size=size, fullscreen=True)
        else:
            size = pygame.display.get_desktop_sizes()[0]
            window = Window(self.title, size=size, fullscreen_desktop=True)
        try:
            self._renderer = Renderer(window, accelerated=1 if self.accelerated else 0, vsync=self.accelerated)
        except (pygame.error, sdl_error) as exc:
            window.destroy()
            raise DisplayError(f"no {'accelerated' if self.accelerated else 'software'} SDL renderer: {exc}") from None
        self._window = window
        pygame.mouse.set_visible(False)
        pygame.event.set_allowed(None)
        pygame.event.set_allowed([pygame.QUIT, pygame.KEYDOWN, pygame.WINDOWEXPOSED])
        self._size = size
        return size

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    @property
    def driver(self) -> str:
        kind = "gpu renderer" if self.accelerated else "software renderer"
        return f"{pygame.display.get_driver()}, {kind}" if pygame.display.get_init() else "none"

    def _render(self):
        if self._renderer is None:
            raise DisplayError("the screen is not open")
        return self._renderer

    @property
    def pixel_format(self) -> str:
        # XRGB8888, the texture format renderers take without converting.
        return "BGRX" if sys.byteorder == "little" else "RGB"

    def surface_for(self, frame: Frame):
        from pygame._sdl2.video import Texture

        if frame.pixel_format == "BGRX":
            surface = copied_into(pygame.Surface(frame.size, 0, 32, XRGB8888), frame)
        else:
            surface = rgb_surface(frame)
        return Texture.from_surface(self._render(), surface)

    def update(self, texture, frame: Pixels) -> None:
        """A video frame's pixels uploaded into a texture made by `surface_for` (no new texture)."""
        if frame.pixel_format != "BGRX":
            texture.update(rgb_surface(frame))
            return
        if self._staging is None or self._staging.get_size() != frame.size:
            self._staging = pygame.Surface(frame.size, 0, 32, XRGB8888)
        texture.update(copied_into(self._staging, frame))

    def blank(self, colour: tuple[int, int, int]):
        from pygame._sdl2.video import Texture

        surface = pygame.Surface(self._size)
        surface.fill(colour)
        return Texture.from_surface(self._render(), surface)

    def show(self, texture, overlay: list[str] | None = None) -> None:
        renderer = self._render()
        renderer.draw_color = (0, 0, 0, 255)
        renderer.clear()
        _draw_opaque(texture, self._size)
        self._present(overlay)

    def blend(self, old, new, progress: float, overlay: list[str] | None = None) -> None:
        renderer = self._render()
        renderer.draw_color = (0, 0, 0, 255)
        renderer.clear()
        _draw_opaque(old, self._size)
        new.blend_mode = _BLENDMODE_BLEND
        new.alpha = max(0, min(255, round(progress * 255)))
        new.draw(dstrect=_centred_rect(self._size, new))
        new.alpha = 255
        new.blend_mode = _BLENDMODE_NONE
        self._present(overlay)

    def _present(self, overlay: list[str] | None) -> None:
        if overlay:
            from pygame._sdl2.video import Texture

            box = overlay_surface(overlay, self._size[1], self.font_path, self._fonts)
            texture = Texture.from_surface(self._render(), box)
            texture.blend_mode = _BLENDMODE_BLEND
            texture.alpha = 200
            margin = box.get_height() // 10 + 6
            texture.draw(dstrect=(margin, margin, box.get_width(), box.get_height()))
        self._render().present()

    def poll_input(self) -> list[str]:
        return keys_pressed(self.windowed)

    def save(self, path: str) -> None:
        pygame.image.save(self._render().to_surface(), path)

    def close(self) -> None:
        if self._window is not None:
            self._renderer = None
            self._window.destroy()
            self._window = None
            pygame.display.quit()


_BLENDMODE_NONE = 0
_BLENDMODE_BLEND = 1


def _draw_opaque(texture, size: tuple[int, int]) -> None:
    # A texture left in blend mode sends every later draw down SDL's slow
    # blending path (measured: 27 ms instead of 2 ms a 1080p frame in software).
    texture.blend_mode = _BLENDMODE_NONE
    texture.draw(dstrect=_centred_rect(size, texture))


def _centred_rect(size: tuple[int, int], texture) -> tuple[int, int, int, int]:
    width, height = texture.width, texture.height
    return ((size[0] - width) // 2, (size[1] - height) // 2, width, height)
