"""Which sound the speaker plays: chosen from the time since the slot began, as the picture is.

Pure. The audio device asks for its buffers at its own pace, from a thread
of its own (kiosk.boundary.sound). For each one the shell passes in the
moment on the slot's clock at which the buffer's first sample will be
heard (the time since the slot began, plus the device's latency) and the
moment of the first sample the decoder has ready, and gets back how to
fill the buffer: samples of the queue to drop because their moment has
passed, silence because the sound is not due yet (or not decoded in time),
and samples to take. The picture follows the same clock
(kiosk.core.videoclock), so sound and picture stay together without
either watching the other, and a device whose crystal runs a little fast
or slow is pulled back each time it drifts past `slack`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

SLACK_SECONDS = 0.015  # how far the sound may drift from the clock before samples are dropped or silence added
MAX_BUFFER_SAMPLES = 1 << 16  # a device buffer (SDL asks for 512 to 4096)


@dataclass(frozen=True)
class Fill:
    """How one device buffer is filled: `drop` samples of the queue
    thrown away first, then `silence` samples of silence, then `take` samples from the queue, then silence
    again for whatever the queue lacked (`short`). `offset` is how far the sound taken is from the clock
    (seconds; positive: heard late), or None if none is taken. `silence + take + short` is the buffer's
    length; `drop` comes out of the queue before it."""

    drop: int
    silence: int
    take: int
    short: int
    offset: float | None


def fill(heard_at: float, head_at: float | None, available: int, samples: int, rate: int, length: float,
         slack: float = SLACK_SECONDS) -> Fill:
    """How to fill a buffer of `samples` that starts to be heard at `heard_at` on the slot's clock.

    `head_at`: the slot's moment of the first sample the decoder has ready
    (None: nothing ready), `available`: how many samples follow it without a
    break, `rate`: samples a second, `length`: the slot's seconds (after it,
    silence).
    """
    for name, value in (("heard_at", heard_at), ("length", length), ("slack", slack)):
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, not {value!r}")
    if slack < 0:
        raise ValueError(f"slack must not be negative, not {slack!r}")
    if not 0 < samples <= MAX_BUFFER_SAMPLES or not 0 < rate <= 384_000 or available < 0:
        raise ValueError(f"a buffer of {samples} samples at {rate} Hz with {available} ready")
    # The slot's end bounds the samples that may be heard (its start needs no bound: no sample is due before it).
    audible = _samples(length - heard_at, rate, samples)
    if head_at is None or not math.isfinite(head_at) or available == 0 or audible == 0:
        return Fill(0, samples, 0, 0, None)
    offset = heard_at - head_at  # positive: the queue's head is late, its moment has passed
    drop = 0
    silence = 0
    if offset > slack:
        drop = _samples(offset, rate, available)
        offset -= drop / rate
    elif offset < -slack:
        silence = _samples(-offset, rate, samples)
        offset += silence / rate
    if drop == available:  # everything ready is late: silence until more comes
        return Fill(drop, samples, 0, 0, None)
    take = max(0, min(audible - silence, available - drop))
    if take == 0:
        return Fill(drop, samples, 0, 0, None)
    return Fill(drop, silence, take, samples - silence - take, offset)


def _samples(seconds: float, rate: int, most: int) -> int:
    """How many samples `seconds` hold, from 0 to `most` (a span too long for a float counts as `most`)."""
    count = seconds * rate
    # Two moments far apart may differ by more than a float holds: infinity, either way.
    if count >= most:
        return most
    return round(count) if count > 0 else 0


__all__ = ["MAX_BUFFER_SAMPLES", "SLACK_SECONDS", "Fill", "fill"]
