import ctypes
import ctypes.util

from kiosk.boundary.memory import keep_big_buffers_mapped


def test_glibc_takes_the_fixed_mmap_threshold():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    assert hasattr(libc, "mallopt"), "this machine runs glibc, as Debian and Raspberry Pi OS do"
    assert keep_big_buffers_mapped() is True
