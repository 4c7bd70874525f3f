from kiosk.core.catalogue import FileInfo
from kiosk.core.settling import Settler


def info(path="answers/a.jpg", size=100, mtime=1):
    return FileInfo(path, size, mtime)


def test_a_new_file_settles_after_two_equal_looks_far_enough_apart():
    settler = Settler(settle_seconds=1.0)
    assert settler.observe([info()], now=0.0) == 1.0
    assert settler.settled() == []
    assert settler.observe([info()], now=0.5) == 1.0
    assert settler.settled() == []
    assert settler.observe([info()], now=1.0) is None
    assert settler.settled() == [info()]


def test_a_growing_file_keeps_waiting():
    settler = Settler(settle_seconds=1.0)
    for step in range(5):
        settler.observe([info(size=100 * (step + 1), mtime=step)], now=step * 0.8)
    assert settler.settled() == []
    settler.observe([info(size=500, mtime=4)], now=4.2)
    assert settler.settled() == [info(size=500, mtime=4)]


def test_a_rewritten_file_keeps_its_last_complete_state_until_the_new_one_settles():
    settler = Settler(settle_seconds=1.0)
    settler.accept([info(size=100)], now=0.0)
    settler.observe([info(size=50, mtime=2)], now=5.0)
    assert settler.settled() == [info(size=100)]
    assert not settler.is_settled("answers/a.jpg")
    settler.observe([info(size=50, mtime=2)], now=6.0)
    assert settler.settled() == [info(size=50, mtime=2)]
    assert settler.is_settled("answers/a.jpg")


def test_a_deleted_file_leaves_at_once():
    settler = Settler(settle_seconds=1.0)
    settler.accept([info(), info("answers/b.jpg")], now=0.0)
    settler.observe([info("answers/b.jpg")], now=0.1)
    assert settler.settled() == [info("answers/b.jpg")]


def test_accepted_files_are_settled_immediately():
    settler = Settler(settle_seconds=5.0)
    settler.accept([info()], now=10.0)
    assert settler.observe([info()], now=10.0) is None
    assert settler.is_settled("answers/a.jpg")


SECOND = 1_000_000_000


def test_a_file_last_written_long_enough_ago_settles_at_its_first_look():
    """Poll mode finds a file up to a second after it arrived: its own time says it is done."""
    settler = Settler(settle_seconds=1.0)
    written = info(mtime=100 * SECOND)
    assert settler.observe([written], now=50.0, wall_ns=101 * SECOND + 1) is None
    assert settler.settled() == [written]


def test_a_file_written_a_moment_ago_waits_from_its_own_time_not_from_the_first_look():
    settler = Settler(settle_seconds=1.0)
    written = info(mtime=100 * SECOND)
    assert settler.observe_some([written], [], now=50.0, wall_ns=100 * SECOND + SECOND * 3 // 10) == 50.7
    assert settler.settled() == []
    assert settler.observe_some([written], [], now=50.7, wall_ns=101 * SECOND) is None
    assert settler.settled() == [written]


def test_a_file_still_being_written_waits_however_the_clocks_read():
    settler = Settler(settle_seconds=1.0)
    for step in range(5):  # each look finds it grown, written a moment before
        settler.observe([info(size=100 * (step + 1), mtime=(100 + step) * SECOND)], now=float(step),
                        wall_ns=(100 + step) * SECOND + SECOND // 10)
    assert settler.settled() == []


def test_a_time_in_the_future_proves_nothing():
    """A clock set back (or a file from another machine): the looks decide, as without a wall clock."""
    settler = Settler(settle_seconds=1.0)
    written = info(mtime=500 * SECOND)
    assert settler.observe([written], now=0.0, wall_ns=100 * SECOND) == 1.0
    assert settler.observe([written], now=1.0, wall_ns=101 * SECOND) is None
