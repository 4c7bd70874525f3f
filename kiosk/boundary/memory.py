"""Frames and decode buffers go back to the system when freed: glibc's mmap threshold, fixed.

glibc serves an allocation of 128 KiB or more with its own mmap, and unmaps
it on free, but after the first such block is freed it raises that
threshold (up to 32 MB) so that later ones come from the heap. The kiosk's
8 MB frames and 9 MB decode buffers then land in the heap, fragment it, and
the heap keeps its high-water mark: 249 MB peak instead of 214 MB at
1920×1080 with 20,000 answers (bench/perf.py's run, with and without
MALLOC_MMAP_THRESHOLD_=131072 in the environment, before the frame cache
shrank). Setting the threshold fixes it at 128 KiB for good.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

log = logging.getLogger(__name__)

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
THRESHOLD_BYTES = 128 * 1024


def keep_big_buffers_mapped(threshold: int = THRESHOLD_BYTES) -> bool:
    """Fixes glibc's mmap threshold; False where the C library is not glibc (nothing changes there)."""
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, threshold))
