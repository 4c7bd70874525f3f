"""The rotation's place after each slide, on the disk before the slide is up: `position.ring`.

A power cut loses what the kernel has not yet written back, and the play
log's lines wait up to 30 s for that. Writing each line through (fsync or
fdatasync) would keep the place exactly, but a synced write costs a whole
4 kB page, 44 MB a day at 8 s slides: more than twice the day's budget.

So each slide's play-log line, which carries the place, goes first to a
small ring of its own; the play log gets the lines a few at a time, and a
start writes back any that a kill or a power cut took while they were held.
The ring is 256 kB, made once
with every block written, then only overwritten in place: each mark goes
to the next slot with direct I/O and O_DSYNC, one 512-byte sector (two for
a long one) straight to the device, and the file's size and blocks never
change, so no journal commit is forced for it. At 8 s slides that is
5.5 MB a day. A mark holds a sequence number, its length and a CRC-32, so a
write cut short by the power fails its check and the mark before it, one
slide earlier, is used instead.

Where direct I/O is not supported (tmpfs, some network file systems) the
ring is written through the page cache with O_DSYNC instead: the same
guarantee, a page per slide. Marks are only read back at a start, through
the page cache (kiosk.core.journal decides which one continues the
checkpoint).
"""

from __future__ import annotations

import errno
import json
import logging
import mmap
import os
import stat
import struct
import zlib
from pathlib import Path

from kiosk.boundary.files import open_regular_file
from kiosk.core.trouble import Trouble
from kiosk.core.errors import UnsafeFile
from kiosk.core.sections import MAX_LINES_PER_WRITE
from kiosk.core.values import loads_json

log = logging.getLogger(__name__)

RING_FILE = "position.ring"
SECTOR = 512
SLOT = 8192
SLOTS = 2 * MAX_LINES_PER_WRITE  # twice the most play-log lines held at once
RING_BYTES = SLOT * SLOTS
MAGIC = b"KPM1"
HEADER = struct.Struct("<4sQII")  # magic, sequence, payload length, CRC-32 of the payload
MAX_PAYLOAD = SLOT - HEADER.size
MAX_SEQUENCE = 1 << 63  # a mark numbered this or more is damaged or crafted; the ring starts again


def encode(sequence: int, payload: bytes) -> bytes:
    """One mark: header and payload, padded with zeros to whole sectors; ValueError if it cannot fit a slot."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a mark of {len(payload):,} bytes does not fit a slot of {SLOT:,}")
    body = HEADER.pack(MAGIC, sequence, len(payload), zlib.crc32(payload)) + payload
    return body + bytes(-len(body) % SECTOR)


def decode(slot: bytes) -> tuple[int, bytes] | None:
    """The sequence number and payload of one slot, or None if it is empty, torn or not a mark."""
    if len(slot) < HEADER.size:
        return None
    magic, sequence, length, crc = HEADER.unpack_from(slot)
    if magic != MAGIC or length > MAX_PAYLOAD or HEADER.size + length > len(slot):
        return None
    payload = bytes(slot[HEADER.size:HEADER.size + length])
    if zlib.crc32(payload) != crc:
        return None
    return sequence, payload


def read_ring(data: bytes) -> list[tuple[int, object]]:
    """Every whole mark in a ring's bytes, newest first: (sequence, the JSON it holds)."""
    marks = []
    for start in range(0, min(len(data), RING_BYTES), SLOT):
        found = decode(data[start:start + SLOT])
        if found is None:
            continue
        try:
            marks.append((found[0], loads_json(found[1])))
        except ValueError:
            continue
    return sorted(marks, key=lambda mark: mark[0], reverse=True)


def last_marks(folder: Path) -> list[object]:
    """The marks in `folder`'s ring, newest first; none if it is missing, unreadable or not a
    regular file (a link to a device is never read)."""
    return [mark for _sequence, mark in read_ring(_ring_bytes(folder / RING_FILE))]


def _ring_bytes(path: Path) -> bytes:
    """At most a ring's bytes of the file, through the one safe opener; none if it cannot be used."""
    try:
        with open_regular_file(path) as handle:
            return handle.read(RING_BYTES)
    except (OSError, UnsafeFile):
        return b""


class MarkRing:
    """Writes marks to `position.ring`, each on the disk when `write` returns.

    A disk that refuses (full before the ring was made, read-only, failing)
    costs the marks, said once; the play log's lines still carry the place.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / RING_FILE
        self.trouble = Trouble(log)
        self.direct = True  # False once direct I/O was refused here
        self._fd: int | None = None
        self._sequence = 0
        self._buffer = mmap.mmap(-1, SLOT)  # page-aligned, as direct I/O wants

    @property
    def problem(self) -> str | None:
        return self.trouble.problem

    def write(self, record: dict) -> bool:
        """Writes one mark through to the disk; True if it is there."""
        payload = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if len(payload) > MAX_PAYLOAD:
            self.trouble.failed(f"the rotation's place is not marked: {len(payload):,} bytes is more than a slot holds")
            return False
        try:
            try:
                self._put(payload)
            except OSError as exc:
                if not (self.direct and exc.errno == errno.EINVAL) or not self._is_regular():
                    raise
                # A device whose sectors are larger than 512 bytes refuses them: go through the page cache.
                self.close()
                self.direct = False
                self._put(payload)
        except Exception as exc:  # noqa: BLE001 - whatever it is, a state problem said, never the slide's failure
            self.close()
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else f"{type(exc).__name__}: {exc}"
            self.trouble.failed(f"cannot mark the rotation's place in {self.path}: {str(reason)[:200]}")
            return False
        self._sequence += 1
        self.trouble.worked(f"the rotation's place is marked again in {self.path}")
        return True

    def _put(self, payload: bytes) -> None:
        fd = self._open()
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped for a device since it was opened
            raise OSError(errno.EINVAL, f"{RING_FILE} is not a regular file")
        if self._sequence + 1 >= MAX_SEQUENCE:
            self._make(fd)  # the numbers ran out (never, at a slide a second): start again from 0
        mark = encode(self._sequence + 1, payload)
        self._buffer[:len(mark)] = mark
        slot = (self._sequence + 1) % SLOTS
        written = os.pwrite(fd, memoryview(self._buffer)[:len(mark)], slot * SLOT)
        if written != len(mark):
            raise OSError(errno.EIO, f"wrote {written} of {len(mark)} bytes")

    def _is_regular(self) -> bool:
        try:
            return stat.S_ISREG(os.stat(self.path).st_mode)
        except OSError:
            return False

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()

    def _open(self) -> int:
        if self._fd is not None:
            return self._fd
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(self.path) and not stat.S_ISREG(os.stat(self.path).st_mode):
            raise OSError(errno.EINVAL, f"{RING_FILE} is not a regular file (a link to a device, a FIFO)")
        existing = _ring_bytes(self.path)
        marks = read_ring(existing)
        newest = marks[0][0] if marks else 0
        if newest >= MAX_SEQUENCE:
            # A crafted or damaged mark at the end of the numbers: the ring starts again from 0.
            log.warning("%s holds a mark numbered %d; the ring is made anew", self.path, newest)
            existing, newest = b"", 0
        self._sequence = max(self._sequence, newest)
        flags = os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_DSYNC
        fd = None
        if self.direct and hasattr(os, "O_DIRECT"):
            try:
                fd = os.open(self.path, flags | os.O_DIRECT, 0o644)
                if len(existing) != RING_BYTES:
                    self._make(fd)
            except OSError as exc:
                if fd is not None:
                    os.close(fd)
                    fd = None
                if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP):  # no direct I/O on this file system
                    raise
                self.direct = False
                log.info("no direct I/O for %s; each mark is a synced page instead", self.path)
        if fd is None:
            fd = os.open(self.path, flags, 0o644)
            if len(existing) != RING_BYTES:
                try:
                    self._make(fd)
                except OSError:
                    os.close(fd)
                    raise
        self._fd = fd
        return fd

    def _make(self, fd: int) -> None:
        """The ring at its full size with every block written (so an overwrite never allocates), then synced."""
        self._buffer[:] = bytes(SLOT)
        for slot in range(SLOTS):
            os.pwrite(fd, self._buffer, slot * SLOT)
        os.ftruncate(fd, RING_BYTES)
        os.fsync(fd)
        folder = os.open(self.path.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        self._sequence = 0  # whatever was there before is gone
