"""Pictures from disk to an upright RGB image, safely: the decoding boundary.

Pillow decodes fully (a truncated JPEG is an error here, not a half-grey
picture), refuses a picture whose header claims more than `max_pixels`
before a single pixel is decoded, turns phone photos upright from their EXIF
orientation, and asks the JPEG decoder for a reduced size with `draft()` so a
12-megapixel photo is decoded close to screen size.

Phone formats: HEIC/HEIF through pillow-heif (libheif), which applies the
file's own rotation and mirroring and resets its EXIF orientation; AVIF
through Pillow's own plugin, turned upright from EXIF like a JPEG. A picture
with an embedded colour profile (Display P3 from phones, Adobe RGB from
cameras) is converted to sRGB, what the panel shows, with lcms2 through
ImageCms; untagged pictures are taken as sRGB.
"""

from __future__ import annotations

import hashlib
import io
import math
import os
import threading
import warnings
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageChops, ImageCms, ImageFile, ImageOps, UnidentifiedImageError

from kiosk.core.errors import DecodeError, KioskError, PassingError, PictureTooLarge
from kiosk.boundary.files import open_regular_file

# Pillow's own bomb guard stays as a second line behind ours.
ImageFile.LOAD_TRUNCATED_IMAGES = False
HEIF_SUFFIXES = (".heic", ".heif")
_heif = threading.Lock()
_heif_registered = False


def register_heif() -> bool:
    """Lets Pillow open HEIC and HEIF (thumbnails and depth maps unwanted); True if this call did it.

    Done at the first HEIF file, not at import: libheif and its codecs take
    20 to 30 ms to load here, which a box without HEIC need not spend at start.
    """
    global _heif_registered
    with _heif:
        if _heif_registered:
            return False
        import pillow_heif

        pillow_heif.register_heif_opener(thumbnails=False, depth_images=False, aux_images=False)
        _heif_registered = True
        return True

_ORIENTATION_TAG = 0x0112
# A picture file larger than this is refused unread: a JPEG header followed by
# gigabytes of zeros would otherwise keep the decoder busy for minutes.
MAX_FILE_BYTES = 200 * 1024 * 1024
_QUARTER_TURNS = {5, 6, 7, 8}  # EXIF orientations that swap width and height


def decode_picture(
    path: Path,
    max_pixels: int,
    screen: tuple[int, int] | None = None,
    background: tuple[int, int, int] | None = (0, 0, 0),
    cover: bool = False,
    root: Path | None = None,
    max_bytes: int = MAX_FILE_BYTES,
) -> Image.Image:
    """Decodes a picture file fully and returns it upright, in RGB.

    With `screen`, the size the picture is fitted into, JPEGs are decoded
    at the smallest power-of-two reduction that still has a pixel for every
    screen pixel the picture will fill: fitted whole (contain, blur), or
    filling the screen and cropped (`cover`). That is much faster than a
    full decode followed by a resize, above all for portrait photos shown
    whole. Transparent pictures are flattened onto `background`.

    Raises ContentError when the file's content is the reason (damaged,
    not a picture, too large, not a regular file inside `root`) and
    PassingError when it is not (an I/O error, no memory).
    """
    if path.suffix.lower() in HEIF_SUFFIXES:
        register_heif()
    try:
        # Our file handle, not Pillow's: closing it leaves the decoded pixels
        # alive, where closing the image would free them and force a copy.
        handle = open_regular_file(path, root)
    except FileNotFoundError:
        raise PassingError("the file is gone") from None
    except OSError as exc:
        raise PassingError(f"cannot open: {exc.strerror or exc}") from None
    try:
        size = _size(handle)
        if size is not None and size > max_bytes:
            raise PictureTooLarge(f"{size:,} bytes is over the limit of {max_bytes:,} for a picture file")
        return _decode(handle, max_pixels, screen, background, cover)
    finally:
        handle.close()


def _decode(
    handle: BinaryIO,
    max_pixels: int,
    screen: tuple[int, int] | None,
    background: tuple[int, int, int] | None,
    cover: bool,
) -> Image.Image:
    try:
        with warnings.catch_warnings():
            # Our own limit, checked next, decides; Pillow's hard error stays.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(handle)
    except Image.DecompressionBombError as exc:
        raise PictureTooLarge(f"refused before decoding: {exc}") from None
    except UnidentifiedImageError:
        if _size(handle) == 0:
            raise DecodeError("empty file") from None
        if register_heif():  # a HEIC under another name: try once more with the HEIF opener
            handle.seek(0)
            return _decode(handle, max_pixels, screen, background, cover)
        raise DecodeError("not a picture Pillow can read") from None
    except Exception as exc:  # noqa: BLE001 - a plugin may raise anything on a hostile header
        raise _failure("cannot open", exc) from None

    width, height = image.size
    if width <= 0 or height <= 0:
        raise DecodeError(f"picture has no pixels ({width}x{height})")
    if width * height > max_pixels:
        raise PictureTooLarge(
            f"{width}x{height} is {width * height:,} pixels, over the limit of {max_pixels:,}"
        )
    try:
        if image.format == "JPEG":
            # JPEG's EXIF sits in the header: read it first, so draft() can use the orientation.
            orientation = _orientation(image)
            if screen is not None:
                _draft(image, orientation, screen, cover)
        image.seek(0)  # animated GIF/WebP: the first frame
        # Every format decodes here, before anything else may touch the pixels: on PNG,
        # getexif() loads them, and a damaged stream must refuse the file, not half-draw it.
        image.load()
        if image.format != "JPEG":
            orientation = _orientation(image)
        upright = ImageOps.exif_transpose(image) if orientation != 1 else image
        profile = image.info.get("icc_profile")
        depth = _png_bit_depth(handle) if image.format == "PNG" else 8
        return in_srgb(_to_rgb(upright, background, depth), profile)
    except Image.DecompressionBombError as exc:
        raise PictureTooLarge(str(exc)) from None
    except Exception as exc:  # noqa: BLE001 - any error while decoding refuses the file
        raise _failure("cannot decode", exc) from None


def _orientation(image: Image.Image) -> int:
    try:
        value = int(image.getexif().get(_ORIENTATION_TAG, 1))
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not cost the picture
        return 1
    return value if 1 <= value <= 8 else 1


def _draft(image: Image.Image, orientation: int, screen: tuple[int, int], cover: bool) -> None:
    width, height = image.size
    target_w, target_h = screen
    if orientation in _QUARTER_TURNS:
        target_w, target_h = target_h, target_w
    scale = (max if cover else min)(target_w / width, target_h / height)
    if scale < 1:
        image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))


def _failure(what: str, exc: BaseException) -> KioskError:
    """A content error, unless the system is the reason (an I/O error, no memory)."""
    if isinstance(exc, MemoryError):
        return PassingError(f"{what}: out of memory")
    if isinstance(exc, OSError) and exc.errno is not None:
        return PassingError(f"{what}: {exc.strerror or exc}")
    return DecodeError(f"{what}: {str(exc)[:200] or type(exc).__name__}")


# Pillow's modes for greyscale deeper than 8 bits (a 16-bit PNG opens as I;16). Its own
# convert("RGB") clips them at 255, so all but the darkest 1/256 of the range shows white.
WIDE_GREY = ("I;16", "I;16B", "I;16L", "I;16N", "I")
# 16-bit sample to 8-bit, rounded to nearest: what a 16-bit grey shows as on an 8-bit panel.
_EIGHT_BITS = [(value * 255 + 32767) // 65535 for value in range(65536)]
_STRIP_PIXELS = 1 << 20  # wide grey is converted a strip at a time: 4 MB of 32-bit samples at most


def _to_rgb(image: Image.Image, background: tuple[int, int, int] | None, bit_depth: int = 8) -> Image.Image:
    """RGB, or RGBA when `background` is None and the picture has transparency.

    Handles what Pillow's own convert gets wrong: 16-bit greyscale (clipped
    to white), and a PNG's transparent colour (tRNS) in greyscale or RGB,
    which Pillow compares against the wrong scale below 8 and at 16 bits.
    `bit_depth` is the PNG's bits per sample (8 for other formats).
    """
    key = image.info.pop("transparency", None) if image.mode != "P" else None
    alpha = _colour_key_alpha(image, key, bit_depth) if key is not None else None
    if image.mode in WIDE_GREY:
        image = _grey_to_eight_bits(image)
    if alpha is not None:
        image = image.convert("RGB")
        image.putalpha(alpha)
    elif image.mode == "RGB":
        return image
    elif image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
    else:
        return image.convert("RGB")
    if background is None:
        return image
    flat = Image.new("RGB", image.size, background)
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def _grey_to_eight_bits(image: Image.Image) -> Image.Image:
    """A 16-bit (or 32-bit) greyscale picture as 8-bit L, each sample rounded to nearest."""
    return _by_strips(image, _EIGHT_BITS)


def _by_strips(image: Image.Image, table: list[int]) -> Image.Image:
    """`table` (65,536 entries) applied to a wide grey picture, giving L; converted a strip at a time
    so that no full-size 32-bit copy is ever made."""
    out = Image.new("L", image.size)
    rows = max(1, _STRIP_PIXELS // image.width)
    for top in range(0, image.height, rows):
        strip = image.crop((0, top, image.width, min(image.height, top + rows)))
        out.paste(strip.convert("I").point(table, "L"), (0, top))
    return out


def _colour_key_alpha(image: Image.Image, key: object, bit_depth: int) -> Image.Image | None:
    """The alpha channel (L) a PNG's transparent colour gives: 0 where a pixel is that colour.

    The key is in the file's own sample scale. Pillow scales greyscale of 1,
    2 and 4 bits up to 8 (a 4-bit 15 becomes 255) but not the key, and keeps
    only the top 8 bits of 16-bit RGB, against which the 16-bit key is matched
    on its top 8 bits too.
    """
    if image.mode in WIDE_GREY and isinstance(key, int):
        table = [255] * 65536
        if 0 <= key < 65536:
            table[key] = 0
        return _by_strips(image, table)
    if image.mode in ("1", "L") and isinstance(key, int):
        grey = image.convert("L")
        levels = (1 << bit_depth) - 1 if 1 <= bit_depth < 8 else 255
        target = key * (255 // levels)
        return grey.point([0 if value == target else 255 for value in range(256)])
    if image.mode == "RGB" and isinstance(key, tuple) and len(key) == 3 and all(isinstance(k, int) for k in key):
        target = tuple(k >> 8 for k in key) if bit_depth == 16 else key
        masks = [band.point([255 if value == wanted else 0 for value in range(256)])
                 for band, wanted in zip(image.split(), target)]
        return ImageChops.invert(ImageChops.multiply(ImageChops.multiply(masks[0], masks[1]), masks[2]))
    return None


def _png_bit_depth(handle: BinaryIO) -> int:
    """A PNG's bits per sample, read from its IHDR chunk (always the first); 8 if unreadable."""
    try:
        header = os.pread(handle.fileno(), 26, 0)
    except (OSError, AttributeError, ValueError):
        return 8
    if len(header) == 26 and header[12:16] == b"IHDR" and header[24] in (1, 2, 4, 8, 16):
        return header[24]
    return 8


_SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
_TRANSFORMS: dict[bytes, "ImageCms.ImageCmsTransform | None"] = {}  # by the profile's hash; None: none needed
_TRANSFORMS_MAX = 32
_TRANSFORMS_LOCK = threading.Lock()


def in_srgb(image: Image.Image, icc_profile: object) -> Image.Image:
    """An RGB picture converted in place from its embedded colour profile to sRGB (perceptual intent).

    A profile that is sRGB already, or that lcms2 cannot read, leaves the
    pixels as they are: a damaged profile costs the colours' accuracy, never
    the picture. Transforms are built once per profile and kept.
    """
    if not isinstance(icc_profile, bytes) or not icc_profile or image.mode not in ("RGB", "RGBA"):
        return image
    if image.mode == "RGBA":  # the colours converted, the transparency kept as it was
        alpha = image.getchannel("A")
        converted = in_srgb(image.convert("RGB"), icc_profile)
        converted.putalpha(alpha)
        return converted
    transform = _cached_transform(icc_profile)
    if transform is None:
        return image
    ImageCms.applyTransform(image, transform, inPlace=True)  # no second 3-megapixel buffer
    return image


def _cached_transform(icc_profile: bytes) -> "ImageCms.ImageCmsTransform | None":
    """The transform from this profile to sRGB, built once per profile; None if none is needed or possible."""
    key = hashlib.sha256(icc_profile).digest()
    with _TRANSFORMS_LOCK:
        if key in _TRANSFORMS:
            return _TRANSFORMS[key]
    transform = _transform_for(icc_profile)
    with _TRANSFORMS_LOCK:
        if len(_TRANSFORMS) >= _TRANSFORMS_MAX:
            _TRANSFORMS.pop(next(iter(_TRANSFORMS)))
        _TRANSFORMS[key] = transform
    return transform


def _converted_from(icc_profile: bytes) -> "ImageCms.ImageCmsProfile | None":
    """The embedded profile, if the pixels need converting from it: readable, RGB, and not sRGB."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
        if source.profile.xcolor_space.strip() != "RGB":
            return None  # a grey or CMYK profile does not describe the RGB pixels it came with here
        if "srgb" in (source.profile.profile_description or "").lower().replace(" ", ""):
            return None
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None
    return source


def _transform_for(icc_profile: bytes) -> "ImageCms.ImageCmsTransform | None":
    source = _converted_from(icc_profile)
    if source is None:
        return None
    try:
        # A finer precalculated table: measured 15-35 % faster than lcms2's default here.
        return ImageCms.buildTransform(source, _SRGB, "RGB", "RGB", renderingIntent=ImageCms.Intent.PERCEPTUAL,
                                       flags=ImageCms.Flags.HIGHRESPRECALC)
    except (OSError, ValueError, TypeError, ImageCms.PyCMSError):
        return None


# EXIF tags that say where a photo was taken, on what and by whom: never needed to show it.
PRIVATE_TAGS = {0x8825: "GPS position", 0xA431: "camera serial number", 0xA435: "lens serial number",
                0x927C: "maker notes", 0x013B: "artist", 0xA430: "camera owner", 0x010F: "camera maker",
                0x0110: "camera model"}


def picture_facts(path: Path, root: Path | None = None) -> dict:
    """What `kiosk check` says of a picture, from its header alone: its format, the colour profile it
    is converted from (None for sRGB or none), the private metadata it carries, and what of it the
    box does not show as the file asks (`shown_differently`)."""
    if path.suffix.lower() in HEIF_SUFFIXES:
        register_heif()
    try:
        handle = open_regular_file(path, root)
    except OSError:
        return {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            image = Image.open(handle)
        profile = image.info.get("icc_profile")
        converted = None
        if isinstance(profile, bytes) and profile and _cached_transform(profile) is not None:
            source = _converted_from(profile)
            description = source.profile.profile_description if source is not None else ""
            converted = (description or "an embedded profile").strip()[:80]
        try:
            exif = image.getexif()
            private = sorted({name for tag, name in PRIVATE_TAGS.items()
                              if tag in exif or (tag == 0x8825 and exif.get_ifd(tag))
                              or tag in exif.get_ifd(0x8769)})
        except Exception:  # noqa: BLE001 - a damaged EXIF block says nothing
            private = []
        return {"format": image.format, "colour_profile": converted, "private_metadata": private,
                "shown_differently": _shown_differently(image, handle)}
    except Exception:  # noqa: BLE001 - the decode in check reports what is wrong with the file
        return {}
    finally:
        handle.close()


SRGB_GAMMA = 1 / 2.2  # what a PNG's gAMA chunk says for sRGB-like encoding (0.45455)


def _shown_differently(image: Image.Image, handle: BinaryIO) -> list[str]:
    """What the decoder cannot show exactly as the file asks, said plainly for `kiosk check`."""
    notes = []
    if getattr(image, "n_frames", 1) > 1:
        notes.append(f"animated ({image.n_frames} frames): only the first frame shows")
    gamma = image.info.get("gamma")
    if (image.format == "PNG" and isinstance(gamma, (int, float)) and abs(gamma - SRGB_GAMMA) > 0.05
            and "srgb" not in image.info and "icc_profile" not in image.info):
        notes.append(f"its gAMA chunk asks for gamma {gamma:g}, which is not applied: it shows as sRGB, "
                     "as Pillow and most image tools show it (a web browser would show it otherwise)")
    if image.format == "PNG" and image.mode == "RGB" and "transparency" in image.info and _png_bit_depth(handle) == 16:
        notes.append("its 16-bit transparent colour (tRNS) is matched on the top 8 bits of each sample")
    if image.mode == "CMYK":
        notes.append("CMYK: converted to RGB without a colour profile, so its colours are approximate")
    return notes


def _size(handle: BinaryIO) -> int | None:
    try:
        return os.fstat(handle.fileno()).st_size
    except OSError:
        return None


def reuse_freed_pixel_memory(blocks: int = 2) -> None:
    """Lets Pillow keep up to `blocks` freed pixel blocks (16 MB at most each) for the next pictures.

    Two hold a 1080p decode and its fitted copy, and take a third off the
    time of a 4K slide (`bench/decode.py`); `bench/perf.py` measures what
    they add to the peak memory.

    Every slide decodes and composes pictures of the same few sizes; taking
    their memory fresh from the kernel each time costs thousands of page
    faults per slide. Pillow's own setting, PILLOW_BLOCKS_MAX, wins if set.
    """
    if "PILLOW_BLOCKS_MAX" not in os.environ:
        Image.core.set_blocks_max(blocks)
