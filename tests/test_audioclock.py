"""The sound follows the slot's clock: plain data, and properties of every buffer and of a whole slot."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.core.audioclock import MAX_BUFFER_SAMPLES, SLACK_SECONDS, Fill, fill

RATE = 48_000
BUFFER = 1024


def test_sound_on_time_is_taken_whole():
    assert fill(0.5, 0.5, 10_000, BUFFER, RATE, 2.0) == Fill(0, 0, BUFFER, 0, 0.0)


def test_within_the_slack_nothing_is_corrected_and_the_offset_is_told():
    late = fill(0.51, 0.5, 10_000, BUFFER, RATE, 2.0)
    assert (late.drop, late.silence, late.take) == (0, 0, BUFFER)
    assert late.offset == pytest.approx(0.01)
    early = fill(0.49, 0.5, 10_000, BUFFER, RATE, 2.0)
    assert (early.drop, early.silence, early.take) == (0, 0, BUFFER)
    assert early.offset == pytest.approx(-0.01)


def test_sound_whose_moment_has_passed_is_dropped():
    late = fill(0.53, 0.5, 10_000, BUFFER, RATE, 2.0)
    assert late.drop == 1440  # 30 ms at 48 kHz
    assert (late.silence, late.take, late.short) == (0, BUFFER, 0)
    assert abs(late.offset) < 1 / RATE


def test_sound_not_due_yet_waits_behind_silence():
    # The slot begins 30 ms after this buffer starts to be heard (the fade in is ending).
    early = fill(-0.03, 0.0, 10_000, 4096, RATE, 2.0)
    assert (early.drop, early.silence, early.take, early.short) == (0, 1440, 4096 - 1440, 0)
    assert abs(early.offset) < 1 / RATE
    assert fill(-0.03, 0.0, 10_000, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)  # all of it before the slot


def test_a_buffer_long_before_the_slot_is_all_silence():
    assert fill(-5.0, 0.0, 10_000, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)


def test_the_slot_end_cuts_the_sound():
    ending = fill(1.99, 1.99, 10_000, BUFFER, RATE, 2.0)
    assert (ending.take, ending.short) == (480, BUFFER - 480)  # 10 ms left of the slot
    assert fill(2.0, 2.0, 10_000, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)
    assert fill(7.0, 1.0, 10_000, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)  # nothing dropped after it


def test_what_the_queue_lacks_is_silence():
    assert fill(0.5, 0.5, 100, BUFFER, RATE, 2.0) == Fill(0, 0, 100, BUFFER - 100, 0.0)
    assert fill(0.5, None, 0, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)
    assert fill(0.5, 0.5, 0, BUFFER, RATE, 2.0) == Fill(0, BUFFER, 0, 0, None)


def test_when_all_that_is_ready_is_late_it_goes_and_silence_plays():
    assert fill(1.0, 0.5, 4800, BUFFER, RATE, 2.0) == Fill(4800, BUFFER, 0, 0, None)


@pytest.mark.parametrize("heard_at, head_at, length", [
    (1e308, -1e308, 2.0), (0.0, -1e306, 2.0), (-1e306, 0.0, 2.0), (0.0, 0.0, 1e306), (1e300, 1e300, 1e300),
])
def test_moments_far_apart_give_a_fill_not_an_overflow(heard_at, head_at, length):
    result = fill(heard_at, head_at, 10_000, BUFFER, RATE, length)
    assert result.silence + result.take + result.short == BUFFER


@pytest.mark.parametrize("arguments, named", [
    ((math.nan, 0.0, 10, BUFFER, RATE, 2.0), "heard_at"),
    ((0.0, 0.0, 10, BUFFER, RATE, math.inf), "length"),
    ((0.0, 0.0, 10, 0, RATE, 2.0), "0 samples"),
    ((0.0, 0.0, 10, MAX_BUFFER_SAMPLES + 1, RATE, 2.0), "samples"),
    ((0.0, 0.0, 10, BUFFER, 0, 2.0), "0 Hz"),
    ((0.0, 0.0, -1, BUFFER, RATE, 2.0), "-1 ready"),
])
def test_impossible_arguments_are_refused_by_name(arguments, named):
    with pytest.raises(ValueError, match=named):
        fill(*arguments)


def test_a_negative_slack_is_refused():
    with pytest.raises(ValueError, match="slack"):
        fill(0.0, 0.0, 10, BUFFER, RATE, 2.0, slack=-0.01)


# --- properties of every buffer ---------------------------------------------------------

moments = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@given(heard_at=moments, head_at=st.one_of(st.none(), moments), available=st.integers(0, 10**7),
       samples=st.integers(1, MAX_BUFFER_SAMPLES), rate=st.sampled_from([8000, 44_100, 48_000, 384_000]),
       length=st.floats(min_value=0, max_value=1e5), slack=st.floats(min_value=0, max_value=0.1))
def test_every_buffer_is_filled_whole_and_what_it_takes_is_on_time(heard_at, head_at, available, samples, rate,
                                                                    length, slack):
    result = fill(heard_at, head_at, available, samples, rate, length, slack)
    assert min(result.drop, result.silence, result.take, result.short) >= 0
    assert result.silence + result.take + result.short == samples  # the buffer is filled, no more
    assert result.drop + result.take <= available  # nothing taken that is not ready
    assert (result.take > 0) == (result.offset is not None)
    half_sample = 0.5 / rate
    if result.drop:
        assert heard_at - head_at > slack  # only sound late by more than the slack is dropped
    if result.take:
        assert head_at is not None and result.offset is not None
        if result.silence:
            assert head_at - heard_at > slack  # only sound early by more than the slack waits
        taken_at = head_at + result.drop / rate  # the moment of the first sample taken
        heard = heard_at + result.silence / rate  # and when it is heard
        assert result.offset == pytest.approx(heard - taken_at, abs=1e-6)
        assert abs(result.offset) <= max(slack, half_sample) + 1e-6  # the promise: on time within the slack
        assert heard + result.take / rate <= length + half_sample + 1e-6  # nothing heard after the slot


@given(heard_at=st.floats(allow_nan=False, allow_infinity=False), head_at=st.floats(allow_nan=False),
       length=st.floats(allow_nan=False, allow_infinity=False), available=st.integers(0, 2**62))
def test_any_finite_moments_give_a_whole_buffer(heard_at, head_at, length, available):
    result = fill(heard_at, head_at, available, BUFFER, RATE, length)
    assert result.silence + result.take + result.short == BUFFER
    assert result.drop + result.take <= available


# --- a whole slot: the device's own pace, the queue, the clock ------------------------------

@given(pace=st.floats(min_value=0.9, max_value=1.1), jitter=st.lists(st.floats(0.0, 0.01), min_size=1, max_size=50),
       samples=st.sampled_from([512, 1024, 4096]), heard_from=st.floats(min_value=-0.5, max_value=0.5),
       short_reads=st.sets(st.integers(0, 400), max_size=20))
def test_a_device_at_its_own_pace_hears_every_sample_within_the_slack_of_its_moment(
        pace, jitter, samples, heard_from, short_reads):
    """A three-second track from the slot's start, asked for by a device whose crystal runs up to 10 % fast
    or slow and whose thread wakes up to 10 ms late; now and then the decoder has little ready. Each sample
    is heard at most once, in order, and on time within the slack."""
    length = 3.0
    total = round(length * RATE)
    head = 0  # the index of the queue's first sample; its moment is head / RATE
    heard_at = heard_from
    decoded = 0  # the decoder keeps about half a second ahead of the device, but sometimes falls behind
    for call in range(round((length - heard_from) * RATE / samples / 0.9) + 2):
        decoded = min(total, max(decoded, head + (samples // 3 if call in short_reads else RATE // 2)))
        late = jitter[call % len(jitter)]
        available = decoded - head
        result = fill(heard_at + late, head / RATE if available else None, available, samples, RATE, length)
        if result.take:
            first = head + result.drop
            assert abs((heard_at + late + result.silence / RATE) - first / RATE) <= SLACK_SECONDS + 1e-9
        head += result.drop + result.take
        assert head <= decoded
        heard_at += samples / RATE * pace  # the device's idea of a buffer's length is off by its pace
    assert head <= total
