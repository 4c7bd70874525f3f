"""`<state.dir>/screen.jpg`: a small picture of what the panel shows, for the office to see.

The render loop hands over the frame it has just presented (or None for a
dark screen); this thread turns it the way the public sees it, shrinks it
to SCREENSHOT_WIDTH and writes it as a JPEG, replacing the last one whole
(a temporary file renamed into place) but without fsync: it is refreshed at
every slide start, and one lost in a power cut costs nothing. The latest
frame wins: a burst of slide starts writes one picture.
"""

from __future__ import annotations

import io
import logging
import threading
from pathlib import Path

from PIL import Image

from kiosk.boundary.background import BackgroundThread
from kiosk.boundary.files import replace_file
from kiosk.core.trouble import Trouble
from kiosk.core.frames import Frame
from kiosk.picture.compose import to_viewers

log = logging.getLogger(__name__)

SCREENSHOT_FILE = "screen.jpg"
SCREENSHOT_WIDTH = 480
_QUALITY = 80
_DARK = object()


def screenshot_jpeg(frame: Frame | None, panel: tuple[int, int] = (1920, 1080), rotation: int = 0,
                    width: int = SCREENSHOT_WIDTH) -> bytes:
    """The JPEG of a presented frame, upright and `width` wide; a dark screen is black."""
    if frame is None:
        upright = to_viewers(Image.new("RGB", panel), rotation)
    else:
        image = Image.frombuffer("RGB", frame.size, frame.data, "raw", frame.pixel_format, 0, 1)  # type: ignore[arg-type]  # Pillow reads any buffer, a mapping too; its stub names bytes only
        upright = to_viewers(image, frame.key.layout.rotation)
    height = max(1, round(upright.height * width / upright.width))
    small = upright.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=2.0)
    buffer = io.BytesIO()
    small.save(buffer, format="JPEG", quality=_QUALITY)
    return buffer.getvalue()


class ScreenshotWriter(BackgroundThread):
    """Writes screen.jpg from the latest presented frame, on its own thread."""

    thread_name = "screenshot"

    def __init__(self, folder: Path, panel: tuple[int, int] = (1920, 1080), rotation: int = 0) -> None:
        super().__init__()
        self.path = folder / SCREENSHOT_FILE
        self.panel = panel
        self.rotation = rotation
        self._lock = threading.Lock()
        self._latest: object = None  # a Frame, _DARK, or None when nothing new
        self.trouble = Trouble(log)

    @property
    def problem(self) -> str | None:
        return self.trouble.problem

    def presented(self, frame: Frame | None) -> None:
        """The loop presented this frame (None: the screen went dark); safe from any thread."""
        with self._lock:
            self._latest = _DARK if frame is None else frame
        self.wake()

    def poll_once(self) -> None:
        with self._lock:
            latest, self._latest = self._latest, None
        if latest is None:
            return
        data = screenshot_jpeg(latest if isinstance(latest, Frame) else None, self.panel, self.rotation)  # else _DARK
        try:
            replace_file(self.path, data, durable=False)
        except OSError as exc:
            self.trouble.failed(f"cannot write {self.path}: {exc.strerror or exc}")
            return
        self.trouble.worked(f"{self.path} is written again")
