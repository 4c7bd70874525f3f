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
