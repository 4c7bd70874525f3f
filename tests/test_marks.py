"""The ring of marks: each slide's place written through to the disk, in a file that never changes size."""

import errno
import os

from hypothesis import given
from hypothesis import strategies as st

from kiosk.boundary import marks as marks_module
from kiosk.boundary.marks import (
    RING_BYTES, RING_FILE, SECTOR, SLOT, SLOTS, MarkRing, decode, encode, last_marks, read_ring,
)


def test_a_mark_is_whole_sectors_and_reads_back():
    mark = encode(7, b'{"step":3}')
    assert len(mark) == SECTOR
    assert decode(mark + bytes(SLOT - len(mark))) == (7, b'{"step":3}')


def test_a_torn_or_altered_mark_is_refused():
    mark = bytearray(encode(7, b'{"step":3}'))
    mark[20] ^= 1
    assert decode(bytes(mark)) is None
    assert decode(bytes(SLOT)) is None
    assert decode(b"KPM1") is None


@given(st.binary(max_size=2 * RING_BYTES))
def test_any_bytes_read_as_a_ring_give_whole_marks_or_none(data):
    for sequence, _mark in read_ring(data):
        assert 0 <= sequence < 1 << 64


@given(st.lists(st.binary(max_size=SLOT), max_size=SLOTS))
def test_slots_of_any_bytes_never_break_the_reader(slots):
    data = b"".join(slot.ljust(SLOT, b"\0") for slot in slots)
    read_ring(data)


def test_marks_come_back_newest_first_and_the_ring_keeps_its_size(tmp_path):
    ring = MarkRing(tmp_path)
    for step in range(SLOTS * 3 + 2):
        assert ring.write({"step": step})
    assert (tmp_path / RING_FILE).stat().st_size == RING_BYTES
    found = last_marks(tmp_path)
    assert [mark["step"] for mark in found] == list(range(SLOTS * 3 + 1, SLOTS * 2 + 1, -1))


def test_a_ring_opened_again_goes_on_after_its_newest_mark(tmp_path):
    first = MarkRing(tmp_path)
    for step in range(5):
        first.write({"step": step})
    first.close()
    again = MarkRing(tmp_path)
    again.write({"step": 5})
    assert last_marks(tmp_path)[0] == {"step": 5}


def test_a_mark_torn_by_a_power_cut_leaves_the_one_before(tmp_path):
    ring = MarkRing(tmp_path)
    for step in range(4):
        ring.write({"step": step})
    ring.close()
    path = tmp_path / RING_FILE
    data = bytearray(path.read_bytes())
    newest = 4 % SLOTS * SLOT  # the fourth mark (step 3) went to slot 4
    data[newest + 24] ^= 0xFF  # inside its payload: the power went while the sector was written
    path.write_bytes(bytes(data))
    assert last_marks(tmp_path)[0] == {"step": 2}


def test_a_ring_of_the_wrong_size_is_made_anew(tmp_path):
    (tmp_path / RING_FILE).write_bytes(b"not a ring")
    ring = MarkRing(tmp_path)
    assert ring.write({"step": 1})
    assert (tmp_path / RING_FILE).stat().st_size == RING_BYTES
    assert last_marks(tmp_path) == [{"step": 1}]


def test_without_direct_io_the_marks_go_through_the_page_cache(tmp_path, monkeypatch):
    real_open = os.open

    def no_direct(path, flags, *args):
        if flags & getattr(os, "O_DIRECT", 0):
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_open(path, flags, *args)

    monkeypatch.setattr(marks_module.os, "open", no_direct)
    ring = MarkRing(tmp_path)
    assert ring.write({"step": 1}) and ring.write({"step": 2})
    assert not ring.direct
    assert [mark["step"] for mark in last_marks(tmp_path)] == [2, 1]


def test_a_device_that_refuses_small_direct_writes_gets_pages(tmp_path, monkeypatch):
    real_pwrite = os.pwrite
    ring = MarkRing(tmp_path)

    def picky(fd, data, offset):
        if ring.direct and len(data) < 4096:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(fd, data, offset)

    monkeypatch.setattr(marks_module.os, "pwrite", picky)
    assert ring.write({"step": 1})
    assert not ring.direct and last_marks(tmp_path) == [{"step": 1}]


def test_a_mark_too_large_for_a_slot_is_not_written_and_said(tmp_path):
    ring = MarkRing(tmp_path)
    assert not ring.write({"fresh": ["x" * SLOT]})
    assert "more than a slot holds" in ring.problem
    assert ring.write({"step": 1}) and ring.problem is None


def test_a_folder_that_cannot_hold_the_ring_costs_the_marks_not_the_show(tmp_path):
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    ring = MarkRing(blocker)
    assert not ring.write({"step": 1})
    assert ring.problem and last_marks(blocker) == []


def test_a_ring_linked_to_a_device_is_never_read_and_not_marking_is_a_state_problem(tmp_path):
    (tmp_path / RING_FILE).symlink_to("/dev/zero")
    assert last_marks(tmp_path) == []
    ring = MarkRing(tmp_path)
    assert not ring.write({"step": 1})
    assert "not a regular file" in ring.problem and RING_FILE in ring.problem


def test_a_crafted_mark_at_the_end_of_the_numbers_restarts_the_ring(tmp_path):
    ring = MarkRing(tmp_path)
    ring.write({"step": 0})
    ring.close()
    data = bytearray((tmp_path / RING_FILE).read_bytes())
    crafted = encode((1 << 64) - 1, b'{"step":99}')
    data[3 * SLOT:3 * SLOT + len(crafted)] = crafted
    (tmp_path / RING_FILE).write_bytes(bytes(data))
    assert last_marks(tmp_path)[0] == {"step": 99}
    again = MarkRing(tmp_path)
    for step in range(1, SLOTS + 3):
        assert again.write({"step": step}), again.problem
    assert again.problem is None
    assert last_marks(tmp_path)[0] == {"step": SLOTS + 2} and {"step": 99} not in last_marks(tmp_path)


@given(st.binary(max_size=RING_BYTES + SLOT))
def test_any_ring_file_reads_back_bounded_and_the_next_mark_is_the_newest(data):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / RING_FILE).write_bytes(data)
        last_marks(Path(folder))
        ring = MarkRing(Path(folder))
        assert ring.write({"step": "new"}), ring.problem
        ring.close()
        assert last_marks(Path(folder))[0] == {"step": "new"}
