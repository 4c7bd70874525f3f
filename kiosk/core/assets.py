"""Where the kiosk's own files are: the fonts and the fallback card."""

from __future__ import annotations

import sys
from pathlib import Path

# An installed kiosk lives among the site's packages and keeps its assets under the prefix
# (pyproject.toml's data-files); a checkout, editable install included, keeps them beside the package.
_INSTALLED_UNDER = ("site-packages", "dist-packages")


def assets_folder(module_file: str, prefix: str) -> Path:
    """The assets folder for a package whose module is at `module_file`: told by the path alone, never by looking."""
    package = Path(module_file).parent.parent
    if any(part in _INSTALLED_UNDER for part in package.parts):
        return Path(prefix) / "share" / "kiosk" / "assets"
    return package.parent / "assets"


ASSETS_DIR = assets_folder(__file__, sys.prefix)
DEFAULT_FONT = ASSETS_DIR / "fonts" / "NanumGothicBold.ttf"
# Drawn where the caption font lacks letters: Vietnamese with two diacritics, the dong sign, ...
FALLBACK_FONT = ASSETS_DIR / "fonts" / "NotoSans-Bold.ttf"

# One font per script the kiosk's answers come in, that Nanum Gothic and Noto Sans
# lack: Google's Noto, bold, from Debian's fonts-noto-core (OFL; see fonts/README.md).
SCRIPT_FONTS = tuple(
    ASSETS_DIR / "fonts" / name for name in (
        "NotoSansThai-Bold.ttf", "NotoSansKhmer-Bold.ttf", "NotoSansMyanmar-Bold.ttf", "NotoSansSinhala-Bold.ttf",
        "NotoSansDevanagari-Bold.ttf", "NotoSansBengali-Bold.ttf", "NotoNaskhArabic-Bold.ttf",
        "NotoSansHebrew-Bold.ttf",
    )
)
# Chinese needs a CJK font of 20 MB: taken from the system (Debian's fonts-noto-cjk,
# which install.sh installs), not bundled. The first that exists is used.
SYSTEM_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
)
CJK_FACE = 2  # "Noto Sans CJK SC" among the collection's JP, KR, SC, TC and HK faces
