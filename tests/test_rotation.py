"""Where the show stands: the rotation as saved and read back, whatever a file holds."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.core.catalogue import Slide
from kiosk.core.rotation import Rotation

from .test_playlist import catalogue, run


def test_rotation_round_trips_through_json():
    _, rotation = run(catalogue(2, 5), 7)
    assert rotation.round == 1 and rotation.drawn > 0
    assert Rotation.from_json(json.loads(json.dumps(rotation.to_json()))) == rotation


def test_malformed_rotation_json_raises_value_error():
    with pytest.raises(ValueError):
        Rotation.from_json({"bag": []})


def test_members_held_as_slides_or_as_paths_are_the_same_rotation():
    slides = tuple(Slide(f"answers/a{i}.jpg", "answer", 1, 1) for i in range(3))
    held = Rotation(seed=1, round=1, members=slides, drawn=1)
    assert held == Rotation(seed=1, round=1, members=tuple(s.path for s in slides), drawn=1)
    assert held.member(0) == Rotation.from_json(held.to_json()).member(0)


def test_an_earlier_kiosks_bag_continues_in_its_own_order():
    rotation = Rotation.from_json({"seed": 3, "round": 2, "seen": ["answers/b.jpg"],
                                   "bag": ["answers/c.jpg", "answers/a.jpg"]})
    assert rotation.drawn == 1
    assert [rotation.member(i) for i in range(3)] == ["answers/b.jpg", "answers/c.jpg", "answers/a.jpg"]


def test_a_position_moves_the_rotation_on_within_its_round_only():
    _, rotation = run(catalogue(2, 5), 3)
    _, moved = run(catalogue(2, 5), 2, rotation=rotation)
    assert rotation.with_position(moved.position()) == moved
    with pytest.raises(ValueError):
        rotation.with_position({**moved.position(), "round": rotation.round + 1})
    with pytest.raises(ValueError):
        rotation.with_position({**moved.position(), "drawn": len(rotation.members) + 1})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
KEYS = ["seed", "round", "members", "shuffled", "drawn", "first_swapped", "fresh", "fresh_drawn", "deferred",
        "last_answer", "last_contribute", "answers_since_contribute", "last_override", "bag", "seen"]


@settings(max_examples=300, deadline=None)
@given(data=st.dictionaries(st.sampled_from(KEYS), json_values, max_size=len(KEYS)))
def test_whatever_a_saved_file_holds_it_is_a_rotation_or_a_value_error(data):
    try:
        rotation = Rotation.from_json(data)
    except ValueError:
        return
    assert Rotation.from_json(json.loads(json.dumps(rotation.to_json()))) == rotation
