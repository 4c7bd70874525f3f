"""The operator's keys: what a keyboard plugged into the box may do, and when.

Part of the show's decisions (kiosk.core.director), which acts on the keys
this lets through. Only with `display.keys: true`: on a public plaza a
passer-by could otherwise hold the show, or put the box's own state on the
screen. A slide change asked for during a fade acts when the fade ends: a
key press is never lost.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

OPERATOR_KEYS = frozenset({"next", "previous", "pause", "info", "quit"})
SLIDE_KEYS = ("next", "previous")  # they change the slide, so they wait for a fade to end


class Keys:
    """Which key presses act now, the one waiting for a fade to end, and whether the info overlay shows."""

    def __init__(self) -> None:
        self.info_visible = False
        self._waiting: str | None = None
        self._said_off = False

    @staticmethod
    def quits(name: str, keys_on: bool) -> bool:
        """Whether this key or window event ends the show: the window closed, or Ctrl+Q with the keys on."""
        return name == "close" or (name == "quit" and keys_on)

    def accept(self, name: str, keys_on: bool, fading: bool) -> str | None:
        """The key to act on now; None if the keys are off (said once) or it waits for the fade to end."""
        if name in OPERATOR_KEYS and not keys_on:
            if not self._said_off:
                log.info("a key was pressed; operator keys are off (display.keys), so it is ignored (said once)")
                self._said_off = True
            return None
        if name in SLIDE_KEYS and fading:
            self._waiting = name
            return None
        if name == "info":
            self.info_visible = not self.info_visible
        return name

    def after_fade(self, name: str) -> None:
        """Acts on `name` as the running fade ends (a slide taken down during a fade: "next")."""
        self._waiting = name

    def waiting(self) -> str | None:
        """The key that waited for the fade that just ended, once."""
        name, self._waiting = self._waiting, None
        return name

    def hide_info(self) -> bool:
        """The keys were turned off: nobody could hide the overlay any more. True if it was showing."""
        shown, self.info_visible = self.info_visible, False
        return shown
