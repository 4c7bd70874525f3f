"""A shuffled order of n items without shuffling them: position i maps to item `permuted(key, n, i)`.

A round of 20,000 answers shuffled with `random.shuffle` costs 6 ms on the
render loop at the refill, and a rotation that keeps the shuffled list must
save all of it again whenever it changes. A keyed permutation needs neither:
the round keeps its answers in the order they were listed, and the show
draws position 0, 1, 2, ... through the permutation, one position at a time,
each in microseconds. Saved, the round's place is one number.

The permutation is a four-round Feistel network on the smallest power of
four at least n, keyed by the seed and the round (BLAKE2b of the key, then
SplitMix64's mixer as the round function), with cycle walking to stay below
n: a bijection of range(n) for every key, and a different one for each key,
the same on every machine and Python version. Pure.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

ROUNDS = 4


_MASK64 = (1 << 64) - 1


@lru_cache(maxsize=64)
def _half_bits(n: int) -> int:
    """Bits in each half of the Feistel block: the smallest h with 4**h >= n."""
    bits = 1
    while (1 << (2 * bits)) < n:
        bits += 1
    return bits


@lru_cache(maxsize=64)
def _round_keys(key: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=8 * ROUNDS).digest()
    return tuple(int.from_bytes(digest[8 * i:8 * i + 8], "big") for i in range(ROUNDS))


def _mix(value: int) -> int:
    """SplitMix64's finaliser: every input bit changes about half the output bits."""
    value = (value ^ (value >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    value = (value ^ (value >> 27)) * 0x94D049BB133111EB & _MASK64
    return value ^ (value >> 31)


def _feistel(keys: tuple[int, ...], bits: int, value: int) -> int:
    mask = (1 << bits) - 1
    left, right = value >> bits, value & mask
    for round_key in keys:
        left, right = right, left ^ (_mix((right + round_key) & _MASK64) & mask)
    return (left << bits) | right


def permuted(key: str, n: int, index: int) -> int:
    """The item at `index` of the order that `key` gives `n` items (0 <= index < n)."""
    if not 0 <= index < n:
        raise IndexError(f"position {index} of {n}")
    if n == 1:
        return 0
    keys = _round_keys(key)
    bits = _half_bits(n)
    value = _feistel(keys, bits, index)
    while value >= n:  # cycle walking: n is over a quarter of the block, so ~4 steps at worst on average
        value = _feistel(keys, bits, value)
    return value
