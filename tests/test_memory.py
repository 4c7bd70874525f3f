import ctypes
import ctypes.util
import subprocess
import sys
import textwrap

from kiosk.boundary.memory import keep_big_buffers_mapped


def test_glibc_takes_the_fixed_mmap_threshold_and_arena_count():
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    assert hasattr(libc, "mallopt"), "this machine runs glibc, as Debian and Raspberry Pi OS do"
    assert keep_big_buffers_mapped() is True


def _resident_kib() -> str:
    return "int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS')).split()[1])"


def test_give_back_freed_returns_free_pages_held_inside_the_heap():
    """200 MB of small blocks, all freed but the last (which pins the top of the heap, so glibc keeps the
    rest): resident memory stays high until give_back_freed() returns the free pages."""
    program = textwrap.dedent(f"""
        import ctypes, ctypes.util
        from kiosk.boundary.memory import give_back_freed, keep_big_buffers_mapped
        keep_big_buffers_mapped()
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        libc.malloc.restype = ctypes.c_void_p
        libc.free.argtypes = (ctypes.c_void_p,)
        blocks = [libc.malloc(4000) for _ in range(50_000)]
        for address in blocks:
            ctypes.memset(address, 1, 4000)
        for address in blocks[:-1]:
            libc.free(address)
        before = {_resident_kib()}
        returned = give_back_freed()
        after = {_resident_kib()}
        print(before, after, returned)
    """)
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True)
    before, after, returned = done.stdout.split()
    assert returned == "True"
    assert int(before) - int(after) > 150_000, done.stdout

