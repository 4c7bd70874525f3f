"""Which requests the decode worker takes first: the slide due next always goes ahead."""

from __future__ import annotations

import enum


class Priority(enum.IntEnum):
    NEXT = 0  # the slide the screen shows next
    AHEAD = 1  # the slides after it (prefetch)
    ADMIT = 2  # new or changed files, decoded before they join the rotation
