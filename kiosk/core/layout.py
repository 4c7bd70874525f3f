"""How a frame is laid out: everything that shapes it except the picture and its caption.

Pure data, so the render loop can key its frame cache and plan memory
without importing the picture pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kiosk.core.rules import Colour
from kiosk.core.sections import Config, default

# Bytes per pixel of the raw layouts a frame can have.
BYTES_PER_PIXEL = {"RGB": 3, "RGBX": 4, "BGRX": 4}


@dataclass(frozen=True)
class Layout:
    """Everything that shapes a frame except the picture and its caption."""

    # Each default is its config key's (a Layout built in code or a test), read from the field.
    size: tuple[int, int]  # as viewers see it (width, height), before rotation
    rotation: int = default("display.rotation")
    fit: str = default("display.fit")
    background: Colour = default("display.background")
    captions: bool = default("captions.enabled")
    font: Path = Path()
    caption_scale: float = default("captions.size")
    text_color: Colour = default("captions.color")
    band_color: Colour = default("captions.band_color")
    band_opacity: float = default("captions.band_opacity")
    max_lines: int = default("captions.max_lines")
    max_share: float = default("captions.max_share")
    portrait_max_lines: int = default("captions.portrait_max_lines")
    portrait_max_share: float = default("captions.portrait_max_share")
    min_caption_scale: float = default("captions.min_size")
    title: str = default("overlays.title")
    footer: str = default("overlays.footer")
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
            max_share=config.captions.max_share,
            portrait_max_lines=config.captions.portrait_max_lines,
            portrait_max_share=config.captions.portrait_max_share,
            min_caption_scale=config.captions.min_size,
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

    @property
    def caption_min_px(self) -> int:
        """The smallest a caption shrinks to (never above its size)."""
        return min(self.caption_px, max(10, round(self.min_caption_scale * min(self.size))))

    @property
    def portrait(self) -> bool:
        """Taller than wide, as viewers see it: a tall case."""
        return self.size[1] > self.size[0]

    @property
    def caption_lines(self) -> int:
        """The lines a caption may take, by the screen's orientation."""
        return self.portrait_max_lines if self.portrait else self.max_lines

    @property
    def caption_share(self) -> float:
        """The most of the screen's height the caption band may take, by the screen's orientation."""
        return self.portrait_max_share if self.portrait else self.max_share
