"""Choosing the screen: `display.renderer` picks surfaces (kiosk.boundary.display) or textures
(kiosk.boundary.texture_screen), with a fallback that is logged."""

from __future__ import annotations

import logging

import pygame

from kiosk.boundary.display import Screen
from kiosk.boundary.texture_screen import TextureScreen
from kiosk.core.errors import DisplayError

log = logging.getLogger(__name__)


class ChosenScreen:
    """Opens the screen `display.renderer` asks for when the loop opens it, then stands in for it."""

    def __init__(self, renderer: str, size: tuple[int, int] | None, windowed: bool, title: str,
                 font_path: object) -> None:
        self._choice = (renderer, size, windowed, title, font_path)
        self._inner: Screen | TextureScreen | None = None

    def open(self) -> tuple[int, int]:
        self._inner = open_screen(*self._choice)
        return self._inner.size

    def __getattr__(self, name: str):
        if self._inner is None:
            raise DisplayError("the screen is not open")
        return getattr(self._inner, name)


def open_screen(
    renderer: str,
    size: tuple[int, int] | None,
    windowed: bool,
    title: str,
    font_path: object,
) -> "Screen | TextureScreen":
    """The screen for `display.renderer`, opened; falls back to the surface path with a log line.

    software: blits on surfaces (measured to keep up at 1920x1080 on two cores);
    auto: textures if SDL has an accelerated renderer here, else software;
    gpu: textures, through SDL's software renderer if no accelerated one exists.
    """
    if renderer in ("auto", "gpu"):
        screen = TextureScreen(size, windowed, title, font_path, accelerated=True)
        try:
            screen.open()
            return screen
        except DisplayError as exc:
            pygame.display.quit()
            if renderer == "gpu":
                log.warning("%s; using textures on SDL's software renderer", exc)
                screen = TextureScreen(size, windowed, title, font_path, accelerated=False)
                screen.open()
                return screen
            log.info("%s; drawing with surfaces", exc)
    screen_ = Screen(size, windowed, title, font_path)
    screen_.open()
    return screen_
