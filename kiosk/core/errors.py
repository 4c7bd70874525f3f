"""Every exception the kiosk raises on purpose, and what the show does with it.

    KioskError                  base; never escapes `kiosk run` unhandled
    ├── ConfigError             bad config.yaml: `run` and `check` exit 1,
    │                           a running show keeps its last good config
    ├── ContentError            one slide cannot be used, as its content
    │   │                       explains: that version of the file is skipped
    │   │                       with one log line until it changes
    │   ├── DecodeError         not a picture, truncated, damaged, empty
    │   ├── PictureTooLarge     over `decoding.max_pixels` or the file size
    │   │                       limit, refused unread
    │   ├── VideoError          a video refused by its header (no video stream,
    │   │                       too large, long or fast, too many streams) or
    │   │                       damaged: skipped from the failing frame on
    │   └── UnsafeFile          not a regular file inside the slide folder
    │                           (a FIFO, a device, a link to outside)
    ├── PassingError            a failure the file's content does not explain
    │                           (an I/O error, no memory): retried with
    │                           backoff, logged once, never marks the file
    ├── SidecarError            a broken NAME.yaml / NAME.txt: reported, the
    │                           picture still shows without it
    ├── ManifestError           a published manifest a box must not apply:
    │                           refused whole, the slides stay as they are
    ├── SyncFailed              one sync could not complete (one-line reason;
    │   │                       `retry` says whether trying again may help)
    │   └── Interrupted         a download broke off or ran past its deadline:
    │                           its part is kept to resume
    ├── PublishError            `kiosk publish` refused a folder every box would
    │                           refuse (two names equal but for case): exit 1
    ├── DeadlinePassed          a request took longer than its total deadline:
    │                           the sync or upload fails and is tried later
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


class VideoError(ContentError):
    """A video file that cannot be played, or not beyond a frame; the message names the file."""


class UnsafeFile(ContentError):
    """A path that is not a regular file inside the slide folder; it is never read."""


class PassingError(KioskError):
    """Preparing a slide failed for a reason outside its content; worth trying again later."""


class SidecarError(KioskError):
    """A sidecar file next to a picture could not be read."""


class ManifestError(KioskError):
    """A manifest that a box must not apply."""


class SyncFailed(KioskError):
    """One sync could not complete; the message is the one-line reason.

    `retry` says whether trying the same request again may help (a network
    fault, a 5xx) or not (a 4xx, content that does not match).
    """

    def __init__(self, reason: str, retry: bool = True) -> None:
        super().__init__(reason)
        self.retry = retry


class Interrupted(SyncFailed):
    """A download that broke off; its partial file is kept to resume with a Range request."""


class PublishError(KioskError):
    """The slide folder holds paths that every box would refuse; `problems` names each."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class DeadlinePassed(KioskError):
    """A network request ran past its total deadline."""


class DisplayError(KioskError):
    """The screen could not be opened."""
