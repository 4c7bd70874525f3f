"""The frames the show has asked the decode worker for, and the byte-bounded cache of those that came.

Part of the show's decisions (kiosk.core.director). It alone changes the
cache and knows which requests are still out; the lineup, the schedule's off
slide and the director ask and tell it through its methods. Pure: requests
come back as effects.
"""

from __future__ import annotations

from kiosk.core.effects import Effect, RequestFrame
from kiosk.core.frames import Frame, FrameCache, FrameKey
from kiosk.core.layout import Layout
from kiosk.core.priority import Priority
from kiosk.core.sections import Config

# Without decoding.cache_megabytes: the next frame and one ahead. The frame on screen is a surface
# by then and goes first when room is needed (a "previous" key decodes it again).
CACHE_FRAMES = 2


def cache_bytes(config: Config, layout: Layout | None) -> int:
    """The frame cache's size: as configured, or room for CACHE_FRAMES frames of the panel."""
    if config.decoding.cache_megabytes is not None:
        return config.decoding.cache_megabytes * 1024 * 1024
    return CACHE_FRAMES * (layout.frame_bytes if layout is not None else 1920 * 1080 * 4)


class Prepared:
    """Frames asked for and not yet answered, those asked for ahead of the next slide, and those held."""

    def __init__(self, max_bytes: int) -> None:
        self._cache = FrameCache(max_bytes)
        self._layout: Layout | None = None
        self._panel: tuple[tuple[int, int], str] | None = None  # the panel's size and pixel format, once open
        self._asked: set[FrameKey] = set()  # frames the worker has been asked for and not answered
        self._ahead: set[FrameKey] = set()  # frames asked for ahead of the next slide, until they arrive

    @property
    def layout(self) -> Layout | None:
        """How frames are made for the panel; None until the screen is open."""
        return self._layout

    @property
    def limit(self) -> int:
        """The bytes of frames the cache may hold."""
        return self._cache.max_bytes

    def fit(self, config: Config, panel: tuple[int, int] | None = None, pixel_format: str = "RGB") -> None:
        """Frames for this config on the panel (given when the screen opens, kept for later configs),
        and the cache's size. Frames of another layout can never be shown again: the cache lets them go."""
        if panel is not None:
            self._panel = (panel, pixel_format)
        if self._panel is None:
            return
        layout = Layout.from_config(config, *self._panel)
        self._cache.max_bytes = cache_bytes(config, layout)
        if layout != self._layout:
            self._layout = layout
            self._cache.clear()

    def request(self, key: FrameKey, priority: Priority) -> list[Effect]:
        self._asked.add(key)
        if priority == Priority.AHEAD:
            self._ahead.add(key)
        return [RequestFrame(key, priority)]

    def asked_for(self, key: FrameKey) -> bool:
        """Whether the worker was asked for this frame and has not answered yet."""
        return key in self._asked

    def answered(self, key: FrameKey) -> None:
        """The worker answered for this frame, with the frame or a failure."""
        self._asked.discard(key)

    def arrived(self, frame: Frame, spare: bool, keep: FrameKey | None) -> None:
        """A frame came. A spare (decoded only to admit its file) is kept only if that evicts nothing;
        no other frame pushes out `keep` (the next slide's)."""
        if spare:
            self._cache.put_spare(frame)
        else:
            self._cache.put(frame, keep=(keep,) if keep is not None else ())
        self._ahead.discard(frame.key)

    def was_ahead(self, key: FrameKey) -> bool:
        """Whether this frame was asked for ahead of the next slide (forgotten as such now: it failed)."""
        if key not in self._ahead:
            return False
        self._ahead.discard(key)
        return True

    def keep(self, frame: Frame) -> None:
        """Holds a frame the show asked for outside the rotation (the schedule's off slide)."""
        self._cache.put(frame)

    def forget(self, path: str) -> None:
        """The file changed or left: its frames can never be shown again."""
        self._cache.discard_path(path)

    def get(self, key: FrameKey) -> Frame | None:
        """The finished frame for this key, if the cache holds it (now the most recently used)."""
        return self._cache.get(key)

    def __contains__(self, key: FrameKey) -> bool:
        return key in self._cache

    def __len__(self) -> int:
        return len(self._cache)
