"""Every exception the kiosk raises on purpose, and what the show does with it.

    KioskError                  base; never escapes `kiosk run` unhandled
    ├── ConfigError             bad config.yaml: `run` and `check` exit 1,
    │                           a running show keeps its last good config
    ├── ContentError            one slide cannot be used: it is skipped with
    │   │                       one log line, the show goes on
    │   ├── DecodeError         not a picture, truncated, empty, unreadable
    │   └── PictureTooLarge     over `decoding.max_pixels`, refused unread
    ├── SidecarError            a broken NAME.yaml / NAME.txt: reported, the
    │                           picture still shows without it
    └── DisplayError            no screen could be opened: `run` exits 1
"""

from __future__ import annotations


class KioskError(Exception):
    """Base class for the kiosk's own errors."""


class ConfigError(KioskError):
    """The configuration is invalid; `problems` lists every message found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class ContentError(KioskError):
    """One slide file cannot be shown."""


class DecodeError(ContentError):
    """The file is not a complete picture that Pillow can decode."""


class PictureTooLarge(ContentError):
    """The picture's header claims more pixels than the configured limit."""


class SidecarError(KioskError):
    """A sidecar file next to a picture could not be read."""


class DisplayError(KioskError):
    """The screen could not be opened."""
