"""Where the kiosk's own files are: the fonts and the fallback card."""

from __future__ import annotations

import sys
from pathlib import Path


def _find_assets() -> Path:
    """The assets folder: beside the package in a checkout, under the prefix when installed."""
    checkout = Path(__file__).resolve().parent.parent.parent / "assets"
    if checkout.is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "kiosk" / "assets"


ASSETS_DIR = _find_assets()
DEFAULT_FONT = ASSETS_DIR / "fonts" / "NanumGothicBold.ttf"
# Drawn where the caption font lacks letters: Vietnamese with two diacritics, the dong sign, ...
FALLBACK_FONT = ASSETS_DIR / "fonts" / "NotoSans-Bold.ttf"
