"""`kiosk publish` for a video: its rendition (kiosk.picture.videorendition) made once per source and settings.

A phone's clip becomes H.264 every box plays in software, upright, sized
for the fleet's panels, without its metadata; its sound only when its
sidecar says `audio: true`. Encoding a minute of video takes many seconds,
so a rendition is made once and found again by the source's sha256 and the
settings' key (`.renditions.json`, shared with the pictures'), as a
picture's is. Whatever goes wrong with one video is said, naming it, and
never stops the publish.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from kiosk.boundary.files import sha256_of
from kiosk.boundary.staticsite import OBJECTS, ORIGINAL, known_rendition, store_object
from kiosk.core.catalogue import FileInfo, sidecar_candidates
from kiosk.core.errors import ContentError, PassingError, SidecarError
from kiosk.core.sidecar import MAX_SIDECAR_BYTES, parse_sidecar

log = logging.getLogger(__name__)



def wants_sound(source: Path, path: str) -> bool:
    """Whether the video's sidecar asks for its sound (`audio: true`); a broken sidecar keeps it silent."""
    for candidate in sidecar_candidates(path):
        full = source / candidate
        try:
            if not full.is_file() or full.stat().st_size > MAX_SIDECAR_BYTES:
                continue
            text = full.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError):
            continue
        try:
            return parse_sidecar(text, full.suffix.lower()).audio
        except SidecarError:
            return False  # `kiosk check` and the boxes report the sidecar itself
    return False


def video_rendition(source: Path, info: FileInfo, digest: str, site: Path, panels: tuple[tuple[int, int], ...],
                    made: dict[str, list], cache: dict[str, list]) -> "tuple[str, int, bool] | str | None":
    """The video's rendition as (sha256, size, whether its object is new), made or found again; ORIGINAL if
    the original must stand in for it; None if it cannot be published."""
    from kiosk.picture.videorendition import VideoRenditionSettings, make_video_rendition

    settings = VideoRenditionSettings(panels=panels, audio=wants_sound(source, info.path))
    key = f"{digest}:{settings.key()}"
    known = known_rendition(cache, key, site)
    if known is not None:
        made[key] = known
        return known[0], known[1], False
    fd, name = tempfile.mkstemp(prefix=".video-", suffix=".mp4", dir=site)
    os.close(fd)
    partial = Path(name)
    try:
        try:
            make_video_rendition(source / info.path, partial, settings, root=source)
        except (ContentError, PassingError) as exc:  # the video itself: no box could play it either
            message = str(exc)
            log.warning("not published: %s", message if message.startswith(info.path) else f"{info.path}: {message}")
            return None
        except Exception as exc:  # noqa: BLE001 - an encoder failing on one file must not stop the rest
            return _instead_of_a_rendition(source, info, exc)
        rendition = sha256_of(partial)
        new = not (site / OBJECTS / rendition).exists()
        store_object(partial, site, rendition)
        size = partial.stat().st_size
    finally:
        partial.unlink(missing_ok=True)
    made[key] = [rendition, size]
    log.info("%s: rendition made (%d bytes)", info.path, size)
    return rendition, size, new


def _instead_of_a_rendition(source: Path, info: FileInfo, exc: Exception) -> str | None:
    """ORIGINAL when the video plays but could not be encoded, and its original reveals nothing private."""
    from kiosk.picture.video import probe_video

    reason = f"{type(exc).__name__}: {str(exc)[:200]}"
    try:
        private = list(probe_video(source / info.path, root=source).private_metadata)
    except (ContentError, PassingError):
        private = ["unreadable metadata"]
    if private:
        log.warning("not published: %s: its rendition could not be made (%s), and its original carries %s",
                    info.path, reason, ", ".join(private))
        return None
    log.warning("%s: its rendition could not be made (%s); the original is published instead", info.path, reason)
    return ORIGINAL
