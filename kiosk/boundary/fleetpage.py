"""The office's page of every screen: static files that `kiosk publish` writes into the site.

It needs nothing of ours on the server: the boxes PUT their reports into
`fleet/<box>/` (kiosk.boundary.upload) and nginx lists `fleet/` as JSON
(autoindex). The page's script (fleetpage.js, beside this module) reads that
list, each box's status.json and its screenshot, judges each box (ok,
warning or problem, with the reasons) and refreshes itself. No build step,
no framework, no external URL: the office network may be offline.

Whatever a box uploaded is hostile, so the page reads every file with a size
cap, checks status.json field by field, shows box text only as text, and
keeps one box's trouble on that box's card. It runs under a
Content-Security-Policy with no inline script or style (POLICY, given in a
<meta> here and as a header by the documented nginx configuration). The
limits below reach the script as <body data-…> attributes.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from kiosk.boundary.files import write_atomically

FLEET_PAGE = "fleet.html"
SCRIPT = "fleet.js"
STYLE = "fleet.css"
STALE_SECONDS = 300  # no report for this long: a problem (five heartbeats of the default 60 s)
FUTURE_SKEW_SECONDS = 300  # a time further ahead of the office's clock than this: a problem (a clock is wrong)
SYNC_FAILING_SECONDS = 300  # failing syncs since the last success: a warning, a problem after this long
FIRST_SYNC_SECONDS = 300  # a box up this long that has not tried to sync: a problem
REFRESH_SECONDS = 30
FETCH_SECONDS = 20  # one box's files, in all
STATUS_MAX_BYTES = 4 << 20  # status.json is a few kB; at most 700 texts of 300 characters (tests/test_showstatus.py)
LISTING_MAX_BYTES = 4 << 20  # a folder's JSON listing (a box's play logs of a week are a few hundred names)
SCREEN_MAX_BYTES = 2 << 20  # screen.jpg is about 14 kB (480 px wide)
TEXT_CHARS = 200  # one text from a box, as shown
LIST_ITEMS = 100  # entries of one list read from a status
MAX_BOXES = 1000

# No inline script or style, nothing from elsewhere; frame-ancestors only works as a header.
POLICY = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
          "base-uri 'none'; form-action 'none'")
HEADER_POLICY = POLICY + "; frame-ancestors 'none'"

_HERE = Path(__file__).parent


def page_limits() -> dict[str, float]:
    """The numbers the script reads from <body data-…>, by their dataset names."""
    return {
        "staleSeconds": STALE_SECONDS, "skewSeconds": FUTURE_SKEW_SECONDS, "refreshSeconds": REFRESH_SECONDS,
        "fetchSeconds": FETCH_SECONDS, "syncFailingSeconds": SYNC_FAILING_SECONDS,
        "firstSyncSeconds": FIRST_SYNC_SECONDS, "statusBytes": STATUS_MAX_BYTES, "listingBytes": LISTING_MAX_BYTES,
        "screenBytes": SCREEN_MAX_BYTES, "textChars": TEXT_CHARS, "listItems": LIST_ITEMS, "boxes": MAX_BOXES,
    }


def body_attributes() -> str:
    return " ".join(f'data-{"".join("-" + c.lower() if c.isupper() else c for c in name)}="{value}"'
                    for name, value in page_limits().items())


def script() -> str:
    return (_HERE / "fleetpage.js").read_text(encoding="utf-8")


def style() -> str:
    return (_HERE / "fleetpage.css").read_text(encoding="utf-8")


def _versioned(name: str, text: str) -> str:
    """The file's name with its content's hash: a browser never runs an old script with a new page."""
    return f"{name}?v={hashlib.sha256(text.encode()).hexdigest()[:12]}"


def fleet_page() -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{html.escape(POLICY)}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Seoul Plaza · every screen</title>
<link rel="stylesheet" href="{_versioned(STYLE, style())}">
<script src="{_versioned(SCRIPT, script())}" defer></script>
</head>
<body {body_attributes()}>
<header><h1>Seoul Plaza · every screen</h1><div id="summary">loading…</div></header>
<div id="error"></div>
<noscript><p id="noscript">This page needs JavaScript.</p></noscript>
<main id="boxes"></main>
</body>
</html>
"""


def write_fleet_page(site: Path) -> None:
    """Writes fleet.html, its script and its style into the published site (the same for every publish)."""
    for name, text in ((SCRIPT, script()), (STYLE, style()), (FLEET_PAGE, fleet_page())):
        path = site / name
        try:
            if path.read_text(encoding="utf-8") == text:
                continue
        except (OSError, UnicodeDecodeError):
            pass
        write_atomically(path, text)
