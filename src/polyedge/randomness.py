"""Seeded random streams, one per component.

Each component (the intent generator, each venue's response model, each latency kind,
each market's price) owns a generator derived from the run seed and its own name, so no
component's draws depend on another's, on call order, or on global random state.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any

import numpy as np

BLOCK = 4096  # draws are made this many at a time; the values do not depend on it


def component_rng(seed: int, *names: str) -> np.random.Generator:
    """The generator of the component called `names` in a run seeded with `seed`."""
    key = tuple(zlib.crc32(name.encode()) for name in names)
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=key))


class Draws:
    """Values of `draw(n)`, a float64 array, handed out one at a time as floats.

    Values come from consecutive `draw(BLOCK)` calls, so the sequence depends only on
    the generator behind `draw`, never on when or how often next() is called. Compiled
    (randomness.pxd), the block stays the array and next() reads it as a C double,
    where a list of Python floats made one for every value (measured: an allocation
    and its free a value).
    """

    __slots__ = ("_draw", "_next", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray[Any, np.dtype[np.float64]]]) -> None:
        self._draw = draw
        self._values = np.empty(0)
        self._next = 0

    def next(self) -> float:
        if self._next == len(self._values):
            self._values = self._draw(BLOCK)
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return float(value)  # compiled, already a C double


class IntDraws:
    """Draws of an int64 array (latencies, price steps), handed out as ints: compiled,
    C ints read from the block (measured: an allocation and its free a value)."""

    __slots__ = ("_draw", "_next", "_values")

    def __init__(self, draw: Callable[[int], np.ndarray[Any, np.dtype[np.int64]]]) -> None:
        self._draw = draw
        self._values = np.empty(0, np.int64)
        self._next = 0

    def next(self) -> int:
        if self._next == len(self._values):
            self._values = self._draw(BLOCK)
            self._next = 0
        value = self._values[self._next]
        self._next += 1
        return int(value)  # compiled, already a C int
