from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.shuffle import permuted


@given(st.integers(1, 3000), st.text(max_size=20))
def test_every_key_gives_an_order_of_all_items_each_once(n, key):
    assert sorted(permuted(key, n, i) for i in range(n)) == list(range(n))


def test_the_order_depends_on_the_key_and_nothing_else():
    first = [permuted("7:1", 50, i) for i in range(50)]
    assert first == [permuted("7:1", 50, i) for i in range(50)]
    assert first != [permuted("7:2", 50, i) for i in range(50)]
    assert first != list(range(50))


def test_each_item_is_about_as_likely_to_come_first():
    counts = Counter(permuted(f"seed:{round_}", 5, 0) for round_ in range(5000))
    assert set(counts) == set(range(5)) and min(counts.values()) > 850  # 1,000 each expected


def test_positions_outside_the_order_are_refused():
    import pytest

    with pytest.raises(IndexError):
        permuted("k", 3, 3)
    with pytest.raises(IndexError):
        permuted("k", 3, -1)
