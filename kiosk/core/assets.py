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

# One font per script the kiosk's answers come in, that Nanum Gothic and Noto Sans lack: Google's
# Noto, bold, from Debian's fonts-noto-core (OFL; see fonts/README.md), by ISO 15924 script code.
# Tibetan has no sans design in Noto: its serif is the one there is.
SCRIPT_FONT_FILES = {
    "Thai": "NotoSansThai-Bold.ttf", "Laoo": "NotoSansLao-Bold.ttf", "Khmr": "NotoSansKhmer-Bold.ttf",
    "Mymr": "NotoSansMyanmar-Bold.ttf", "Sinh": "NotoSansSinhala-Bold.ttf", "Deva": "NotoSansDevanagari-Bold.ttf",
    "Beng": "NotoSansBengali-Bold.ttf", "Guru": "NotoSansGurmukhi-Bold.ttf", "Gujr": "NotoSansGujarati-Bold.ttf",
    "Taml": "NotoSansTamil-Bold.ttf", "Telu": "NotoSansTelugu-Bold.ttf", "Tibt": "NotoSerifTibetan-Bold.ttf",
    "Ethi": "NotoSansEthiopic-Bold.ttf", "Arab": "NotoNaskhArabic-Bold.ttf", "Hebr": "NotoSansHebrew-Bold.ttf",
    "Geor": "NotoSansGeorgian-Bold.ttf", "Armn": "NotoSansArmenian-Bold.ttf",
}
SCRIPT_FONTS = tuple(ASSETS_DIR / "fonts" / name for name in SCRIPT_FONT_FILES.values())
# Latin, Cyrillic and Greek come from one designed family, so neighbouring answers look alike.
ONE_FAMILY_SCRIPTS = ("Latn", "Cyrl", "Grek")
# Chinese needs a CJK font of 20 MB: taken from the system (Debian's fonts-noto-cjk,
# which install.sh installs), not bundled. The first that exists is used.
SYSTEM_CJK_FONTS = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Bold.ttc"),
    Path("/usr/share/fonts/google-noto-cjk/NotoSansCJK-Bold.ttc"),
)
# The collection's faces, in its order: each region's forms of the Han characters, and its punctuation
# (Traditional Chinese centres ，。 where Simplified sets them bottom left).
CJK_FACES = {"ja": 0, "ko": 1, "zh-Hans": 2, "zh-Hant": 3, "zh-HK": 4}
CJK_FACE = CJK_FACES["zh-Hans"]  # without a language, or a safe guess: Simplified Chinese
