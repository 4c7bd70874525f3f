"""How a frame is laid out: everything that shapes it except the picture and its caption.

Pure data, so the render loop can key its frame cache and plan memory
without importing the picture pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core.rules import Colour
from kiosk.core.sections import Config

# Bytes per pixel of the raw layouts a frame can have.
BYTES_PER_PIXEL = {"RGB": 3, "RGBX": 4, "BGRX": 4}


@dataclass(frozen=True)
class Layout:
    """Everything that shapes a frame except the picture and its caption."""

    size: tuple[int, int]  # as viewers see it (width, height), before rotation
    rotation: int = 0
    fit: str = "blur"
    background: Colour = (0, 0, 0)
    captions: bool = True
    font: Path = Path()
    caption_scale: float = 0.045
    text_color: Colour = (255, 255, 255)
    band_color: Colour = (0, 0, 0)
    band_opacity: float = 0.75
    max_lines: int = 4
    title: str = ""
    footer: str = ""
    # How the finished frame's bytes are laid out: a Pillow raw mode the screen
    # chose to match its own memory ("BGRX" for the usual XRGB8888), so the
    # render loop copies frames instead of converting them pixel by pixel.
    pixel_format: str = "RGB"

    @classmethod
    def from_config(cls, config: Config, panel_size: tuple[int, int], pixel_format: str = "RGB") -> "Layout":
        """The layout for a panel of `panel_size` pixels (as the video mode reports it)."""
        width, height = panel_size
        rotation = config.display.rotation
        viewer_size = (height, width) if rotation in (90, 270) else (width, height)
        return cls(
            size=viewer_size,
            rotation=rotation,
            fit=config.display.fit,
            background=config.display.background,
            captions=config.captions.enabled,
            font=config.captions.font,
            caption_scale=config.captions.size,
            text_color=config.captions.color,
            band_color=config.captions.band_color,
            band_opacity=config.captions.band_opacity,
            max_lines=config.captions.max_lines,
            title=config.overlays.title,
            footer=config.overlays.footer,
            pixel_format=pixel_format,
        )

    @property
    def panel_size(self) -> tuple[int, int]:
        width, height = self.size
        return (height, width) if self.rotation in (90, 270) else (width, height)

    @property
    def frame_bytes(self) -> int:
        """The size of one finished frame's pixels in `pixel_format`."""
        width, height = self.panel_size
        return width * height * BYTES_PER_PIXEL[self.pixel_format]

    @property
    def caption_px(self) -> int:
        return max(12, round(self.caption_scale * min(self.size)))
