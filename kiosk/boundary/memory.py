"""Freed memory goes back to the system: glibc's malloc, tuned for a process that runs for weeks.

Three settings, each measured:

- **The mmap threshold, fixed.** glibc serves an allocation of 128 KiB or
  more with its own mmap, and unmaps it on free, but after the first such
  block is freed it raises that threshold (up to 32 MB) so that later ones
  come from the heap. The kiosk's 8 MB frames and 9 MB decode buffers then
  land in the heap, fragment it, and the heap keeps its high-water mark:
  249 MB peak instead of 214 MB at 1920×1080 with 20,000 answers
  (bench/perf.py's run, with and without MALLOC_MMAP_THRESHOLD_=131072 in
  the environment, before the frame cache shrank). Setting the threshold
  fixes it at 128 KiB for good.
- **Two arenas.** glibc gives each new thread an arena of its own, up to
  eight per core, and a freed block can only serve its own arena again.
  Every video slot starts a decoder thread, and FFmpeg's small allocations
  (packets, codec tables) are spread over arenas that each keep their own
  high-water mark. Two arenas (the render loop's and one shared by the
  workers) bound that.
- **Trimmed after each video.** A player's thread calls `give_back_freed()`
  as it ends: malloc_trim(0) returns the free pages inside every arena,
  which glibc otherwise keeps until the top of the heap is free.

The 80-minute video soak before the last two (bench/results/soak-videos.json
history, docs/video.md) grew its 10-minute RSS floor from 169 to 208 MB
while the Python heap stayed flat; the soak with them is in the same file.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
M_ARENA_MAX = -8
THRESHOLD_BYTES = 128 * 1024
ARENAS = 2


def _libc() -> ctypes.CDLL | None:
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


def keep_big_buffers_mapped(threshold: int = THRESHOLD_BYTES, arenas: int = ARENAS) -> bool:
    """Fixes glibc's mmap threshold and its number of arenas; False where the C library is not glibc
    (nothing changes there). Called before the kiosk starts its threads."""
    libc = _libc()
    mallopt = getattr(libc, "mallopt", None)
    if mallopt is None:
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, threshold)) and bool(mallopt(M_ARENA_MAX, arenas))


def give_back_freed() -> bool:
    """Returns the free pages of every arena to the system (glibc's malloc_trim); False where there is
    no malloc_trim, or nothing was returned. Takes a few milliseconds: never on the render loop."""
    libc = _libc()
    trim = getattr(libc, "malloc_trim", None)
    if trim is None:
        return False
    trim.argtypes = (ctypes.c_size_t,)
    trim.restype = ctypes.c_int
    return bool(trim(0))
