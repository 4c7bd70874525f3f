"""Turning a playlist entry into a finished frame: the whole decode-and-compose pipeline as one function.

The decode worker runs `prepare_frame` off the render loop, and `kiosk
snapshot` runs it directly, so both show exactly the same pixels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from PIL import Image

from kiosk.core.assets import ASSETS_DIR
from kiosk.picture.compose import compose_frame, to_panel
from kiosk.picture.fonts import FontBook
from kiosk.picture.decoder import decode_picture
from kiosk.core.errors import ContentError, PassingError
from kiosk.core.frames import Frame, FrameKey
from kiosk.core.layout import Layout
from kiosk.picture.pixels import frame_buffer
from kiosk.picture.video import video_poster

FALLBACK_PICTURE = ASSETS_DIR / "fallback.png"


def prepare_frame(
    key: FrameKey,
    slide_folder: Path,
    fonts: FontBook,
    max_pixels: int,
    fallback_picture: Path = FALLBACK_PICTURE,
) -> Frame:
    """Decodes and composes one slide; raises ContentError if its file is unusable.

    The fallback slide never fails: without its picture it is composed on
    the background colour.
    """
    layout = key.layout
    if key.kind == "fallback":
        try:
            picture: Image.Image | None = decode_picture(fallback_picture, max_pixels, layout.size, layout.background)
        except (ContentError, PassingError):
            picture = None
        caption = key.caption or ("" if picture is not None else "International Migrants Day\n세계 이주민의 날")
        image = compose_frame(picture, caption, key.kind, _fallback_layout(layout, picture), fonts)
    elif key.kind == "off":
        # The schedule's off slide: a whole picture, nothing drawn over it.
        picture = decode_picture(Path(key.path), max_pixels, layout.size, layout.background)
        plain = replace(layout, fit="contain", title="", footer="", captions=False)
        image = compose_frame(picture, "", key.kind, plain, fonts)
    elif key.video is not None:
        # A video's first frame, fitted as playing fits it: the hand-over to the moving frames is seamless.
        picture = video_poster(slide_folder / key.path, layout, root=slide_folder)
        image = compose_frame(picture, key.caption, key.kind, layout, fonts, key.lang)
    else:
        picture = decode_picture(
            slide_folder / key.path, max_pixels, layout.size, layout.background, cover=layout.fit == "cover",
            root=slide_folder,
        )
        image = compose_frame(picture, key.caption, key.kind, layout, fonts, key.lang)
    panel = to_panel(image, layout.rotation)
    return Frame(key, panel.size, frame_buffer(panel, layout.pixel_format))


def _fallback_layout(layout: Layout, picture: Image.Image | None) -> Layout:
    # The fallback picture is a designed card: show it whole, never cropped.
    return replace(layout, fit="contain" if picture is not None else layout.fit, title="")
